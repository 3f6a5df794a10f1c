#!/usr/bin/env bash
# End-to-end test of the client commands of `fairmatch` against the real
# fairmatchd: the daemon on a free loopback port with a temporary database,
# tokens from `fairmatch token create`, the sample region imported with the
# client (students in small chunks), a round run, shown and exported, and
# OUT/placements.csv and OUT/mentors.csv byte-identical to `fairmatch solve`
# on the same CSV files and date (the summary's objectives equal).  Then
# scope (a school token sees only its own pupils and may not send another
# school's), bad input (a bad CSV exits 2 naming file, line and column, and
# nothing of it is stored), usage errors (exit 2), and SIGTERM (exit 0),
# after which the client cannot connect (exit 1).  Leaves nothing behind.
#   cli_client_test.sh FAIRMATCH FAIRMATCHD DATA_DIR
set -u
fm=$1
fmd=$2
data=$3/sample
date=2027-06-14
. "$(dirname "$0")/cli_test_lib.sh"
# Rows in the sample: all students, and those of school SCH0001.
n_students=$(py 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1])))))' "$data/students.csv")
n_sch1=$(py 'import csv,sys; print(sum(r["school_ref"] == "SCH0001" for r in csv.DictReader(open(sys.argv[1]))))' "$data/students.csv")

db=$tmp/fm.db
coord=$("$fm" token create --db "$db" --role coordinator 2>/dev/null)
check "token create (coordinator)" test -n "$coord"

start_daemon "$fmd" "$db"
export FAIRMATCH_TOKEN=$coord

# A school token made while the daemon runs.
school=$("$fm" token create --db "$db" --role school --scope SCH0001 2>/dev/null)
check "token create (school) beside the running daemon" test -n "$school"

"$fm" status >"$tmp/status.out" 2>&1; rc=$?
check "status exits 0 (got $rc: $(cat "$tmp/status.out"))" test $rc -eq 0
check "status names the coordinator role" grep -q '^role *coordinator' "$tmp/status.out"
env -u FAIRMATCH_SERVER -u FAIRMATCH_TOKEN "$fm" --server "127.0.0.1:$port" --token "$coord" \
  status >/dev/null 2>&1; rc=$?
check "--server/--token options work like the environment (got $rc)" test $rc -eq 0

# Import the sample region; students in 4 KiB chunks (about ten requests).
for kind in schools students placements mentors; do
  extra=()
  [ $kind = students ] && extra=(--chunk-size 4096)
  "$fm" import $kind "$data/$kind.csv" "${extra[@]}" >"$tmp/import.out" 2>"$tmp/import.err"; rc=$?
  check "import $kind exits 0 (got $rc: $(cat "$tmp/import.err"))" test $rc -eq 0
  check "import $kind says how many rows" grep -q "^imported [0-9]* $kind" "$tmp/import.out"
  check "no progress bar when stderr is not a terminal" test ! -s "$tmp/import.err"
done
check "all $n_students students stored" grep -q "rows .* $n_students students" <("$fm" status)

# A round, followed to its end.
"$fm" round run --date $date >"$tmp/run.out" 2>"$tmp/run.err"; rc=$?
check "round run exits 0 (got $rc: $(cat "$tmp/run.err"))" test $rc -eq 0
id=$(sed -n 's/^round \([0-9]*\): .*/\1/p' "$tmp/run.out" | head -n 1)
check "round run names the round" test -n "$id"
id=${id:-0}
check "round run prints the phases up to done" grep -q "^round $id: done" "$tmp/run.out"
check "round run prints both vectors" \
  grep -q '^placements n1=[0-9]* n2=[0-9]* n3=[0-9]* utility=[0-9]*' "$tmp/run.out"
check "... mentors too" grep -q '^mentors *n1=' "$tmp/run.out"

"$fm" round show "$id" >"$tmp/show.out" 2>&1; rc=$?
check "round show exits 0 (got $rc)" test $rc -eq 0
check "round show gives status, vectors and timings" \
  sh -c "grep -q 'done' '$tmp/show.out' && grep -q '^placements n1=' '$tmp/show.out' && grep -q '^timings' '$tmp/show.out'"

# Export, and compare with the offline solver on the same files and date.
"$fm" round export "$id" --out "$tmp/out" >"$tmp/export.out" 2>"$tmp/export.err"; rc=$?
check "round export exits 0 (got $rc: $(cat "$tmp/export.err"))" test $rc -eq 0
for f in placements.csv mentors.csv summary.json report.html; do
  check "export writes $f" test -s "$tmp/out/$f"
done
"$fm" solve --students "$data/students.csv" --placements "$data/placements.csv" \
  --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date $date \
  --out "$tmp/ref" >/dev/null 2>&1; rc=$?
check "fairmatch solve exits 0 (got $rc)" test $rc -eq 0
check "OUT/placements.csv is byte-identical to solve's" cmp "$tmp/out/placements.csv" "$tmp/ref/placements.csv"
check "OUT/mentors.csv is byte-identical to solve's" cmp "$tmp/out/mentors.csv" "$tmp/ref/mentors.csv"
check "OUT/certificate.csv is byte-identical to solve's" cmp "$tmp/out/certificate.csv" "$tmp/ref/certificate.csv"
"$fm" verify "$data" "$tmp/out" >"$tmp/verify.out" 2>&1; rc=$?
check "the exported round verifies against the imported CSVs (got $rc: $(cat "$tmp/verify.out"))" \
  test $rc -eq 0
check "summary objectives equal solve's" py '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for side in ("placements", "mentors"):
    assert a[side]["objective"] == b[side]["objective"], (side, a[side]["objective"], b[side]["objective"])
' "$tmp/out/summary.json" "$tmp/ref/summary.json"
check "report.html is a page" grep -q '</html>' "$tmp/out/report.html"
check "report.html of the first round says there is no previous round" \
  grep -q "Round $id is the first finished round" "$tmp/out/report.html"
check "no temporary files left in OUT" test -z "$(ls -A "$tmp/out" | grep -v -x -e placements.csv -e mentors.csv -e summary.json -e report.html -e certificate.csv -e explanations.csv)"

# Scope: a school token sees only its own pupils.
FAIRMATCH_TOKEN=$school "$fm" round export "$id" --out "$tmp/school" >/dev/null 2>"$tmp/school.err"; rc=$?
check "school export exits 0 (got $rc: $(cat "$tmp/school.err"))" test $rc -eq 0
check "school export holds only SCH0001 pupils, and all of them" py '
import csv, sys
for name in ("placements.csv", "mentors.csv"):
    mine = list(csv.DictReader(open(sys.argv[1] + "/" + name)))
    full = [r for r in csv.DictReader(open(sys.argv[2] + "/" + name)) if r["school_ref"] == "SCH0001"]
    assert mine and all(r["school_ref"] == "SCH0001" for r in mine), name
    assert mine == full, (name, len(mine), len(full))
' "$tmp/school" "$tmp/out"
FAIRMATCH_TOKEN=$school "$fm" round assignments "$id" --unmatched >"$tmp/school.csv" 2>/dev/null; rc=$?
check "school assignments exit 0 (got $rc)" test $rc -eq 0
check "school assignments list only SCH0001 pupils" py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all(r["school_ref"] == "SCH0001" for r in rows), len(rows)
' "$tmp/school.csv"
check "school status counts only its pupils" sh -c \
  "FAIRMATCH_TOKEN='$school' '$fm' status | grep -q 'rows .* 1 schools, $n_sch1 students'"
FAIRMATCH_TOKEN=$school "$fm" import students "$data/students.csv" >/dev/null 2>"$tmp/scope.err"; rc=$?
check "a school may not import another school's pupils: exit 1 (got $rc)" test $rc -eq 1
check "... and is told why: $(cat "$tmp/scope.err")" grep -q '^fairmatch: error: .*own pupils' "$tmp/scope.err"
FAIRMATCH_TOKEN=$school "$fm" round run --date $date >/dev/null 2>&1; rc=$?
check "a school may not run a round: exit 1 (got $rc)" test $rc -eq 1

# Bad input: a student born on 30 February on line 4, and a new pupil at
# the end that must not be stored either.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "birth_date") c = i }
         NR == 4 { $c = "2011-02-30" } { print }' OFS=, "$data/students.csv" >"$tmp/bad.csv"
tail -n 1 "$data/students.csv" | sed 's/^[^,]*,/S999999,/' >>"$tmp/bad.csv"
"$fm" import students "$tmp/bad.csv" >/dev/null 2>"$tmp/bad.err"; rc=$?
check "bad CSV exits 2 (got $rc)" test $rc -eq 2
check "bad CSV error names file, line, column and field: $(cat "$tmp/bad.err")" \
  grep -q '^fairmatch: error: .*bad\.csv:4:[0-9][0-9]*: birth_date' "$tmp/bad.err"
check "nothing of the bad file is stored" grep -q "rows .* $n_students students" <("$fm" status)

# Usage and lookups.
"$fm" round show >/dev/null 2>&1; rc=$?
check "round show without ID exits 2 (got $rc)" test $rc -eq 2
"$fm" round export "$id" >/dev/null 2>&1; rc=$?
check "round export without --out exits 2 (got $rc)" test $rc -eq 2
"$fm" import pupils "$data/students.csv" >/dev/null 2>&1; rc=$?
check "unknown import kind exits 2 (got $rc)" test $rc -eq 2
"$fm" round run --date 2027-02-30 >/dev/null 2>&1; rc=$?
check "bad --date exits 2 (got $rc)" test $rc -eq 2
"$fm" round show 9999 >/dev/null 2>"$tmp/nf.err"; rc=$?
check "unknown round exits 1 (got $rc)" test $rc -eq 1
check "... naming the round: $(cat "$tmp/nf.err")" grep -q 'round_id: no round 9999' "$tmp/nf.err"
FAIRMATCH_TOKEN=fm_not_a_token "$fm" round show "$id" >/dev/null 2>"$tmp/auth.err"; rc=$?
check "a bad token exits 1 (got $rc)" test $rc -eq 1
check "... saying so" grep -q 'token is not valid' "$tmp/auth.err"
# An employer sees its matched pupils by pseudonym, age band, access needs and school
# name, and never a pupil's ref.
emp=$(awk -F, '$1 == "placements" && $6 != "" { print $6; exit }' <("$fm" round assignments "$id" 2>/dev/null))
employer=$("$fm" token create --db "$db" --role employer --scope "${emp:-none}" 2>/dev/null)
FAIRMATCH_TOKEN=$employer "$fm" round assignments "$id" >"$tmp/emp.out" 2>"$tmp/emp.err"; rc=$?
check "employer assignments exit 0 (got $rc: $(cat "$tmp/emp.err"))" test $rc -eq 0
check "employer rows carry pseudonym, age band, access and school name" \
  grep -q '^side,pupil_ref,age_band,needs_access,school_name,' "$tmp/emp.out"
check "employer rows are its own and there are some" \
  sh -c "test \$(tail -n +2 '$tmp/emp.out' | wc -l) -gt 0 && ! tail -n +2 '$tmp/emp.out' | grep -v ',$emp,' | grep -q ."
check "employer rows hold no pupil ref" sh -c "! grep -q ',S0[0-9]*,' '$tmp/emp.out'"

# Rerun: confirm one match, rerun, and it is kept as confirmed in the new round.
first=$("$fm" round assignments "$id" 2>/dev/null | awk -F, '$1 == "placements" && $5 != "" { print $2; exit }')
"$fm" round confirm "$id" placements "$first" >/dev/null 2>&1; rc=$?
check "round confirm exits 0 (got $rc)" test $rc -eq 0
"$fm" round rerun "$id" >"$tmp/rerun.out" 2>"$tmp/rerun.err"; rc=$?
check "round rerun exits 0 (got $rc: $(cat "$tmp/rerun.err"))" test $rc -eq 0
rerun=$(sed -n 's/^round \([0-9]*\): .*/\1/p' "$tmp/rerun.out" | head -n 1)
check "round rerun prints both vectors" grep -q '^mentors ' "$tmp/rerun.out"
kept=$("$fm" round assignments "${rerun:-0}" 2>/dev/null | awk -F, -v s="$first" '$1 == "placements" && $2 == s')
old_row=$("$fm" round assignments "$id" 2>/dev/null | awk -F, -v s="$first" '$1 == "placements" && $2 == s')
check "the confirmed match is kept by the rerun: $kept" \
  sh -c "test -n '$kept' && test '${kept%,*}' = '${old_row%,*}' && test '${kept##*,}' = confirmed"
FAIRMATCH_TOKEN=$school "$fm" round rerun "$id" >/dev/null 2>&1; rc=$?
check "a school may not rerun a round: exit 1 (got $rc)" test $rc -eq 1
# report.html compares a re-run with the round it re-ran, and any other
# round with the last finished round before it.
"$fm" round export "${rerun:-0}" --out "$tmp/rerun-out" >/dev/null 2>&1
check "the re-run's report.html compares with round $id, which it re-ran" \
  sh -c "grep -q 'a re-run of round $id' '$tmp/rerun-out/report.html' &&
         grep -q '<th>Round $id</th><th>Change</th>' '$tmp/rerun-out/report.html'"
"$fm" round run --date $date >"$tmp/run3.out" 2>&1
third=$(sed -n 's/^round \([0-9]*\): .*/\1/p' "$tmp/run3.out" | head -n 1)
"$fm" round export "${third:-0}" --out "$tmp/third-out" >/dev/null 2>&1
check "a new round's report.html compares with the last finished round ($rerun)" \
  grep -q "Compared with round ${rerun:-none} of $date, the last finished round before" \
  "$tmp/third-out/report.html"

for c in status import round "round run" "round show" "round export" "round list" \
         "round assignments" "round rerun" withdraw; do
  "$fm" $c --help >"$tmp/help.out" 2>&1; rc=$?
  check "'fairmatch $c --help' exits 0 with a usage line (got $rc)" \
    sh -c "test $rc -eq 0 && grep -q '^usage: fairmatch' '$tmp/help.out'"
done

# SIGTERM: the daemon stops cleanly, and the client then cannot connect.
kill -TERM "$daemon"
wait "$daemon"; rc=$?
daemon=
check "fairmatchd exits 0 on SIGTERM (got $rc)" test $rc -eq 0
"$fm" status >/dev/null 2>"$tmp/down.err"; rc=$?
check "no daemon: status exits 1 (got $rc)" test $rc -eq 1
check "... saying it cannot connect" grep -q 'cannot connect' "$tmp/down.err"

finish
