#!/usr/bin/env bash
# End-to-end test of `fairmatch verify` on rounds solved with extra
# constraints (school floors, employer spread, gender targets, stable
# tiers; placements and mentors), all real `fairmatch solve` runs on the
# sample region:
#   - every honest constrained round verifies (exit 0), with the policy
#     from --policy FILE, from INDIR/policy.json or from summary.json's
#     options, and the report names each constraint and each level; each
#     constrained side's envy_pairs_plain is the plain round's envy audit
#     (a MIP side and a network side, without stable_tiers);
#   - a plain round passed off as constrained (summary.json given the
#     constraint's options and a consistent "network" report, so that
#     everything else checks out) is rejected by the constraint check
#     alone, for each kind of constraint: floor, spread, gender target,
#     stable tiers (placements and mentors);
#   - tampering with an honest constrained round is rejected with a
#     message naming what is wrong: a pupil taken out so a school floor
#     breaks; a level's incumbent, bound or gap edited; a gap claimed 0
#     with a bound above the incumbent; a gap left without the time limit;
#     "network" claimed without a certificate; a constraint row's value or
#     slack edited; envy_pairs_plain negative, or edited on a network side; the constrained report removed; a policy file that
#     disagrees with summary.json;
#   - infeasible rounds (placement floors together, each school alone by
#     the employer spread, mentors floors): the solver's LP certificates
#     verify from the inputs; evidence removed, a need, a row's limit or
#     target edited, a row dropped, "who" moved to a school no certificate
#     covers, and a feasible 30 % floor claimed infeasible by a consistent
#     liar are each rejected; no certificate is reported as not re-derived.
#   verify_constraints_test.sh FAIRMATCH DATA_DIR
set -u
fm=$1
sample=$2/sample
. "$(dirname "$0")/cli_test_lib.sh"
in=$tmp/in           # the inputs, no policy.json: the policy comes from --policy
mkdir -p "$in" && cp "$sample"/*.csv "$in/"

solve() { # NAME POLICY-JSON ('' for none): solves into $tmp/NAME
  local name=$1 policy=()
  if [ -n "$2" ]; then echo "$2" >"$tmp/$name.json"; policy=(--policy "$tmp/$name.json"); fi
  "$fm" solve --students "$in/students.csv" --placements "$in/placements.csv" \
    --mentors "$in/mentors.csv" --schools "$in/schools.csv" --date 2027-06-14 \
    "${policy[@]}" --out "$tmp/$name" >"$tmp/$name.solve" 2>&1
  check "solve $name exits 0 ($(tail -2 "$tmp/$name.solve"))" test $? -eq 0
}
# honest NAME [ARGS...]: verify accepts $tmp/NAME with --policy $tmp/NAME.json
honest() {
  local name=$1 rc; shift
  "$fm" verify --policy "$tmp/$name.json" "$@" "$in" "$tmp/$name" >"$tmp/$name.out" 2>&1; rc=$?
  check "the honest $name round verifies (got $rc: $(head -c 600 "$tmp/$name.out"))" \
    test $rc -eq 0
}
# expect NAME DIR POLICY PATTERN...: verify exits 3 and stderr matches every
# PATTERN (POLICY '' for none)
expect() {
  local name=$1 dir=$2 policy=$3 rc pat; shift 3
  local args=()
  [ -n "$policy" ] && args=(--policy "$policy")
  "$fm" verify "${args[@]}" "$in" "$dir" >"$tmp/$name.vout" 2>"$tmp/$name.verr"; rc=$?
  check "$name: exit 3 (got $rc: $(head -c 300 "$tmp/$name.verr"))" test $rc -eq 3
  for pat in "$@"; do
    check "$name: a failure matches '$pat' (got: $(head -c 600 "$tmp/$name.verr"))" \
      grep -qE -- "$pat" "$tmp/$name.verr"
  done
}
# only NAME PATTERN: every failure line of the last expect NAME matches PATTERN
only() {
  check "$1: every failure is of the expected kind (got: $(head -c 600 "$tmp/$1.verr"))" \
    py 'import re, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if not l.startswith("fairmatch: ")]
assert lines and all(re.search(sys.argv[2], l) for l in lines), lines' "$tmp/$1.verr" "$2"
}
fresh() { rm -rf "$tmp/$1"; cp -r "$tmp/$2" "$tmp/$1"; }
jset() { # DIR PYTHON-CODE on s (DIR/summary.json), written back
  py 'import json, sys
s = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(s, open(sys.argv[1], "w"), indent=2)' "$1/summary.json" "$2"
}
# forge DIR SIDE OPTIONS-PYTHON-DICT: summary.json of a plain round made to
# claim the options, with a "network" constrained report consistent with
# its rows (the plain optimum meeting every constraint), as a liar would.
forge() {
  jset "$1" "
side = '$2'
s['options'].update($3)
o = s[side]['objective']
vec = [o['n1'], o['n2'], o['n3'], o['utility']]
s[side]['constrained'] = {
  'levels': [{'level': k + 1, 'name': n, 'value': vec[k], 'bound': vec[k], 'gap': 0.0,
              'method': 'network', 'seconds': 0.0}
             for k, n in enumerate(['n1', 'n2', 'n3', 'utility'])],
  'stopped_by_time_limit': False,
  'plain_vector': dict(o), 'cost_vs_plain': {k: 0 for k in o},
  'envy_pairs_plain': s[side]['envy']['pairs'],
  'constraints': [], 'model': {}}
s[side]['proof']['method'] = 'constrained: see constrained.levels'"
}

# ---- honest constrained rounds ----------------------------------------------
floor='{"school_floor_pct": 30}'
solve floor "$floor"
solve spread '{"employer_spread_max": 2}'
solve gender '{"gender_targets": [{"sector": "engineering", "gender": "F", "min_pct": 50}]}'
solve mfloor '{"mentors": {"school_floor_pct": 15}}'
# stable tiers on both sides: a MIP that the time limit stops (levels left
# with a gap or not optimised are part of what verify must accept)
solve stable '{"stable_tiers": true, "mentors": {"stable_tiers": true}, "time_limit_seconds": 2}'
solve all '{"school_floor_pct": 25, "employer_spread_max": 3, "gender_targets": [{"sector": "engineering", "gender": "F", "min_pct": 30}], "mentors": {"school_floor_pct": 10}}'
# loose: a spread the plain optimum meets (placements: method network) and a
# mentors floor of one pupil per school it does not (mentors: LP/MIP)
solve loose '{"employer_spread_max": 1000, "mentors": {"school_floor_pct": 0.001}}'
solve plain ''
for name in floor spread gender mfloor stable all loose; do honest $name; done
check "envy_pairs_plain is the plain round's envy audit on a MIP side and on a network side,
  without stable_tiers (it once read 0)" py '
import json, sys
plain, floor, loose = (json.load(open(sys.argv[k] + "/summary.json")) for k in (1, 2, 3))
pe, me = plain["placements"]["envy"]["pairs"], plain["mentors"]["envy"]["pairs"]
assert pe > 0 and me > 0, (pe, me)
f = floor["placements"]["constrained"]
assert f["levels"][0]["method"] != "network" and f["envy_pairs_plain"] == pe, (f, pe)
lp, lm = loose["placements"]["constrained"], loose["mentors"]["constrained"]
assert [l["method"] for l in lp["levels"]] == ["network"] * 4, lp["levels"]
assert lp["envy_pairs_plain"] == pe == loose["placements"]["envy"]["pairs"], (lp, pe)
assert lm["levels"][0]["method"] != "network" and lm["envy_pairs_plain"] == me, (lm, me)' \
  "$tmp/plain" "$tmp/floor" "$tmp/loose"
check "the floor round was changed by its floor (a MIP side, no certificate)" \
  grep -q "placements .*levels proven: by the solver's LP/MIP bounds" "$tmp/floor.out"
check "... the report names the constraint and the levels" sh -c "
  grep -q 'school floor 30%: [0-9]* schools, 0 below' '$tmp/floor.out' &&
  grep -qE 'level n1 +[0-9]+ = bound [0-9]+ \((MIP|LP), proven\)' '$tmp/floor.out' &&
  grep -q 'cannot be re-derived without solving' '$tmp/floor.out'"
check "... the mentors side, unconstrained, keeps its certificate" \
  grep -q "mentors .*levels proven: 1-4 (certificate)" "$tmp/floor.out"
check "the stable round names its envy recount on both sides" \
  test "$(grep -c 'stable tiers: 0 envy pairs' "$tmp/stable.out")" -eq 2
check "the mentor-floor round re-checks the mentors' floor" \
  grep -q "school floor 15%: [0-9]* schools, 0 below" "$tmp/mfloor.out"
check "the combined round re-checks every constraint" sh -c "
  grep -q 'school floor 25%' '$tmp/all.out' && grep -q 'employer spread <= 3' '$tmp/all.out' &&
  grep -q 'gender targets: 1, 0 missed' '$tmp/all.out' && grep -q 'school floor 10%' '$tmp/all.out'"
# the policy from INDIR/policy.json, and from summary.json's options alone
mkdir -p "$tmp/in2" && cp "$in"/*.csv "$tmp/in2/" && cp "$tmp/floor.json" "$tmp/in2/policy.json"
"$fm" verify "$tmp/in2" "$tmp/floor" >"$tmp/in2.out" 2>&1
check "INDIR/policy.json is the policy when there is no --policy ($(cat "$tmp/in2.out"))" \
  grep -q "policy: $tmp/in2/policy.json" "$tmp/in2.out"
"$fm" verify "$in" "$tmp/floor" >"$tmp/opt.out" 2>&1; rc=$?
check "without a policy file, summary.json's options are the policy (got $rc)" sh -c "
  test $rc -eq 0 && grep -q 'policy: the options recorded in summary.json' '$tmp/opt.out' &&
  grep -q 'school floor 30%' '$tmp/opt.out'"
"$fm" --json verify --policy "$tmp/floor.json" "$in" "$tmp/floor" >"$tmp/floor.jout" 2>&1
check "--json: one object saying verified, with the constraints and levels" py '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is True and o["n_failures"] == 0 and o["failures"] == [], o
p = o["placements"]
assert p["constraints"]["school_floor"]["pct"] == 30 and p["constraints"]["school_floor"]["below"] == 0
assert [l["name"] for l in p["levels"]] == ["n1", "n2", "n3", "utility"]
assert all(l["gap"] == 0 for l in p["levels"]), p["levels"]
assert o["mentors"]["levels_proven"] == "certificate"' "$tmp/floor.jout"

# ---- the floor's rounding, at the boundary: with f = the lowest placed share
# of any school (100 P / E, a float like 49.659863945578235) that school needs
# exactly ceil(f E / 100) = P and passes; with f + 0.0001 it needs P + 1.
read -r low_school low_p low_e low_f < <(py 'import json, sys
s = json.load(open(sys.argv[1]))["placements"]["by_school"]
k = min((v["placed"] / v["eligible"], k) for k, v in s.items() if v["eligible"])[1]
v = s[k]
print(k, v["placed"], v["eligible"], repr(100 * v["placed"] / v["eligible"]))' \
  "$tmp/floor/summary.json")
fresh edge floor
jset "$tmp/edge" "s['options']['school_floor_pct'] = $low_f
s['placements']['constrained']['constraints'] = []"
"$fm" verify "$in" "$tmp/edge" >"$tmp/edge.out" 2>&1
check "a floor of exactly $low_f% is met by $low_school's $low_p of $low_e ($(cat "$tmp/edge.out"))" \
  test $? -eq 0
jset "$tmp/edge" "s['options']['school_floor_pct'] = $low_f + 0.0001"
expect edge "$tmp/edge" "" \
  "^placements.csv: $low_school: school floor: $low_p of $low_e eligible applicants placed \([0-9.]+%\), below the floor of [0-9.]+% \(needs $((low_p + 1))\)"

# ---- plain rounds passed off as constrained: only the constraint check sees it
fresh pfloor plain
forge "$tmp/pfloor" placements '{"school_floor_pct": 30}'
"$fm" verify "$in" "$tmp/plain" >/dev/null 2>&1
check "the plain round itself verifies" test $? -eq 0
expect pfloor "$tmp/pfloor" "" \
  "^placements.csv: [A-Z0-9]+: school floor: [0-9]+ of [0-9]+ eligible applicants placed \([0-9.]+%\), below the floor of 30% \(needs [0-9]+\)"
only pfloor "school floor: "

fresh pspread plain
forge "$tmp/pspread" placements '{"employer_spread_max": 2}'
echo '{"employer_spread_max": 2}' >"$tmp/pspread.json"
expect pspread "$tmp/pspread" "$tmp/pspread.json" \
  "^placements.csv: SCH[0-9]+: employer spread: [0-9]+ pupils of the school placed with employer EMP[0-9]+, more than the 2 allowed"
only pspread "employer spread: "

# a gender target 10 points above the plain round's share of girls in engineering
share=$(py 'import csv, sys
sec = {r["placement_ref"]: r["sector"] for r in csv.DictReader(open(sys.argv[1]))}
gen = {r["student_ref"]: r["gender"] for r in csv.DictReader(open(sys.argv[2]))}
placed = [gen[r["student_ref"]] for r in csv.DictReader(open(sys.argv[3]))
          if r["placement_ref"] and sec[r["placement_ref"]] == "engineering"]
print(int(100 * placed.count("F") / len(placed)))' "$in/placements.csv" "$in/students.csv" \
  "$tmp/plain/placements.csv")
target=$((share + 10))
gt="{\"gender_targets\": [{\"sector\": \"engineering\", \"gender\": \"F\", \"min_pct\": $target}]}"
echo "$gt" >"$tmp/pgender.json"
fresh pgender plain
forge "$tmp/pgender" placements "$gt"
expect pgender "$tmp/pgender" "$tmp/pgender.json" \
  "^placements.csv: engineering: gender target: [0-9]+ of the [0-9]+ pupils placed in sector engineering are F \([0-9.]+%\), below the target of $target%"
only pgender "gender target: "

for side in placements mentors; do
  if [ $side = placements ]; then opt='{"stable_tiers": True}'; else opt='{"mentors": {"stable_tiers": True}}'; fi
  fresh "penvy_$side" plain
  forge "$tmp/penvy_$side" $side "$opt"
  expect "penvy_$side" "$tmp/penvy_$side" "" \
    "^$side.csv:[0-9]+: S[0-9]+: justified envy \(stable_tiers\): this tier-[12] pupil is eligible for (placement|mentor) [A-Z0-9]+ \(utility [0-9]+; it got [^)]*\), which holds tier-[23] pupil S[0-9]+" \
    "^$side.csv: stable_tiers: [0-9]+ justified-envy pairs in all \(by [0-9]+ pupils\); the policy allows none"
  only "penvy_$side" "stable_tiers"
done

# ---- tampering with honest constrained rounds -----------------------------------
# a pupil of a school exactly at its floor taken out (reason outcompeted)
read -r tight_school < <(py 'import json, sys
s = json.load(open(sys.argv[1]))
print([r["who"].split()[1] for r in s["placements"]["constrained"]["constraints"]
       if r["kind"] == "school_floor" and r["tight"]][0])' "$tmp/floor/summary.json")
fresh outfloor floor
py 'import csv, sys
path, school = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
r = [r for r in rows if r["school_ref"] == school and r["placement_ref"]][0]
for k in ("placement_ref", "employer_ref", "rank", "distance_km", "utility"):
    r[k] = ""
r["reason"] = "outcompeted"
w = csv.DictWriter(open(path, "w", newline=""), fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader(); w.writerows(rows)' "$tmp/outfloor/placements.csv" "$tight_school"
expect outfloor "$tmp/outfloor" "$tmp/floor.json" \
  "^placements.csv: $tight_school: school floor: 0 of [0-9]+ eligible applicants placed \(0.0%\), below the floor of 30% \(needs 1\)" \
  "^summary.json: placements.constrained.levels\[[0-9]\] \([a-z0-9]+\): the incumbent is [0-9]+; the rows of placements.csv give"

mip() { # NAME PYTHON-CODE (on L = s["placements"]["constrained"]["levels"]) PATTERN
  fresh "$1" floor
  jset "$tmp/$1" "L = s['placements']['constrained']['levels']
$2"
  expect "$1" "$tmp/$1" "$tmp/floor.json" "$3"
}
mip incumbent "L[1]['value'] += 1; L[1]['bound'] += 1" \
  "^summary.json: placements.constrained.levels\[1\] \(n2\): the incumbent is [0-9]+; the rows of placements.csv give"
mip lowbound "L[0]['bound'] = L[0]['value'] - 1" \
  "^summary.json: placements.constrained.levels\[0\] \(n1\): the bound [0-9]+ is below the incumbent [0-9]+"
mip gap "L[3]['gap'] = 0.01" \
  "^summary.json: placements.constrained.levels\[3\] \(utility\): gap 0.01, but \(bound - incumbent\) / max\(1, \|bound\|\) = "
mip claimproven "L[2]['bound'] += 5" \
  "^summary.json: placements.constrained.levels\[2\] \(n3\) claims gap 0 \(proven\) but its bound [0-9]+ is not the incumbent"
mip opengap "L[3]['bound'] += 100; L[3]['gap'] = 100 / L[3]['bound']" \
  "^summary.json: placements.constrained.levels\[3\] \(utility\) is left with bound [0-9]+ above the incumbent [0-9]+, but stopped_by_time_limit is false"
mip none "L[2].update(method='none', bound=None, gap=None)" \
  "^summary.json: placements.constrained.levels\[2\] \(n3\) was not optimised \(method none\) but stopped_by_time_limit is false"
mip network "[l.update(method='network') for l in L]" \
  "^summary.json: placements: every level says method network .* but certificate.csv has no rows for this side"
mip cost "s['placements']['constrained']['cost_vs_plain']['utility'] += 1" \
  "^summary.json: placements.constrained.cost_vs_plain.utility is [-0-9]+; plain_vector minus the rows' vector is"
mip better "s['placements']['constrained']['plain_vector']['n2'] -= 5; s['placements']['constrained']['cost_vs_plain']['n2'] -= 5" \
  "^summary.json: placements: the rows' n2 \([0-9]+\) is above the plain optimum's"
mip prooflevels "s['placements']['proof']['levels'][3]['bound'] += 3" \
  "^summary.json: placements.proof.levels\[3\] says value [0-9]+, bound [0-9]+; the rows and constrained.levels give"
mip row "s['placements']['constrained']['constraints'][0]['value'] += 2" \
  "^summary.json: placements.constrained.constraints\[0\] \(school_floor, school [A-Z0-9]+\) says [0-9]+ \(limit [0-9]+\); the rows give"
mip slack "r = s['placements']['constrained']['constraints'][0]; r['slack'] = 0.0; r['tight'] = True" \
  "^summary.json: placements.constrained.constraints\[0\] \(school_floor, school [A-Z0-9]+\) says slack 0, tight true; the rows give slack [0-9]+, tight false"
mip noreport "del s['placements']['constrained']" \
  "^summary.json: placements: the policy puts extra constraints on this side but summary.json has no placements.constrained report"
mip envyneg "s['placements']['constrained']['envy_pairs_plain'] = -1" \
  "^summary.json: placements.constrained.envy_pairs_plain must be the plain optimum's number of justified-envy pairs"
# on a network side the rows are the plain optimum: its envy count is recounted
fresh envyplain loose
jset "$tmp/envyplain" "s['placements']['constrained']['envy_pairs_plain'] += 1"
expect envyplain "$tmp/envyplain" "$tmp/loose.json" \
  "^summary.json: placements.constrained.envy_pairs_plain is [0-9]+; every level says method network, so the rows are the plain optimum, and they have [0-9]+ justified-envy pairs"
only envyplain "envy_pairs_plain"

# a policy file that disagrees with what summary.json says the round was solved with
echo '{"school_floor_pct": 40}' >"$tmp/floor40.json"
expect mismatch "$tmp/floor" "$tmp/floor40.json" \
  "^summary.json: options.school_floor_pct is 30; the policy \($tmp/floor40.json\) says 40"
# --json on a rejected round: the failures in the object, exit 3
"$fm" verify --json --policy "$tmp/floor40.json" "$in" "$tmp/floor" >"$tmp/mm.jout" 2>/dev/null
check "--json: exit 3 with verified false and the failures (got $?)" py '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is False and o["n_failures"] >= 1, o
assert any("school_floor_pct is 30" in f["message"] for f in o["failures"]), o["failures"]' \
  "$tmp/mm.jout"

# ---- infeasible rounds: the solver's evidence, re-checked from the inputs -------
isolve() { # NAME POLICY-JSON: a round whose floors cannot be met (solve exits 3)
  echo "$2" >"$tmp/$1.json"
  "$fm" solve --students "$in/students.csv" --placements "$in/placements.csv" \
    --mentors "$in/mentors.csv" --schools "$in/schools.csv" --date 2027-06-14 \
    --policy "$tmp/$1.json" --out "$tmp/$1" >"$tmp/$1.solve" 2>&1
  local rc=$?
  check "$1 is infeasible (exit 3, got $rc; $(tail -1 "$tmp/$1.solve"))" test $rc -eq 3
}
isolve inf60 '{"school_floor_pct": 60}'                             # the floors together
isolve infspread '{"school_floor_pct": 45, "employer_spread_max": 1}' # schools alone, by spread
isolve infm30 '{"mentors": {"school_floor_pct": 30}}'                # mentors
for name in inf60 infspread infm30; do
  honest $name
  check "$name: the infeasibility is proven from the inputs ($(head -c 400 "$tmp/$name.out"))" \
    grep -q "cannot be met, proven from the inputs" "$tmp/$name.out"
done
check "infspread's certificates are per school with employer-spread rows, inf60's is joint" py '
import json, sys
a = json.load(open(sys.argv[1]))["evidence"]; b = json.load(open(sys.argv[2]))["evidence"]
assert len(a["certificates"]) == 3 and all(len(c["schools"]) == 1 for c in a["certificates"]), a
assert all(any(r["kind"] == "employer_spread" for r in c["rows"]) for c in a["certificates"]), a
assert len(b["certificates"]) == 1 and len(b["certificates"][0]["schools"]) > 1, b
assert all(c["most"] < c["needed"] for c in a["certificates"] + b["certificates"])' \
  "$tmp/infspread/summary.json" "$tmp/inf60/summary.json"
"$fm" --json verify --policy "$tmp/inf60.json" "$in" "$tmp/inf60" >"$tmp/inf60.jout" 2>&1
check "--json: an infeasible round's evidence, proven from the inputs" py '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is True and o["infeasible"]["certificates_proving"] == 1, o
assert o["infeasible"]["proven"].startswith("from the inputs"), o' "$tmp/inf60.jout"

ijset() { fresh "$1" "$2"; jset "$tmp/$1" "E = s['evidence']; C = E['certificates']
$3"; }
ijset inone inf60 "del s['evidence']"
expect inone "$tmp/inone" "$tmp/inf60.json" "^summary.json: the round is infeasible \(school_floor_pct, school_ref SCH[0-9]+\) but summary.json has no evidence to re-check"
ijset ineed inf60 "C[0]['schools'][0]['need'] += 1"
expect ineed "$tmp/ineed" "$tmp/inf60.json" "^summary.json: SCH[0-9]+: evidence.certificates\[0\]: the school has [0-9]+ eligible applicants needing [0-9]+ placed, say the inputs under a floor of 60%"
ijset ilimit inf60 "C[0]['rows'][0]['limit'] += 3"
expect ilimit "$tmp/ilimit" "$tmp/inf60.json" "^summary.json: PL[0-9]+: evidence.certificates\[0\]: a capacity row with limit [0-9]+; the inputs give"
ijset irow inf60 "del C[0]['rows'][0]"
expect irow "$tmp/irow" "$tmp/inf60.json" "^summary.json: evidence.certificates\[0\].most is [0-9.]+; recounted from the inputs it is"
ijset ighost inf60 "C[0]['rows'][0]['ref'] = 'PL999999'"
expect ighost "$tmp/ighost" "$tmp/inf60.json" "^summary.json: evidence.certificates\[0\]: PL999999 is not a target of this side"
ijset iwho infspread "s['who'] = 'school_ref OUT001'"
expect iwho "$tmp/iwho" "$tmp/infspread.json" "^summary.json: who is \"school_ref OUT001\", but no certificate that proves the floors impossible has that school"
# a feasible round (30 %) claimed infeasible by a consistent liar: options,
# floor and every need and total recomputed for 30 %, the rows kept
ijset ilie inf60 "import math
s['options']['school_floor_pct'] = 30
E['floor_pct'] = 30
for c in C:
    for k in c['schools']:
        k['need'] = math.ceil(30 * k['eligible'] / 100 - 1e-9)
    c['needed'] = sum(k['weight'] * k['need'] for k in c['schools'])"
expect ilie "$tmp/ilie" "$tmp/floor.json" "^summary.json: evidence.certificates\[0\] does not prove the floors impossible: its rows and pupils allow [0-9.]+ weighted placements and the floors need [0-9.]+"
only ilie "does not prove|no certificate that proves"
expect ipolicy "$tmp/inf60" "$tmp/floor.json" "^summary.json: options.school_floor_pct is 60; the policy \($tmp/floor.json\) says 30"
# no certificate (as for floors that only integrality, gender targets or
# stability make impossible): reported as the solver's claim, not re-derived
ijset icert inf60 "E['certificates'] = []"
"$fm" verify --policy "$tmp/inf60.json" "$in" "$tmp/icert" >"$tmp/icert.out" 2>&1
check "without a certificate: verified, said not re-derived (got $?: $(cat "$tmp/icert.out"))" \
  grep -q "no LP certificate; the solver's" "$tmp/icert.out"

echo -n "verify_constraints_test: "
finish
