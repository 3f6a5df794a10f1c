#!/usr/bin/env bash
# The benchmark's region generator (bench/gen_region.c), both modes:
# - the default (regional) mode still writes tests/data/sample byte for byte
#   (`fm_gen_region --students 400 --seed 2027`), so cached benchmark regions
#   and published figures stay valid;
# - --national is deterministic (same seed -> same bytes, another seed ->
#   other bytes), differs from the regional mode, has its proportions (15%
#   placements, ~0.5 seats per pupil, 3 + N/5500 towns, at most 500 virtual
#   placements and 150 online mentors whatever N), and `fairmatch solve`
#   accepts its four CSVs (exit 0, summary.json counting them).
#   gen_region_test.sh FM_GEN_REGION FAIRMATCH DATA_DIR
# Exit 0 when every check passes, 1 otherwise (each failure printed).
set -u
gen=$1
fm=$2
data=$3
# $tmp, check and finish (no daemon is started here).
. "$(dirname "$0")/cli_test_lib.sh"
files=(students placements mentors schools)
same_dirs() { # dir dir -> 0 if the four files are identical
  local f
  for f in "${files[@]}"; do cmp -s "$1/$f.csv" "$2/$f.csv" || return 1; done
}

# The default mode reproduces the bundled sample.
"$gen" --students 400 --seed 2027 --out "$tmp/sample" >/dev/null
check "default mode writes tests/data/sample byte for byte" same_dirs "$tmp/sample" "$data/sample"

# --national: deterministic per seed.
"$gen" --national --students 2000 --seed 5 --out "$tmp/a" >"$tmp/a.out"; rc=$?
check "national generator exits 0 (got $rc)" test $rc -eq 0
"$gen" --students 2000 --seed 5 --national --out "$tmp/b" >"$tmp/b.out"
check "same seed, same bytes" same_dirs "$tmp/a" "$tmp/b"
check "same seed, same totals line" cmp -s "$tmp/a.out" "$tmp/b.out"
"$gen" --national --students 2000 --seed 6 --out "$tmp/c" >/dev/null
check "another seed, other students" bash -c '! cmp -s "$1" "$2"' _ "$tmp/a/students.csv" "$tmp/c/students.csv"
"$gen" --students 2000 --seed 5 --out "$tmp/r" >"$tmp/r.out"
check "national differs from the regional mode" bash -c '! cmp -s "$1" "$2"' _ "$tmp/a/students.csv" "$tmp/r/students.csv"

# Proportions, from the files themselves (and the totals line for towns).
props() { # dir totals-file students -> checks the proportions
  /usr/bin/python3 - "$@" <<'EOF'
import csv, math, re, sys
d, totals, n = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
rows = lambda f: list(csv.DictReader(open("%s/%s.csv" % (d, f), newline="")))
st, pl, me = rows("students"), rows("placements"), rows("mentors")
bad = []
if len(st) != n:
    bad.append("students %d != %d" % (len(st), n))
if len(pl) != round(0.15 * n):
    bad.append("placements %d != 15%% of %d" % (len(pl), n))
seats = sum(int(p["capacity"]) for p in pl)
if not 0.4 * n <= seats <= 0.6 * n:
    bad.append("seats %d not about half of %d" % (seats, n))
virtual = sum(p["virtual"] == "1" for p in pl)
online = sum(m["online"] == "1" for m in me)
if virtual > 500 or online > 150:
    bad.append("virtual %d (max 500), online %d (max 150)" % (virtual, online))
if n >= 60000 and (virtual != 500 or online != 150):
    bad.append("at %d pupils the national pools are full: virtual %d, online %d"
               % (n, virtual, online))
low = sum(s["low_income"] == "1" for s in st) / n
if not 0.2 <= low <= 0.3:
    bad.append("low_income share %.3f" % low)
towns = int(re.search(r"(\d+) towns", totals).group(1))
if towns != 3 + n // 5500:
    bad.append("towns %d != 3 + %d/5500" % (towns, n))
side = float(re.search(r"side ([\d.]+) km", totals).group(1))
if abs(side - math.sqrt(n / 4.5)) > 0.1:
    bad.append("side %.1f km != sqrt(N / 4.5)" % side)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}
check "national proportions at 2000 pupils" props "$tmp/a" "$tmp/a.out" 2000
"$gen" --national --students 60000 --seed 1 --out "$tmp/big" >"$tmp/big.out"
check "national proportions at 60000 pupils (pools capped)" props "$tmp/big" "$tmp/big.out" 60000

# fairmatch solve accepts the national region.
"$fm" solve --students "$tmp/a/students.csv" --placements "$tmp/a/placements.csv" \
    --mentors "$tmp/a/mentors.csv" --schools "$tmp/a/schools.csv" --date 2027-06-14 \
    --out "$tmp/out" >"$tmp/solve.out" 2>"$tmp/solve.err"; rc=$?
check "fairmatch solve exits 0 on the national region (got $rc: $(head -c 300 "$tmp/solve.err"))" test $rc -eq 0
check "summary.json counts the national region" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = s["counts"]
assert c["students"] == 2000 and c["placements"] == 300, c
assert s["placements"]["candidates"] > 0 and s["placements"]["matched"] > 0, s["placements"]
' "$tmp/out/summary.json"

finish
