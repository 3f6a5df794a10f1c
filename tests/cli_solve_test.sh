#!/usr/bin/env bash
# End-to-end test of `fairmatch solve` on the bundled sample region:
# exit codes, the four result files, determinism (byte-identical CSVs over
# two runs), and bad input (exit 2, a message naming file, line and field,
# and no result files written).
#   cli_solve_test.sh FAIRMATCH DATA_DIR
set -u
fm=$1
data=$2/sample
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
run() { "$fm" solve --students "$data/students.csv" --placements "$data/placements.csv" \
        --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date 2027-06-14 "$@"; }

run --out "$tmp/a" >"$tmp/a.out" 2>"$tmp/a.err"; rc=$?
check "solve exits 0 (got $rc: $(cat "$tmp/a.err"))" test $rc -eq 0
for f in placements.csv mentors.csv summary.json report.html; do
  check "writes $f" test -s "$tmp/a/$f"
done
check "placements header" grep -qx 'student_ref,school_ref,tier,placement_ref,employer_ref,rank,distance_km,utility,reason' "$tmp/a/placements.csv"
check "mentors header" grep -qx 'student_ref,school_ref,tier,mentor_ref,rank,distance_km,utility,reason' "$tmp/a/mentors.csv"
check "summary has the objectives" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
for side in ("placements", "mentors"):
    o = s[side]["objective"]
    assert all(isinstance(o[k], int) for k in ("n1", "n2", "n3", "utility")), o
    assert s[side]["proof"]["optimal"] is True
' "$tmp/a/summary.json"
check "one placements row per pupil who asked" /usr/bin/python3 -c '
import csv, sys
students = list(csv.DictReader(open(sys.argv[1])))
asked = [s["student_ref"] for s in students if s.get("wants_placement", "1") not in ("0", "false", "no")]
rows = list(csv.DictReader(open(sys.argv[2])))
assert [r["student_ref"] for r in rows] == asked, (len(rows), len(asked))
for r in rows:
    assert (r["placement_ref"] == "") != (r["reason"] == ""), r
    assert r["reason"] in ("", "outcompeted") or r["reason"].startswith("no_eligible:"), r
' "$data/students.csv" "$tmp/a/placements.csv"

run --out "$tmp/b" >/dev/null 2>&1
check "same input, same placements.csv" cmp -s "$tmp/a/placements.csv" "$tmp/b/placements.csv"
check "same input, same mentors.csv" cmp -s "$tmp/a/mentors.csv" "$tmp/b/mentors.csv"

# Bad input: a student born on 30 February, on line 4.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "birth_date") c = i }
         NR == 4 { $c = "2011-02-30" } { print }' OFS=, "$data/students.csv" >"$tmp/bad.csv"
"$fm" solve --students "$tmp/bad.csv" --placements "$data/placements.csv" --date 2027-06-14 \
  --out "$tmp/bad" >/dev/null 2>"$tmp/bad.err"; rc=$?
check "bad input exits 2 (got $rc)" test $rc -eq 2
check "error names file, line and field: $(cat "$tmp/bad.err")" grep -q 'bad.csv:4:[0-9]*: birth_date' "$tmp/bad.err"
check "bad input writes nothing" test ! -e "$tmp/bad"

"$fm" solve --students "$data/students.csv" >/dev/null 2>&1; rc=$?
check "missing options exit 2" test $rc -eq 2
"$fm" solve --students "$tmp/none.csv" --placements "$data/placements.csv" --out "$tmp/c" \
  >/dev/null 2>"$tmp/none.err"; rc=$?
check "missing file exits 2 or 1 and names it" grep -q 'none.csv' "$tmp/none.err"
"$fm" solve --students "$data/students.csv" --placements "$data/placements.csv" --date 2027-02-30 \
  --out "$tmp/d" >/dev/null 2>&1; rc=$?
check "bad --date exits 2" test $rc -eq 2

echo "$passes passed, $fails failed"
test $fails -eq 0
