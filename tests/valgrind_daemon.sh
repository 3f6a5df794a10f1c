#!/bin/bash
# valgrind_daemon.sh - fairmatchd under valgrind memcheck, through the
# client test (import, round, export, errors, shutdown) and a short
# hostile-client scenario; zero errors and zero leaks required.
#
#   valgrind_daemon.sh VALGRIND FAIRMATCHD DAEMON_TOKEN FAIRMATCH FM_RPC_LOAD PROTO
#
# Normal case: writes a wrapper that runs fairmatchd as
#   valgrind --tool=memcheck --leak-check=full
#            --errors-for-leak-kinds=definite,indirect --error-exitcode=97
#            --log-file=TMP/vg.%p.log fairmatchd ARGS...
# and runs, with that as the daemon:
#   tests/cli_client_test.sh   the client against the daemon: import (CSV in
#                              chunks), a round run, shown and exported,
#                              scope refusals, bad input, SIGTERM;
#   tests/load_hostile.py      short: frame timeouts (a byte a second, a
#                              frame never finished), a non-reader closed as
#                              write_stalled, clients vanishing mid-request,
#                              a flood, then SIGTERM;
#   tests/test_daemon.py       only with FM_VALGRIND_FULL=1 (every method,
#                              mutated frames, SIGKILL and restart; 1-4
#                              minutes under valgrind on a busy 2-core
#                              machine, too long for CI), with a 10 s idle
#                              timeout instead of 5 s.
# A daemon that ends with a memcheck error or a definite or indirect leak
# exits 97, which each test sees as a failed stop; then every valgrind log
# is read again: each daemon that exited must report "ERROR SUMMARY: 0
# errors" and no definitely or indirectly lost bytes.  Only the daemon
# test_daemon.py kills with SIGKILL on purpose (a crash test) has no
# summary.  No suppression file is used: none has been needed.
#
# Failure: exit 1 with the offending valgrind log printed; the build must
# not be a sanitizer build (ASan and valgrind do not mix).  Removes its
# temporary directory.
set -u -o pipefail
[ $# -eq 6 ] || { echo "usage: $0 VALGRIND FAIRMATCHD DAEMON_TOKEN FAIRMATCH FM_RPC_LOAD PROTO" >&2; exit 2; }
VG=$1
FMD=$(realpath "$2") TOKEN_TOOL=$(realpath "$3") FM=$(realpath "$4")
LOAD=$(realpath "$5") PROTO=$(realpath "$6")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
if [ ! -x "$VG" ]; then
    echo "valgrind_daemon: valgrind not found ($VG); tests/install_deps.sh installs it" >&2
    exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fm_valgrind.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/fairmatchd" <<WRAP
#!/bin/sh
exec "$VG" --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --error-exitcode=97 --log-file="$TMP/vg.%p.log" "$FMD" "\$@"
WRAP
chmod +x "$TMP/fairmatchd"

status=0
echo "=== cli_client_test.sh with fairmatchd under valgrind"
bash "$HERE/cli_client_test.sh" "$FM" "$TMP/fairmatchd" "$HERE/data" || status=1
expect_killed=0
if [ "${FM_VALGRIND_FULL:-0}" = 1 ]; then
    echo "=== test_daemon.py with fairmatchd under valgrind"
    "$PY" "$HERE/test_daemon.py" --fairmatchd "$TMP/fairmatchd" --token-tool "$TOKEN_TOOL" \
        --fairmatch "$FM" --proto "$PROTO" --idle-timeout 10 || status=1
    expect_killed=1
fi
echo "=== load_hostile.py (short) with fairmatchd under valgrind"
"$PY" "$HERE/load_hostile.py" --fairmatchd "$TMP/fairmatchd" --fairmatch "$FM" \
    --rpc-load "$LOAD" --proto "$PROTO" --connections 20 --seconds 2 --warmup 0.5 \
    --slow 3 --stuck 3 --nonreaders 1 --floods 1 --vanish-rate 10 \
    --max-rss-mb 1024 --max-p99-ratio 20 --p99-slack-ms 1000 --timing-slack 5 \
    --drain-timeout 60 || status=1

echo "=== valgrind logs"
summaries=0 killed=0
for log in "$TMP"/vg.*.log; do
    [ -e "$log" ] || continue
    cmd=$(grep -m1 -o 'Command: .*' "$log" | cut -c1-160)
    if ! grep -q "ERROR SUMMARY:" "$log"; then
        killed=$((killed + 1))
        echo "no summary (killed): $cmd"
        continue
    fi
    summaries=$((summaries + 1))
    errs=$(grep -o "ERROR SUMMARY: [0-9,]* errors" "$log" | tr -dc 0-9)
    lost=$(grep -E "(definitely|indirectly) lost: [1-9]" "$log")
    possibly=$(grep -o "possibly lost: [0-9,]* bytes" "$log")
    if [ "$errs" != 0 ] || [ -n "$lost" ]; then
        echo "FAIL  $cmd: $errs errors ${lost:+, $lost}"
        cat "$log"
        status=1
    else
        echo "ok    0 errors, 0 definitely/indirectly lost${possibly:+ ($possibly)}: $cmd"
    fi
done
if [ "$summaries" -lt 2 ] || [ "$killed" -ne "$expect_killed" ]; then
    echo "FAIL  expected at least 2 daemons with a valgrind summary and $expect_killed killed" \
         "on purpose; got $summaries and $killed"
    status=1
fi
echo "valgrind_daemon: $summaries daemon runs checked, $killed killed on purpose," \
     "status $status"
exit $status
