# remoteexe: run one command on a remote host over SSH and log it.

PROG=	remoteexe
REPORT=	remoteexe-report
SRCS=	remoteexe.c settings.c config.c run.c progress.c signals.c diag.c \
	dial.c tcp.c ssh.c sshio.c auth.c hostkey.c kexprobe.c channel.c pump.c remote.c \
	log.c base64.c sha1.c match.c util.c utf8.c
OBJS=	${SRCS:.c=.o}
HDRS=	settings.h config.h run.h progress.h signals.h diag.h failure.h \
	dial.h tcp.h ssh.h sshio.h auth.h hostkey.h kexprobe.h channel.h pump.h remote.h \
	log.h base64.h sha1.h match.h util.h utf8.h

PREFIX?=	/usr/local
BINDIR?=	${PREFIX}/bin
MANDIR?=	${PREFIX}/share/man/man1
# cron's PATH is /usr/bin:/bin (the seed's crontab: /sbin:/bin:/usr/sbin:
# /usr/bin): install with PREFIX=/usr, or add a link there (install-link).
LINKDIR?=	/usr/bin

PKGS=		libssh2 libbsd-overlay
CC?=		cc
CFLAGS?=	-O2 -g
WARNINGS=	-Wall -Wextra -Werror -Wformat=2 -Wshadow -Wcast-qual
PKG_CFLAGS!=	pkg-config --cflags ${PKGS} 2>/dev/null || true
PKG_LIBS!=	pkg-config --libs ${PKGS} 2>/dev/null || echo -lssh2 -lbsd
ALL_CFLAGS=	-std=c11 -D_GNU_SOURCE \
		${WARNINGS} ${PKG_CFLAGS} ${CFLAGS}

BATS?=		bats
TESTS?=		t
# The 100-connection burst is a load test, not a memory test: under ASan it
# only measures a slower client.  The partitions of t/netns.bats are timing
# tests of paths t/remote.bats and t/faults.bats run under ASan too; left
# out to keep CI well inside its time.
ASAN_TESTS?=	${filter-out t/burst.bats t/netns.bats,${wildcard t/*.bats}}

all: ${PROG} ${REPORT}

${PROG}: ${OBJS}
	${CC} ${ALL_CFLAGS} ${LDFLAGS} -o $@ ${OBJS} ${PKG_LIBS}

.c.o:
	${CC} ${ALL_CFLAGS} -c $<

${OBJS}: ${HDRS}

# The supervisor sent to the remote side, as a C string (tools/embed.sh).
remote_sh.h: remote.sh tools/embed.sh
	sh tools/embed.sh remote.sh >$@.tmp && mv $@.tmp $@

remote.o .asan/${PROG}: remote_sh.h

# --- remoteexe-report --------------------------------------------------------
# The log reader: its sources live in report/, it needs only libc and libbsd.
REPORT_SRCS=	report/report.c report/logread.c report/input.c report/runs.c \
		report/sketch.c report/incident.c report/proc.c report/cron.c \
		report/cronjob.c report/missed.c report/output.c \
		report/outjson.c report/extract.c report/htab.c report/util.c \
		base64.c utf8.c
REPORT_OBJS=	${REPORT_SRCS:.c=.o}
REPORT_HDRS=	${wildcard report/*.h} base64.h utf8.h
REPORT_LIBS!=	pkg-config --libs libbsd-overlay 2>/dev/null || echo -lbsd

${REPORT}: ${REPORT_OBJS}
	${CC} ${ALL_CFLAGS} ${LDFLAGS} -o $@ ${REPORT_OBJS} ${REPORT_LIBS}

report/%.o: report/%.c ${REPORT_HDRS}
	${CC} ${ALL_CFLAGS} -c -o $@ $<

.asan/${REPORT}: ${REPORT_SRCS} ${REPORT_HDRS}
	mkdir -p .asan
	${CC} ${ALL_CFLAGS} ${ASAN_FLAGS} ${LDFLAGS} -o $@ ${REPORT_SRCS} \
	    ${REPORT_LIBS}

.fuzz/logread: ${REPORT_SRCS} ${REPORT_HDRS}
# --- end of remoteexe-report -------------------------------------------------

# The Debian packages the build and the tests need (installed when root).
deps:
	bash tools/demo.sh --deps

# A driver for the parts of the host key code a whole run cannot reach.
DRIVER=		t/hostkey-driver
DRIVER_SRCS=	t/hostkey-driver.c hostkey.c kexprobe.c base64.c sha1.c match.c

${DRIVER}: ${DRIVER_SRCS} ${HDRS}
	${CC} ${ALL_CFLAGS} -I. ${LDFLAGS} -o $@ t/hostkey-driver.c ${PKG_LIBS}

check: deps ${PROG} ${DRIVER}
	${BATS} ${TESTS}

# The same suite against a build with AddressSanitizer and UBSan.
ASAN_FLAGS=	-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer

.asan/${PROG}: ${SRCS} ${HDRS}
	mkdir -p .asan
	${CC} ${ALL_CFLAGS} ${ASAN_FLAGS} ${LDFLAGS} -o $@ ${SRCS} ${PKG_LIBS}

.asan/hostkey-driver: ${DRIVER_SRCS} ${HDRS}
	mkdir -p .asan
	${CC} ${ALL_CFLAGS} ${ASAN_FLAGS} -I. ${LDFLAGS} -o $@ \
	    t/hostkey-driver.c ${PKG_LIBS}

check-asan: deps .asan/${PROG} .asan/hostkey-driver .asan/${REPORT}
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	REMOTEEXE=${CURDIR}/.asan/${PROG} \
	REMOTEEXE_REPORT=${CURDIR}/.asan/${REPORT} \
	HOSTKEY_DRIVER=${CURDIR}/.asan/hostkey-driver ${BATS} ${ASAN_TESTS}

demo:
	bash tools/demo.sh

bench: ${PROG} ${REPORT}
	sh tools/bench.sh

bench-burst: ${PROG}
	sh tools/burst.sh

# Coverage-guided fuzzing with clang's libFuzzer under ASan/UBSan.  Each
# fuzz/fuzz_NAME.c includes the sources it tests; its seed corpus is
# t/fuzz/NAME/.  FUZZ_SECONDS per target.
FUZZ_SECONDS?=	60
FUZZ_JOBS?=	2
FUZZ_CC?=	clang
FUZZ_FLAGS=	-g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all
FUZZERS=	${patsubst fuzz/fuzz_%.c,.fuzz/%,${wildcard fuzz/fuzz_*.c}}

.fuzz/%: fuzz/fuzz_%.c ${SRCS} ${HDRS} remote_sh.h
	mkdir -p .fuzz
	${FUZZ_CC} -std=c11 -D_GNU_SOURCE ${PKG_CFLAGS} ${FUZZ_FLAGS} -I. \
	    -o $@ $< ${PKG_LIBS}

# The options target includes remoteexe.c (main renamed) and links the rest.
.fuzz/options: fuzz/fuzz_options.c ${SRCS} ${HDRS}
	mkdir -p .fuzz
	${FUZZ_CC} -std=c11 -D_GNU_SOURCE ${PKG_CFLAGS} ${FUZZ_FLAGS} -I. \
	    -o $@ $< ${filter-out remoteexe.c,${SRCS}} ${PKG_LIBS}

# The escape target reads log.c's records back with the report's reader.
.fuzz/escape: report/logread.c report/logread.h report/util.c report/util.h

fuzz: ${FUZZERS}
	sh tools/fuzz.sh ${FUZZ_SECONDS} ${FUZZ_JOBS} ${FUZZERS}

lint:
	mandoc -Tlint -W warning man/${PROG}.1
	mandoc -Tlint -W warning man/${REPORT}.1

install: ${PROG} ${REPORT}
	install -d ${DESTDIR}${BINDIR} ${DESTDIR}${MANDIR}
	install -m 755 ${PROG} ${DESTDIR}${BINDIR}/${PROG}
	install -m 644 man/${PROG}.1 ${DESTDIR}${MANDIR}/${PROG}.1
	install -m 755 ${REPORT} ${DESTDIR}${BINDIR}/${REPORT}
	install -m 644 man/${REPORT}.1 ${DESTDIR}${MANDIR}/${REPORT}.1

# A symbolic link LINKDIR/remoteexe -> BINDIR/remoteexe; a file of that
# name that is not a link is left alone.
install-link:
	@if [ "${BINDIR}" = "${LINKDIR}" ]; then \
		echo "install-link: ${PROG} is installed in ${LINKDIR}" >&2; \
		exit 1; \
	fi
	@if [ -e ${DESTDIR}${LINKDIR}/${PROG} ] && \
	    [ ! -L ${DESTDIR}${LINKDIR}/${PROG} ]; then \
		echo "install-link: ${DESTDIR}${LINKDIR}/${PROG} is not a link" \
		    >&2; \
		exit 1; \
	fi
	install -d ${DESTDIR}${LINKDIR}
	ln -sf ${BINDIR}/${PROG} ${DESTDIR}${LINKDIR}/${PROG}

uninstall:
	rm -f ${DESTDIR}${BINDIR}/${PROG} ${DESTDIR}${MANDIR}/${PROG}.1
	rm -f ${DESTDIR}${BINDIR}/${REPORT} ${DESTDIR}${MANDIR}/${REPORT}.1
	@if [ "$$(readlink ${DESTDIR}${LINKDIR}/${PROG})" = \
	    "${BINDIR}/${PROG}" ]; then \
		rm -f ${DESTDIR}${LINKDIR}/${PROG}; \
	fi

clean:
	rm -rf ${PROG} ${OBJS} ${DRIVER} remote_sh.h .asan .fuzz
	rm -f ${REPORT} ${REPORT_OBJS}

.PHONY: all deps check check-asan demo bench bench-burst fuzz lint install \
	install-link uninstall clean
