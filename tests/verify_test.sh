#!/usr/bin/env bash
# End-to-end test of `fairmatch verify INDIR OUT`: a genuine round on the
# sample region verifies (exit 0); each kind of tampering with its files is
# rejected with exit 3 and a message naming the file, the line and the ref
# and saying what is wrong; bad usage and unreadable inputs exit 2.  The
# reserve and eligibility cases use the hand-made region in data/verify
# (one pupil and one placement per rule).
#   verify_test.sh FAIRMATCH DATA_DIR
set -u
fm=$1
sample=$2/sample
small=$2/verify
py=/usr/bin/python3
tmp=$(mktemp -d)
[ -n "${FM_KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# tamper FILE STUDENT_REF COLUMN=VALUE...: edits the row of STUDENT_REF (or,
# with STUDENT_REF "-", deletes nothing and edits nothing; "DELETE" as the
# only change deletes the row).
tamper() {
  "$py" - "$@" <<'PY'
import csv, sys
path, ref, changes = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = list(csv.reader(open(path, newline="")))
head, body = rows[0], rows[1:]
out, hit = [head], False
for r in body:
    if r[0] == ref:
        hit = True
        if changes == ["DELETE"]:
            continue
        for c in changes:
            k, v = c.split("=", 1)
            r[head.index(k)] = v
    out.append(r)
assert hit, ref
csv.writer(open(path, "w", newline=""), lineterminator="\n").writerows(out)
PY
}
jset() { # FILE PYTHON-EXPRESSION on s (the summary), written back
  "$py" - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(s, open(sys.argv[1], "w"), indent=2)
PY
}
# expect NAME DIR INDIR PATTERN: verify exits 3 and stderr matches PATTERN
expect() {
  local name=$1 dir=$2 in=$3 pat=$4 rc
  "$fm" verify "$in" "$dir" >"$tmp/$name.out" 2>"$tmp/$name.err"; rc=$?
  check "$name: exit 3 (got $rc: $(head -c 300 "$tmp/$name.err"))" test $rc -eq 3
  check "$name: message matches '$pat' (got: $(head -c 400 "$tmp/$name.err"))" \
    grep -qE -- "$pat" "$tmp/$name.err"
}
fresh() { rm -rf "$tmp/$1"; cp -r "$2" "$tmp/$1"; }

# ---- the genuine round ------------------------------------------------------
"$fm" solve --students "$sample/students.csv" --placements "$sample/placements.csv" \
  --mentors "$sample/mentors.csv" --schools "$sample/schools.csv" --date 2027-06-14 \
  --out "$tmp/good" >/dev/null 2>&1
check "solve writes certificate.csv" test -s "$tmp/good/certificate.csv"
check "solve writes explanations.csv" test -s "$tmp/good/explanations.csv"
check "summary.json does not carry the certificate text" \
  sh -c "! grep -q certificate_csv '$tmp/good/summary.json'"
"$fm" verify "$sample" "$tmp/good" >"$tmp/good.out" 2>"$tmp/good.err"; rc=$?
check "a genuine round verifies (got $rc: $(cat "$tmp/good.err"))" test $rc -eq 0
check "the report says verified with both vectors" \
  sh -c "grep -q '^verified:' '$tmp/good.out' && grep -q 'placements n1=' '$tmp/good.out' && grep -q 'levels proven: 1-4' '$tmp/good.out'"

# pick rows to tamper with from the round itself
read -r matched mtarget munit < <("$py" -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["placement_ref"] and r["distance_km"]:
        print(r["student_ref"], r["placement_ref"], r["utility"]); break' "$tmp/good/placements.csv")
read -r outc outc_target < <("$py" -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["side"] == "placements" and r["kind"] == "outcompeted" and r["cause"] == "full":
        print(r["student_ref"], r["target_ref"]); break' "$tmp/good/explanations.csv")
read -r envier envied < <("$py" -c '
import json, sys
s = json.load(open(sys.argv[1]))
e = [x for x in s["placements"]["envy"]["examples"] if x["utility_got"] > 0][0]
print(e["student_ref"], e["target_ref"])' "$tmp/good/summary.json")
check "the sample has a matched row, an outcompeted pupil and an envy example" \
  test -n "$matched" -a -n "$outc" -a -n "$envier"

# a changed placement: another placement the pupil may not take
fresh changed "$tmp/good"
other=$(awk -F, -v t="$mtarget" 'NR>1 && $1!=t {print $1; exit}' "$sample/placements.csv")
tamper "$tmp/changed/placements.csv" "$matched" placement_ref="$other"
expect changed "$tmp/changed" "$sample" "^placements.csv:[0-9]+: $matched: "

# a utility edited
fresh utility "$tmp/good"
tamper "$tmp/utility/placements.csv" "$matched" utility=$((munit + 1))
expect utility "$tmp/utility" "$sample" "^placements.csv:[0-9]+: $matched: utility: written $((munit + 1)), the inputs give $munit"

# a pupil moved to a full placement (one it is eligible for and prefers)
fresh moved "$tmp/good"
tamper "$tmp/moved/placements.csv" "$envier" placement_ref="$envied" \
  employer_ref="$(awk -F, -v t="$envied" '$1==t {print $2}' "$sample/placements.csv")"
expect moved "$tmp/moved" "$sample" "^placements.csv: $envied: holds [0-9]+ pupils; its capacity is [0-9]+"

# an unmatched pupil made matched (into its best placement, which is full)
fresh unmatched "$tmp/good"
tamper "$tmp/unmatched/placements.csv" "$outc" placement_ref="$outc_target" reason= \
  employer_ref="$(awk -F, -v t="$outc_target" '$1==t {print $2}' "$sample/placements.csv")"
expect unmatched "$tmp/unmatched" "$sample" "$outc_target: holds [0-9]+ pupils; its capacity is"

# a row deleted
fresh deleted "$tmp/good"
tamper "$tmp/deleted/placements.csv" "$matched" DELETE
expect deleted "$tmp/deleted" "$sample" "^placements.csv: $matched: the pupil asked for a placement and has no row"

# a reason changed
fresh reason "$tmp/good"
tamper "$tmp/reason/placements.csv" "$outc" reason=no_eligible:distance
expect reason "$tmp/reason" "$sample" "^placements.csv:[0-9]+: $outc: reason is \"no_eligible:distance\"; the inputs give \"outcompeted\""

# the vector edited
fresh vector "$tmp/good"
jset "$tmp/vector/summary.json" 's["placements"]["objective"]["utility"] += 7'
expect vector "$tmp/vector" "$sample" "^summary.json: placements.objective.utility is [0-9]+; the rows of placements.csv give"

# the certificate edited to claim a false bound (a pool potential, a cut)
fresh potential "$tmp/good"
"$py" - "$tmp/potential/certificate.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    f = l.split(",")
    if f[0] == "placements" and f[1] == "general":
        f[4] = str(int(f[4]) - 40); lines[i] = ",".join(f); break
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
expect potential "$tmp/potential" "$sample" "^certificate.csv: placements: certificate: level 4 not proven"
fresh cut "$tmp/good"
sed -i '0,/^placements,general,\([^,]*\),123,/s//placements,general,\1,,/' "$tmp/cut/certificate.csv"
expect cut "$tmp/cut" "$sample" "^certificate.csv: placements: certificate: level [123] not proven"
fresh bound "$tmp/good"
jset "$tmp/bound/summary.json" 's["placements"]["proof"]["levels"][3]["bound"] += 100'
expect bound "$tmp/bound" "$sample" "^summary.json: placements.proof.levels\[3\] says value"
fresh nocert "$tmp/good"
rm "$tmp/nocert/certificate.csv"
expect nocert "$tmp/nocert" "$sample" "^certificate.csv: .*cannot"

# ---- reserves and each eligibility rule, on the hand-made region ----------
"$fm" solve --students "$small/students.csv" --placements "$small/placements.csv" \
  --mentors "$small/mentors.csv" --date 2027-06-14 --out "$tmp/small" >/dev/null 2>&1
"$fm" verify "$small" "$tmp/small" >/dev/null 2>&1; rc=$?
check "the hand-made round verifies (got $rc)" test $rc -eq 0
# PR has 2 seats, 1 reserved: at most one tier-3 pupil (V02 holds it)
fresh reserve "$tmp/small"
tamper "$tmp/reserve/placements.csv" V04 placement_ref= employer_ref= rank= distance_km= utility= reason=outcompeted
tamper "$tmp/reserve/placements.csv" V01 placement_ref=PR employer_ref=E1
expect reserve "$tmp/reserve" "$small" "^placements.csv: PR: holds 2 tier-3 pupils; with its reserved seats at most 1"
rule_case() { # NAME FILE STUDENT TARGET EMPLOYER PATTERN
  fresh "$1" "$tmp/small"
  if [ "$2" = placements.csv ]; then
    tamper "$tmp/$1/$2" "$3" placement_ref="$4" employer_ref="$5"
  else
    tamper "$tmp/$1/$2" "$3" mentor_ref="$4" rank=1 distance_km=0.000 utility=500 reason=
  fi
  expect "$1" "$tmp/$1" "$small" "^$2:[0-9]+: $3: .* is not eligible for this pupil: $6"
}
rule_case far placements.csv V01 PFAR E1 "too far: 55\.[0-9]+ km, limit 20 km"
rule_case sector placements.csv V01 PSEC E2 "wrong sector"
rule_case week placements.csv V02 PWEEK E2 "wrong week"
rule_case age placements.csv V01 PAGE E3 "too young: the placement needs age 18"
rule_case access placements.csv V02 PNOACC E3 "no access"
rule_case dbs mentors.csv V01 MNODBS "" "no DBS check valid on 2027-06-14"

# ---- a round under extra constraints (policy.json in INDIR) ------------------
mkdir -p "$tmp/cin" && cp "$sample"/*.csv "$tmp/cin/" && echo '{"employer_spread_max": 1}' >"$tmp/cin/policy.json"
"$fm" solve --students "$tmp/cin/students.csv" --placements "$tmp/cin/placements.csv" \
  --mentors "$tmp/cin/mentors.csv" --schools "$tmp/cin/schools.csv" --policy "$tmp/cin/policy.json" \
  --date 2027-06-14 --out "$tmp/con" >/dev/null 2>&1
"$fm" verify "$tmp/cin" "$tmp/con" >"$tmp/con.out" 2>&1; rc=$?
check "a constrained round verifies (got $rc: $(cat "$tmp/con.out"))" test $rc -eq 0
check "... saying its constrained side's optimality is the MIP's" \
  grep -q "placements .*levels proven: by the solver's LP/MIP bounds" "$tmp/con.out"
check "... and proving the unconstrained side" grep -q "mentors .*levels proven: 1-4" "$tmp/con.out"
cmatched=$("$py" -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["placement_ref"]:
        print(r["student_ref"], r["utility"]); break' "$tmp/con/placements.csv")
tamper "$tmp/con/placements.csv" "${cmatched% *}" utility=$(( ${cmatched#* } + 1 ))
expect constrained "$tmp/con" "$tmp/cin" "^placements.csv:[0-9]+: ${cmatched% *}: utility: written"

# ---- usage and inputs -------------------------------------------------------
"$fm" verify "$sample" >/dev/null 2>&1; rc=$?
check "verify without OUT exits 2 (got $rc)" test $rc -eq 2
"$fm" verify "$tmp/nowhere" "$tmp/good" >/dev/null 2>"$tmp/noin.err"; rc=$?
check "verify with no inputs exits 2 (got $rc)" test $rc -eq 2
check "... naming students.csv" grep -q "students.csv" "$tmp/noin.err"

echo "verify_test: $passes passed, $fails failed"
[ $fails -eq 0 ]
