#!/usr/bin/env bash
# End-to-end test of a round's extra constraints through both front ends.
# `fairmatch solve` with a policy file: a feasible school floor solves
# (exit 0) and its summary.json has the "constrained" report (levels,
# slacks, model); an impossible floor exits 3 naming the school, with
# summary.json {"status": "infeasible"} and no result CSVs.  Then the same
# two policy files through the real fairmatchd (loopback port, temporary
# database, the sample region imported with the client): `round run
# --policy` gives the same vectors as `fairmatch solve`, `round show`
# lists the constraints, `round export` writes files that `fairmatch
# verify` accepts with the policy from their summary.json (the floor and
# spread re-checked on the rows), and the impossible floor makes the round fail
# with "infeasible:" and the school's ref.  Leaves nothing behind.
#   cli_constraints_test.sh FAIRMATCH FAIRMATCHD DATA_DIR
set -u
fm=$1
fmd=$2
data=$3/sample
date=2027-06-14
. "$(dirname "$0")/cli_test_lib.sh"
inputs=(--students "$data/students.csv" --placements "$data/placements.csv"
        --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date $date)
echo '{"school_floor_pct": 30, "employer_spread_max": 3}' >"$tmp/ok.json"
echo '{"school_floor_pct": 60}' >"$tmp/bad.json"

# ---- fairmatch solve ----
"$fm" solve "${inputs[@]}" --policy "$tmp/ok.json" --out "$tmp/ok" >"$tmp/ok.out" 2>&1; rc=$?
check "solve with a feasible floor exits 0 (got $rc: $(cat "$tmp/ok.out"))" test $rc -eq 0
check "summary has the constrained report" py '
import json, sys
s = json.load(open(sys.argv[1]))["placements"]
c = s["constrained"]
assert [l["name"] for l in c["levels"]] == ["n1", "n2", "n3", "utility"]
assert all(l["value"] == l["bound"] for l in c["levels"]), c["levels"]
kinds = {r["kind"] for r in c["constraints"]}
assert "school_floor" in kinds and "employer_spread" in kinds, kinds
assert all(r["slack"] >= 0 for r in c["constraints"])
assert c["model"]["pairs_in_model"] <= c["model"]["pairs_total"]
assert s["proof"]["optimal"] is True
o = s["objective"]
assert [o["n1"], o["n2"], o["n3"], o["utility"]] == [c["levels"][k]["value"] for k in range(4)]
' "$tmp/ok/summary.json"

"$fm" solve "${inputs[@]}" --policy "$tmp/bad.json" --out "$tmp/bad" >"$tmp/bad.out" 2>&1; rc=$?
check "solve with an impossible floor exits 3 (got $rc)" test $rc -eq 3
check "the message names the constraint and a school" \
  grep -q "school_floor_pct: .*school SCH[0-9]*" "$tmp/bad.out"
check "summary.json says infeasible" py '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "infeasible" and s["constraint"] == "school_floor_pct", s
assert s["who"].startswith("school_ref "), s
' "$tmp/bad/summary.json"
check "no result CSVs for an infeasible round" test ! -e "$tmp/bad/placements.csv"

# ---- through the daemon ----
db=$tmp/fm.db
coord=$("$fm" token create --db "$db" --role coordinator 2>/dev/null)
check "token create" test -n "$coord"
start_daemon "$fmd" "$db"
export FAIRMATCH_TOKEN=$coord
for kind in schools students placements mentors; do
  "$fm" import $kind "$data/$kind.csv" >/dev/null 2>"$tmp/import.err"
  check "import $kind ($(cat "$tmp/import.err"))" test $? -eq 0
done

"$fm" round run --date $date --policy "$tmp/ok.json" >"$tmp/run.out" 2>&1; rc=$?
check "round run with constraints exits 0 (got $rc: $(cat "$tmp/run.out"))" test $rc -eq 0
check "the daemon's vectors equal fairmatch solve's" py '
import sys
want = [l for l in open(sys.argv[1]) if l.startswith(("placements ", "mentors "))]
got = [l for l in open(sys.argv[2]) if l.startswith(("placements ", "mentors "))]
vec = lambda l: l.split("(")[0].split()
assert [vec(l) for l in want] == [vec(l) for l in got], (want, got)
' "$tmp/ok.out" "$tmp/run.out"
id=$(sed -n 's/^round \([0-9]*\): .*/\1/p' "$tmp/run.out" | head -1)
"$fm" round show "$id" >"$tmp/show.out" 2>&1
check "round show lists the constraints" grep -q '^constraints .*school_floor_pct' "$tmp/show.out"
# the exported round verifies, its policy taken from the options its summary records
"$fm" round export "$id" --out "$tmp/export" >/dev/null 2>"$tmp/export.err"
check "round export of the constrained round ($(cat "$tmp/export.err"))" test $? -eq 0
"$fm" verify "$data" "$tmp/export" >"$tmp/verify.out" 2>&1; rc=$?
check "fairmatch verify accepts the exported round (got $rc: $(head -c 600 "$tmp/verify.out"))" \
  test $rc -eq 0
check "... re-checking the floor and spread from summary.json's options" sh -c "
  grep -q 'policy: the options recorded in summary.json' '$tmp/verify.out' &&
  grep -q 'school floor 30%: [0-9]* schools, 0 below; employer spread <= 3' '$tmp/verify.out'"

"$fm" round run --date $date --policy "$tmp/bad.json" >"$tmp/run2.out" 2>&1; rc=$?
check "round run with an impossible floor fails (got $rc)" test $rc -eq 1
check "the failure says infeasible and names a school" \
  grep -q "infeasible: school_floor_pct, school_ref SCH[0-9]*" "$tmp/run2.out"

echo '{"school_floor_pct": 130}' >"$tmp/wrong.json"
"$fm" round run --date $date --policy "$tmp/wrong.json" >"$tmp/run3.out" 2>&1; rc=$?
check "a floor over 100% is bad input (exit 2, got $rc)" test $rc -eq 2

kill -TERM "$daemon"
wait "$daemon"
daemon=
finish
