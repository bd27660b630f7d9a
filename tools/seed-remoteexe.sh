#!/bin/bash -u
# The original bash remoteexe from seed 003 (/work/shared/seeds/), kept as the
# baseline for tools/bench.sh and tools/burst.sh. Its behaviour is unchanged:
# all output is held in a variable until ssh exits, every log line forks
# date(1), START / command / output / END lines, exit 10 on bad arguments.
# Adapted minimally to the benchmark fixture:
#   SEED_LOG       log path (default: the original /tmp/YYYYMMDD_remoteexe.log)
#   SEED_SSH_OPTS  ssh options replacing "-i /path/to/key" (port, key, known_hosts)
#   SEED_USER      remote user (default: the original root)
# Fixes of the blog's rendering only: "#!" (was "# !") and the escaped
# quotes in the second usage example (the published line did not parse).
log_path=${SEED_LOG:-/tmp/$( date +'%Y%m%d' )_remoteexe.log}
function log()
{
echo "[$( date +'%Y-%m-%d %H:%M:%S' )][$$] $@" >> ${log_path}
}
parameters="$@"
log "START,-,${parameters}"
function validate()
{
error_code=10
if [ $# -lt 2 ]; then
log "usage: remoteexe target script [parameters]"
log "e.g.) remoteexe host_sum_batch01 /path/to/starting_sh/sum.sh"
log "e.g.) remoteexe host_user_batch02 \"/path/to/starting_sh/user_log.sh action\""
log "END,${error_code},${parameters}"
exit ${error_code}
fi
}
validate $@
host=${1}
shift
command="ssh ${SEED_SSH_OPTS:--i /path/to/key} ${SEED_USER:-root}@${host} ${@}"
log "command,${command}"
output=$( ${command} 2>&1 )
rc=$?
while read line
do
log "${line}"
done << EOS
${output}
EOS
log "END,${rc},${parameters}"
