#!/usr/bin/env bash
# Runs the README's tutorial, exactly as written: every ```sh block between
# <!-- tutorial:begin --> and <!-- tutorial:end --> in README.md, in order,
# as one bash script (set -euo pipefail) in an empty directory holding the
# four sample CSV files, with the built fairmatch and fairmatchd first on
# PATH.  The only change is the port: 7433 becomes a free one, so the test
# can run beside others.  Then checks what the tutorial promises: the
# coordinator's four files, the school's two with only its pupils, the
# employer's one file, the decisions in the rerun (confirmed kept, declined
# re-allocated), round 2 done, and the daemon stopped.  Leaves nothing
# behind (the daemon is killed if a step fails).
#   tutorial_test.sh README.md FAIRMATCH FAIRMATCHD DATA_DIR
set -u
readme=$1
fm=$(realpath "$2")
fmd=$(realpath "$3")
data=$4/sample
. "$(dirname "$0")/cli_test_lib.sh"   # $tmp, check, cleanup of $tmp and $daemon

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/bin" "$tmp/work"
ln -s "$fm" "$tmp/bin/fairmatch"
ln -s "$fmd" "$tmp/bin/fairmatchd"
cp "$data"/students.csv "$data"/placements.csv "$data"/mentors.csv "$data"/schools.csv "$tmp/work/"
{
  echo 'set -euo pipefail'
  echo 'trap '\''[ -n "${DAEMON_PID:-}" ] && kill "$DAEMON_PID" 2>/dev/null; true'\'' EXIT'
  awk '/<!-- tutorial:begin -->/ { on = 1 } /<!-- tutorial:end -->/ { on = 0 }
       on && /^```sh$/ { code = 1; next } code && /^```$/ { code = 0; next }
       on && code { print }' "$readme" | sed "s/127\.0\.0\.1:7433/127.0.0.1:$port/g"
} >"$tmp/tutorial.sh"
n_cmds=$(grep -c . "$tmp/tutorial.sh")
check "the tutorial has commands to run ($n_cmds lines)" test "$n_cmds" -gt 25
(cd "$tmp/work" && PATH="$tmp/bin:$PATH" bash "$tmp/tutorial.sh") >"$tmp/out" 2>"$tmp/err"; rc=$?
check "every tutorial command works (rc $rc; stderr: $(tail -n 5 "$tmp/err"))" test $rc -eq 0

w=$tmp/work
for f in placements.csv mentors.csv summary.json report.html; do
  check "results/$f" test -s "$w/results/$f"
  check "published/$f" test -s "$w/published/$f"
done
check "the school's export holds its two files only" \
  test "$(ls "$w/school" | tr '\n' ' ')" = "mentors.csv placements.csv "
check "... and only SCH0001 pupils" sh -c \
  "test \$(awk -F, 'FNR > 1 && \$2 != \"SCH0001\"' '$w/school/placements.csv' '$w/school/mentors.csv' | wc -l) -eq 0"
check "the employer's export is its placements.csv" test "$(ls "$w/employer")" = placements.csv
check "... with the employer's columns" \
  grep -qx 'pupil_ref,age_band,needs_access,school_name,placement_ref,state' "$w/employer/placements.csv"
check "the output shows round 1 and round 2 done" \
  sh -c "grep -q '^round 1: done' '$tmp/out' && grep -q '^round 2: done' '$tmp/out'"
# The decisions: the school's first pupil keeps the placement in round 2.
first=$(awk -F, 'NR > 1 && $4 != "" { print $1 }' "$w/school/placements.csv" | sed -n 1p)
row1=$(awk -F, -v s="$first" '$1 == s { print $4 }' "$w/results/placements.csv")
row2=$(awk -F, -v s="$first" '$1 == s { print $4 }' "$w/published/placements.csv")
check "the confirmed pupil $first keeps $row1 in the rerun (got $row2)" \
  sh -c "test -n '$row1' && test '$row1' = '$row2'"
check "round 2 --json holds the same vector as its text" /usr/bin/python3 -c '
import json, re, sys
out = open(sys.argv[1]).read()
j = json.loads([l for l in out.splitlines() if l.startswith("{\"round\":2")][0])
m = re.search(r"^round 2: done.*\nplacements n1=(\d+) n2=(\d+) n3=(\d+) utility=(\d+)", out, re.M)
v = j["placements"]
assert m and [v["n1"], v["n2"], v["n3"], v["utility"]] == [int(x) for x in m.groups()], (m, v)
' "$tmp/out"
check "the daemon was stopped by the tutorial's last step" \
  sh -c "! /usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $port), 1)' 2>/dev/null"

finish
