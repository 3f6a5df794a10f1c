#!/bin/bash
# constraints_bench.sh - the cost of each extra constraint against the plain
# solve of the same region, in the same run.
#
#     bench/constraints_bench.sh [N ...]      (default sizes: 10000 100000)
#
# Normal case: builds fairmatch and fm_gen_region in a Release tree
# (build-bench/ or $FM_BENCH_BUILD, shared with run_bench.sh, and so is the
# region cache), then per size runs `fairmatch solve` once plain and once
# per extra constraint (policy files below; time_limit_seconds is the plain
# run's time plus $FM_BENCH_LIMIT, default 300, for the MIP searches) and
# prints one row per run: exit code, wall
# seconds, the ratio to the plain run, the placements vector, per level the
# method and the gap (from OUT/summary.json), the model's rows/cols/nonzeros
# and how many of all pairs column generation put in the model.
# A constraint set that is infeasible for the region shows "infeasible"
# (exit 3) with its time; one stopped by the limit shows its gaps.
#
# Failure cases: a build or generation failure -> exit 1; a failed run is a
# row with its exit code (log path printed).
# Environment: FM_BENCH_BUILD, FM_BENCH_SEED (1), FM_BENCH_DATE (2027-06-14),
# FM_BENCH_LIMIT (300), FM_BENCH_JOBS (2).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FM_BENCH_BUILD:-$ROOT/build-bench}
SEED=${FM_BENCH_SEED:-1}
DATE=${FM_BENCH_DATE:-2027-06-14}
LIMIT=${FM_BENCH_LIMIT:-300}
JOBS=${FM_BENCH_JOBS:-2}
PY=/usr/bin/python3

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(10000 100000); fi
for n in "${sizes[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a number of students: $n"
done
mkdir -p "$BUILD/bench-logs" "$BUILD/bench-data" "$BUILD/bench-runs" || exit 1
LOGS=$BUILD/bench-logs
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFM_BUILD_TESTS=OFF \
    -DFM_BUILD_BENCH=ON >"$LOGS/configure.log" 2>&1 || die "configure failed: $LOGS/configure.log"
for t in fm_gen_region fairmatch; do
    cmake --build "$BUILD" -j "$JOBS" --target $t >"$LOGS/build-$t.log" 2>&1 ||
        die "$t does not build: $LOGS/build-$t.log"
done
GEN=$BUILD/bench/fm_gen_region
FAIRMATCH=$BUILD/adapters/fairmatch
GEN_SUM=$(sha256sum "$ROOT/bench/gen_region.c" | cut -c1-16)

# name and constraints of each run; "plain" first (the denominator, no
# time limit).  The others get the plain run's time plus $LIMIT seconds:
# the round's limit covers its network phases too.
names=(plain floor30 spread2 gender40 stable)
constraints=(
  ""
  "\"school_floor_pct\": 30"
  "\"employer_spread_max\": 2"
  "\"gender_targets\": [{\"sector\": \"engineering\", \"gender\": \"F\", \"min_pct\": 40}]"
  "\"stable_tiers\": true"
)

printf '%-8s %-9s %4s %9s %7s  %-28s %-40s %s\n' students run rc seconds ratio \
    "placements (n1,n2,n3,U)" "levels method/gap" "model rows/cols/nz, pairs in model/all"
for n in "${sizes[@]}"; do
    data=$BUILD/bench-data/n$n-s$SEED-$DATE
    if [ ! -f "$data/.generated" ] || [ "$(cat "$data/.generated")" != "$GEN_SUM" ]; then
        say "$n students: generating region (seed $SEED)"
        rm -rf "$data"
        "$GEN" --students "$n" --seed "$SEED" --date "$DATE" --out "$data" \
            >"$LOGS/gen-$n.log" 2>&1 || die "fm_gen_region failed: $LOGS/gen-$n.log"
        echo "$GEN_SUM" >"$data/.generated"
    fi
    plain_s=""
    for k in "${!names[@]}"; do
        run=$BUILD/bench-runs/constraints-n$n-s$SEED-${names[$k]}
        rm -rf "$run" && mkdir -p "$run"
        if [ $k = 0 ]; then
            echo "{}" >"$run/policy.json"
        else
            limit=$("$PY" -c "import math; print(math.ceil($plain_s + $LIMIT))")
            echo "{\"time_limit_seconds\": $limit, ${constraints[$k]}}" >"$run/policy.json"
        fi
        t0=$(date +%s.%N)
        "$FAIRMATCH" solve --students "$data/students.csv" --placements "$data/placements.csv" \
            --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date "$DATE" \
            --policy "$run/policy.json" --out "$run/out" >"$run/log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        secs=$("$PY" -c "print(f'{$t1 - $t0:.2f}')")
        [ -z "$plain_s" ] && plain_s=$secs
        [ $rc = 0 ] || [ $rc = 3 ] || say "$n ${names[$k]}: exit $rc, see $run/log"
        "$PY" - "$n" "${names[$k]}" "$rc" "$secs" "$plain_s" "$run/out/summary.json" <<'PYEOF'
import json, sys
n, name, rc, secs, plain, path = sys.argv[1:7]
ratio = float(secs) / float(plain) if float(plain) > 0 else 0
vec = levels = model = ""
try:
    d = json.load(open(path))
except Exception:
    d = None
if d and d.get("status") == "infeasible":
    vec = "infeasible"
    levels = d.get("who", "")
elif d:
    p = d["placements"]
    o = p["objective"]
    vec = f"({o['n1']},{o['n2']},{o['n3']},{o['utility']})"
    c = p.get("constrained")
    if c:
        levels = " ".join(f"{l['method']}/" + ("-" if l["gap"] is None else f"{100*l['gap']:.2f}%")
                          for l in c["levels"])
        m = c["model"]
        model = (f"{m['rows']}/{m['cols']}/{m['nonzeros']}, "
                 f"{m['pairs_in_model']}/{m['pairs_total']}")
    else:
        levels = "network (no constraint)"
print(f"{n:<8} {name:<9} {rc:>4} {secs:>9} {ratio:>7.2f}  {vec:<28} {levels:<40} {model}")
PYEOF
    done
done
