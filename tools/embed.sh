#!/bin/sh
# embed.sh FILE: FILE as the body of a C string literal, without its
# comment lines and indentation (shell text sent to the remote side: every
# byte costs a read there).
sed -e '/^[[:space:]]*#/d' -e 's/^[[:space:]]*//' -e '/^$/d' \
    -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$1"
