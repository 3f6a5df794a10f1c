#!/bin/bash
# run_bench.sh - fairmatch against an independent LEMON optimum, by region size.
#
#     bench/run_bench.sh [N ...]          (default sizes: 1000 10000 100000)
#     bench/run_bench.sh --national [N ...]
#                         (the scale curve: regions from fm_gen_region --national,
#                          default sizes 1000 10000 50000 100000 200000 400000 600000)
#
# Normal case: configures and builds a Release tree of its own (build-bench/
# beside the sources, or $FM_BENCH_BUILD), generates one region per size with
# fm_gen_region (seed $FM_BENCH_SEED, default 1; cached in
# BUILD/bench-data/ by size, seed and the generator's source), runs
#   fairmatch solve ... --date $FM_BENCH_DATE --out OUT   under /usr/bin/time -v
#   fm_lemon_peer ...                                      under /usr/bin/time -v
# and prints one table row per size: fairmatch's phase timings (from
# OUT/summary.json), its peak memory, the placements vector, LEMON's solve time
# (placements + mentors run()) and peak memory, the ratio fairmatch total /
# LEMON solve, and whether both objective vectors (placements and mentors)
# agree.  Beside them: the pairs of each side, bytes per pair (peak RSS / the
# larger side's pairs: the sides are solved one after the other), the growth
# (total time ratio to the previous size / students ratio: 1.0 is linear; also
# for the CPU time) and
# the 1-minute load average when the size started (the machine is shared),
# and the CPU seconds (user + system, from time -v) of each whole process with
# their ratio, which the load disturbs less than the wall times.
# The peer runs only up to FM_BENCH_LEMON_MAX_STUDENTS students (200000) and
# FM_BENCH_LEMON_MAX_PAIRS pairs of both sides together (60000000, counted by
# fairmatch's run); beyond, its columns say "over cap".  The table is saved as
# BUILD/bench-results.tsv (--national: BUILD/scale-results.tsv) after every
# size, so a long run that is stopped keeps its partial table; every run's
# files (OUT, logs, time reports) stay in BUILD/bench-runs/.
# Exit 0 when every vector that could be compared agrees.
#
# Failure cases: cmake configure or the generator's build fails -> exit 1.
# fairmatch or the peer does not build or fails on a size -> that side of the
# row shows "n/a"/"failed" (log path printed), the others still run; a
# disagreement between the vectors -> the row says NO and the exit status is 3.
#
# Environment: FM_BENCH_BUILD (build dir), FM_BENCH_SEED (1), FM_BENCH_DATE
# (2027-06-14), FM_BENCH_LEMON=0 to skip the peer, FM_BENCH_JOBS (2),
# FM_BENCH_LEMON_MAX_STUDENTS, FM_BENCH_LEMON_MAX_PAIRS (above).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FM_BENCH_BUILD:-$ROOT/build-bench}
SEED=${FM_BENCH_SEED:-1}
DATE=${FM_BENCH_DATE:-2027-06-14}
JOBS=${FM_BENCH_JOBS:-2}
LEMON=${FM_BENCH_LEMON:-1}
LEMON_MAX_STUDENTS=${FM_BENCH_LEMON_MAX_STUDENTS:-200000}
LEMON_MAX_PAIRS=${FM_BENCH_LEMON_MAX_PAIRS:-60000000}
PY=/usr/bin/python3
TIME=/usr/bin/time

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

NATIONAL=0
if [ "${1:-}" = --national ]; then NATIONAL=1; shift; fi
if [ $# -gt 0 ]; then sizes=("$@")
elif [ $NATIONAL = 1 ]; then sizes=(1000 10000 50000 100000 200000 400000 600000)
else sizes=(1000 10000 100000); fi
for n in "${sizes[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a number of students: $n"
done
[[ $SEED =~ ^[0-9]+$ ]] || die "FM_BENCH_SEED: not a number: $SEED"
[[ $LEMON_MAX_STUDENTS =~ ^[0-9]+$ ]] || die "FM_BENCH_LEMON_MAX_STUDENTS: not a number"
[[ $LEMON_MAX_PAIRS =~ ^[0-9]+$ ]] || die "FM_BENCH_LEMON_MAX_PAIRS: not a number"
if [ $NATIONAL = 1 ]; then
    GEN_MODE=(--national); DATA_TAG=nat-n; TSV=scale-results.tsv
else
    GEN_MODE=(); DATA_TAG=n; TSV=bench-results.tsv
fi
[ -x "$TIME" ] || die "$TIME (GNU time) is needed"
[ -x "$PY" ] || die "$PY is needed"

mkdir -p "$BUILD/bench-logs" "$BUILD/bench-data" "$BUILD/bench-runs" || exit 1
LOGS=$BUILD/bench-logs

# ---- build ------------------------------------------------------------------
say "configuring $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFM_BUILD_TESTS=OFF \
    -DFM_BUILD_BENCH=ON >"$LOGS/configure.log" 2>&1 ||
    die "cmake configure failed, see $LOGS/configure.log"

build() { # target -> 0 if built
    cmake --build "$BUILD" -j "$JOBS" --target "$1" >"$LOGS/build-$1.log" 2>&1
}
build fm_gen_region || die "fm_gen_region does not build, see $LOGS/build-fm_gen_region.log"
GEN=$BUILD/bench/fm_gen_region
FAIRMATCH=$BUILD/adapters/fairmatch
PEER=$BUILD/bench/fm_lemon_peer
have_fm=1
build fairmatch || { have_fm=0; say "fairmatch does not build (see $LOGS/build-fairmatch.log): its columns are n/a"; }
have_peer=0
if [ "$LEMON" != 0 ]; then
    if build fm_lemon_peer; then have_peer=1; else
        say "fm_lemon_peer does not build (see $LOGS/build-fm_lemon_peer.log): LEMON columns are n/a"
    fi
fi

GEN_SUM=$(sha256sum "$ROOT/bench/gen_region.c" | cut -c1-16)

# ---- the table (rewritten after every size) ------------------------------------
table() {
"$PY" - "$RESULTS" "$BUILD/$TSV" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
head = ["students", "pairs", "mentor_pairs", "read_s", "cand_s", "solve_s", "write_s",
        "total_s", "growth", "cpu_growth", "peak_MiB", "B/pair", "n1 n2 n3 U (placements)",
        "lemon_solve_s", "lemon_MiB", "ratio", "cpu_s", "lemon_cpu_s", "cpu_ratio",
        "load", "agree"]
KEYS = ("n1", "n2", "n3", "utility")

def num(v, fmt="%.3f"):
    return "n/a" if v is None else fmt % v

def vec(d):
    return None if d is None else tuple(int(d[k]) for k in KEYS)

table, bad, prev = [], False, None
for r in rows:
    fm, pe = r.get("fm"), r.get("peer")
    t = (fm or {}).get("timings") or {}
    pairs = (fm or {}).get("pairs")
    if pairs is None and pe and "placements" in pe:
        pairs = pe["placements"].get("pairs")
    mpairs = (fm or {}).get("mentor_pairs")
    fv = vec((fm or {}).get("placements"))
    lemon_s = None
    if pe and "placements" in pe:
        lemon_s = pe["placements"]["solve_s"] + pe.get("mentors", {}).get("solve_s", 0.0)
    if fm is None:
        agree = "fairmatch " + r.get("fm_error", "n/a")
    elif pe is None:
        agree = "lemon " + r.get("peer_error", "n/a")
    else:
        diffs = []
        for side in ("placements", "mentors"):
            a, b = vec(fm.get(side)), vec(pe.get(side))
            if a is not None and b is not None and a != b:
                diffs.append("%s %s vs lemon %s" % (side, " ".join(map(str, a)),
                                                    " ".join(map(str, b))))
        agree = "yes" if not diffs else "NO: " + "; ".join(diffs)
        bad = bad or bool(diffs)
    if fv is None and pe and "placements" in pe:
        fv_s = "(lemon) " + " ".join(str(pe["placements"][k]) for k in KEYS)
    else:
        fv_s = "n/a" if fv is None else " ".join(map(str, fv))
    ratio = None
    if t.get("total_s") is not None and lemon_s:
        ratio = t["total_s"] / lemon_s
    # Bytes per pair: peak RSS over the larger side's pairs (the sides are
    # solved one after the other, each side's pairs freed before the next).
    peak = (fm or {}).get("peak_mib")
    big = max(pairs or 0, mpairs or 0)
    bpp = peak * 1048576.0 / big if peak is not None and big else None
    # CPU seconds (user + system) of each whole process: reading, listing
    # pairs (the same code in both) and solving; less sensitive to the load.
    fcpu, lcpu = (fm or {}).get("cpu_s"), (pe or {}).get("cpu_s")
    # Growth: time ratio to the previous size over the students ratio, for
    # the wall time and for the CPU time.
    growth = cpu_growth = None
    total = t.get("total_s")
    if prev is not None and total is not None and prev[1]:
        growth = (total / prev[1]) / (r["students"] / prev[0])
    if prev is not None and fcpu and prev[2]:
        cpu_growth = (fcpu / prev[2]) / (r["students"] / prev[0])
    prev = (r["students"], total, fcpu) if total is not None else None
    cpu_ratio = fcpu / lcpu if fcpu is not None and lcpu else None
    if pe is None and r.get("peer_error") == "not run (over cap)":
        lemon_cols = ["not run (over cap)", "-", "-", num(fcpu), "-", "-"]
    else:
        lemon_cols = [num(lemon_s), num((pe or {}).get("peak_mib"), "%.0f"),
                      num(ratio, "%.3f"), num(fcpu), num(lcpu), num(cpu_ratio, "%.3f")]
    table.append([str(r["students"]), num(pairs, "%d"), num(mpairs, "%d"),
                  num(t.get("read_s")), num(t.get("candidates_s")), num(t.get("solve_s")),
                  num(t.get("write_s")), num(total), num(growth, "%.2f"),
                  num(cpu_growth, "%.2f"),
                  num(peak, "%.0f"), num(bpp, "%.1f"), fv_s] + lemon_cols +
                 [num(r.get("load"), "%.2f"), agree])

with open(sys.argv[2], "w") as f:
    for line in [head] + table:
        f.write("\t".join(line) + "\n")
w = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
for line in [head] + table:
    print("  ".join(c.rjust(w[i]) if i < len(head) - 1 else c
                    for i, c in enumerate(line)))
sys.exit(3 if bad else 0)
EOF
}

# ---- runs -------------------------------------------------------------------
RESULTS=$BUILD/bench-runs/results-$$.jsonl
: >"$RESULTS"
for n in "${sizes[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    data=$BUILD/bench-data/$DATA_TAG$n-s$SEED-$DATE
    stamp="$data/.generated"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$GEN_SUM" ]; then
        say "$n students: generating region (seed $SEED) into $data"
        rm -rf "$data"
        "$GEN" "${GEN_MODE[@]}" --students "$n" --seed "$SEED" --date "$DATE" --out "$data" \
            >"$LOGS/gen-$n.log" 2>&1 || die "fm_gen_region failed, see $LOGS/gen-$n.log"
        echo "$GEN_SUM" >"$stamp"
    fi
    inputs=(--students "$data/students.csv" --placements "$data/placements.csv"
            --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date "$DATE")
    run=$BUILD/bench-runs/$DATA_TAG$n-s$SEED
    mkdir -p "$run"

    fm_rc=-1
    if [ $have_fm = 1 ]; then
        say "$n students: fairmatch solve"
        rm -rf "$run/out"
        "$TIME" -v -o "$run/fairmatch.time" "$FAIRMATCH" solve "${inputs[@]}" \
            --out "$run/out" >"$run/fairmatch.log" 2>&1
        fm_rc=$?
        [ $fm_rc = 0 ] || say "$n students: fairmatch exited $fm_rc, see $run/fairmatch.log"
    fi
    peer_rc=-1
    # Pairs of both sides as fairmatch counted them (for the peer's cap).
    pairs=0
    [ $fm_rc = 0 ] && pairs=$("$PY" -c 'import json,sys
s = json.load(open(sys.argv[1]))
print(sum((s.get(k) or {}).get("candidates") or 0 for k in ("placements", "mentors")))' \
        "$run/out/summary.json" 2>/dev/null || echo 0)
    if [ $have_peer = 1 ] && { [ "$n" -gt "$LEMON_MAX_STUDENTS" ] || [ "$pairs" -gt "$LEMON_MAX_PAIRS" ]; }; then
        say "$n students ($pairs pairs): LEMON peer not run (over cap: $LEMON_MAX_STUDENTS students, $LEMON_MAX_PAIRS pairs)"
        peer_rc=-2
    elif [ $have_peer = 1 ]; then
        say "$n students: LEMON peer"
        "$TIME" -v -o "$run/peer.time" "$PEER" "${inputs[@]}" \
            >"$run/peer.out" 2>"$run/peer.err"
        peer_rc=$?
        [ $peer_rc = 0 ] || say "$n students: fm_lemon_peer exited $peer_rc, see $run/peer.err"
    fi
    "$PY" - "$n" "$run" "$fm_rc" "$peer_rc" "$load" >>"$RESULTS" <<'EOF'
import json, os, re, sys
n, run, fm_rc, peer_rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
row = {"students": int(n), "fm": None, "peer": None, "load": float(sys.argv[5])}

def peak_mib(path):
    try:
        for line in open(path):
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
            if m:
                return int(m.group(1)) / 1024.0
    except OSError:
        pass
    return None

def cpu_s(path): # user + system seconds of the whole process
    try:
        t = dict(re.findall(r"(User|System) time \(seconds\): ([\d.]+)", open(path).read()))
        return float(t["User"]) + float(t["System"])
    except (OSError, KeyError, ValueError):
        return None

if fm_rc == 0:
    try:
        s = json.load(open(os.path.join(run, "out", "summary.json")))
        t = s.get("timings") or {}
        row["fm"] = {
            "timings": {k: t.get(k) for k in
                        ("read_s", "candidates_s", "solve_s", "check_s", "write_s", "total_s")},
            "pairs": s["placements"].get("candidates"),
            "mentor_pairs": (s.get("mentors") or {}).get("candidates"),
            "placements": s["placements"]["objective"],
            "mentors": (s.get("mentors") or {}).get("objective"),
            "peak_mib": peak_mib(os.path.join(run, "fairmatch.time")),
            "cpu_s": cpu_s(os.path.join(run, "fairmatch.time")),
        }
    except (OSError, ValueError, KeyError, TypeError) as e:
        row["fm_error"] = "summary.json: %s" % e
elif fm_rc > 0:
    row["fm_error"] = "exit %d" % fm_rc
if peer_rc == 0:
    p = {"peak_mib": peak_mib(os.path.join(run, "peer.time")),
         "cpu_s": cpu_s(os.path.join(run, "peer.time"))}
    for line in open(os.path.join(run, "peer.out")):
        f = line.split()
        if f and f[0] in ("placements", "mentors", "peer"):
            kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
            p[f[0]] = {k: (float(v) if "." in v else int(v)) for k, v in kv.items()}
    row["peer"] = p
elif peer_rc > 0:
    row["peer_error"] = "exit %d" % peer_rc
elif peer_rc == -2:
    row["peer_error"] = "not run (over cap)"
print(json.dumps(row))
EOF
    table >/dev/null
    say "$n students: done (the table so far: $BUILD/$TSV)"
done

table
rc=$?
rm -f "$RESULTS"
exit $rc
