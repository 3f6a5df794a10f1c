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
# run's wall time plus $FM_BENCH_LIMIT, default 300, for the MIP searches)
# and prints per size a markdown table, one row per run as it ends
# (bench/constraints_report.py): exit code, wall seconds, CPU seconds
# (user+sys, from GNU time: on a loaded machine the wall time says little),
# the CPU ratio to the plain run, peak MiB, the 1-minute load average while
# the run lasted, the placements vector, per level the method and the gap
# (from OUT/summary.json), the model's rows/cols/nonzeros and how many of
# all pairs column generation put in the model; then notes saying how to
# read the rows: a constraint the plain optimum already meets ran no GLPK
# (method network, its time is the plain solve's), a run stopped by the
# limit names the level and its last progress line (each run has a
# terminal through script(1), so its log keeps the progress lines), the
# cost against the plain vector and per-level seconds.
# A constraint set that is infeasible for the region shows "infeasible"
# (exit 3) with its time; one stopped by the limit shows its gaps.
#
# Failure cases: a build or generation failure, or a missing /usr/bin/time
# or script(1) -> exit 1; a failed run is a row with its exit code and a
# note with its log's last lines.
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
TIME=/usr/bin/time    # GNU time: CPU seconds and peak memory (Debian package "time")

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(10000 100000); fi
[ -x "$TIME" ] || die "$TIME is missing (apt-get install time)"
command -v script >/dev/null || die "script(1) is missing (apt-get install bsdutils)"
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

# One markdown table per size (rows appear as the runs end), then the notes
# that say how to read the rows (constraints_report.py).
for n in "${sizes[@]}"; do
    data=$BUILD/bench-data/n$n-s$SEED-$DATE
    if [ ! -f "$data/.generated" ] || [ "$(cat "$data/.generated")" != "$GEN_SUM" ]; then
        say "$n students: generating region (seed $SEED)"
        rm -rf "$data"
        "$GEN" --students "$n" --seed "$SEED" --date "$DATE" --out "$data" \
            >"$LOGS/gen-$n.log" 2>&1 || die "fm_gen_region failed: $LOGS/gen-$n.log"
        echo "$GEN_SUM" >"$data/.generated"
    fi
    notes=$BUILD/bench-runs/constraints-n$n-s$SEED-notes.txt
    : >"$notes"
    printf '\n%s students (fm_gen_region seed %s, date %s), constrained limit = plain wall + %s s, %s, %s cores, started %s UTC\n\n' \
        "$n" "$SEED" "$DATE" "$LIMIT" "$(uname -m)" "$(nproc)" "$(date -u +%H:%M)"
    "$PY" "$ROOT/bench/constraints_report.py" --header
    plain_s="" plain_cpu=""
    for k in "${!names[@]}"; do
        run=$BUILD/bench-runs/constraints-n$n-s$SEED-${names[$k]}
        rm -rf "$run" && mkdir -p "$run"
        if [ $k = 0 ]; then
            echo "{}" >"$run/policy.json"
        else
            limit=$("$PY" -c "import math; print(math.ceil($plain_s + $LIMIT))")
            echo "{\"time_limit_seconds\": $limit, ${constraints[$k]}}" >"$run/policy.json"
        fi
        cmd=("$TIME" -v -o "$run/time.txt" "$FAIRMATCH" solve --students "$data/students.csv"
             --placements "$data/placements.csv" --mentors "$data/mentors.csv"
             --schools "$data/schools.csv" --date "$DATE" --policy "$run/policy.json"
             --out "$run/out")
        # the 1-minute load average every 10 s while the run lasts
        (while :; do cut -d' ' -f1 /proc/loadavg; sleep 10; done) >"$run/load" &
        sampler=$!
        t0=$(date +%s.%N)
        # script(1) gives the run a terminal, so its log keeps the solver's
        # progress lines (phase, level, bound, gap): how far a stopped run got
        script -qefc "$(printf '%q ' "${cmd[@]}")" "$run/log" </dev/null >/dev/null 2>&1
        rc=$?
        t1=$(date +%s.%N)
        kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
        secs=$("$PY" -c "print(f'{$t1 - $t0:.2f}')")
        [ $rc = 0 ] || [ $rc = 3 ] || say "$n ${names[$k]}: exit $rc, see $run/log"
        out=$("$PY" "$ROOT/bench/constraints_report.py" "$n" "${names[$k]}" "$rc" "$secs" \
            "${plain_cpu:-0}" "$run" "$notes")
        printf '%s\n' "$out"
        if [ -z "$plain_s" ]; then
            plain_s=$secs
            plain_cpu=$("$PY" "$ROOT/bench/constraints_report.py" --cpu "$run/time.txt")
        fi
    done
    printf '\n'
    cat "$notes"
done
