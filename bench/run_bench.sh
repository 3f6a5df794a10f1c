#!/bin/bash
# run_bench.sh - fairmatch against an independent LEMON optimum, by region size.
#
#     bench/run_bench.sh [N ...]          (default sizes: 1000 10000 100000)
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
# agree.  The table is also saved as BUILD/bench-results.tsv; every run's
# files (OUT, logs, time reports) stay in BUILD/bench-runs/.
# Exit 0 when every vector that could be compared agrees.
#
# Failure cases: cmake configure or the generator's build fails -> exit 1.
# fairmatch or the peer does not build or fails on a size -> that side of the
# row shows "n/a"/"failed" (log path printed), the others still run; a
# disagreement between the vectors -> the row says NO and the exit status is 3.
#
# Environment: FM_BENCH_BUILD (build dir), FM_BENCH_SEED (1), FM_BENCH_DATE
# (2027-06-14), FM_BENCH_LEMON=0 to skip the peer, FM_BENCH_JOBS (2).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FM_BENCH_BUILD:-$ROOT/build-bench}
SEED=${FM_BENCH_SEED:-1}
DATE=${FM_BENCH_DATE:-2027-06-14}
JOBS=${FM_BENCH_JOBS:-2}
LEMON=${FM_BENCH_LEMON:-1}
PY=/usr/bin/python3
TIME=/usr/bin/time

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000 100000); fi
for n in "${sizes[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a number of students: $n"
done
[[ $SEED =~ ^[0-9]+$ ]] || die "FM_BENCH_SEED: not a number: $SEED"
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

# ---- runs -------------------------------------------------------------------
RESULTS=$BUILD/bench-runs/results-$$.jsonl
: >"$RESULTS"
for n in "${sizes[@]}"; do
    data=$BUILD/bench-data/n$n-s$SEED-$DATE
    stamp="$data/.generated"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$GEN_SUM" ]; then
        say "$n students: generating region (seed $SEED) into $data"
        rm -rf "$data"
        "$GEN" --students "$n" --seed "$SEED" --date "$DATE" --out "$data" \
            >"$LOGS/gen-$n.log" 2>&1 || die "fm_gen_region failed, see $LOGS/gen-$n.log"
        echo "$GEN_SUM" >"$stamp"
    fi
    inputs=(--students "$data/students.csv" --placements "$data/placements.csv"
            --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date "$DATE")
    run=$BUILD/bench-runs/n$n-s$SEED
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
    if [ $have_peer = 1 ]; then
        say "$n students: LEMON peer"
        "$TIME" -v -o "$run/peer.time" "$PEER" "${inputs[@]}" \
            >"$run/peer.out" 2>"$run/peer.err"
        peer_rc=$?
        [ $peer_rc = 0 ] || say "$n students: fm_lemon_peer exited $peer_rc, see $run/peer.err"
    fi
    "$PY" - "$n" "$run" "$fm_rc" "$peer_rc" >>"$RESULTS" <<'EOF'
import json, os, re, sys
n, run, fm_rc, peer_rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
row = {"students": int(n), "fm": None, "peer": None}

def peak_mib(path):
    try:
        for line in open(path):
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
            if m:
                return int(m.group(1)) / 1024.0
    except OSError:
        pass
    return None

if fm_rc == 0:
    try:
        s = json.load(open(os.path.join(run, "out", "summary.json")))
        t = s.get("timings") or {}
        row["fm"] = {
            "timings": {k: t.get(k) for k in
                        ("read_s", "candidates_s", "solve_s", "check_s", "write_s", "total_s")},
            "pairs": s["placements"].get("candidates"),
            "placements": s["placements"]["objective"],
            "mentors": (s.get("mentors") or {}).get("objective"),
            "peak_mib": peak_mib(os.path.join(run, "fairmatch.time")),
        }
    except (OSError, ValueError, KeyError, TypeError) as e:
        row["fm_error"] = "summary.json: %s" % e
elif fm_rc > 0:
    row["fm_error"] = "exit %d" % fm_rc
if peer_rc == 0:
    p = {"peak_mib": peak_mib(os.path.join(run, "peer.time"))}
    for line in open(os.path.join(run, "peer.out")):
        f = line.split()
        if f and f[0] in ("placements", "mentors", "peer"):
            kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
            p[f[0]] = {k: (float(v) if "." in v else int(v)) for k, v in kv.items()}
    row["peer"] = p
elif peer_rc > 0:
    row["peer_error"] = "exit %d" % peer_rc
print(json.dumps(row))
EOF
done

# ---- the table --------------------------------------------------------------
"$PY" - "$RESULTS" "$BUILD/bench-results.tsv" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
head = ["students", "pairs", "read_s", "cand_s", "solve_s", "write_s", "total_s",
        "peak_MiB", "n1 n2 n3 U (placements)", "lemon_solve_s", "lemon_MiB",
        "ratio", "agree"]
KEYS = ("n1", "n2", "n3", "utility")

def num(v, fmt="%.3f"):
    return "n/a" if v is None else fmt % v

def vec(d):
    return None if d is None else tuple(int(d[k]) for k in KEYS)

table, bad = [], False
for r in rows:
    fm, pe = r.get("fm"), r.get("peer")
    t = (fm or {}).get("timings") or {}
    pairs = (fm or {}).get("pairs")
    if pairs is None and pe and "placements" in pe:
        pairs = pe["placements"].get("pairs")
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
    table.append([str(r["students"]), num(pairs, "%d"), num(t.get("read_s")),
                  num(t.get("candidates_s")), num(t.get("solve_s")),
                  num(t.get("write_s")), num(t.get("total_s")),
                  num((fm or {}).get("peak_mib"), "%.0f"), fv_s, num(lemon_s),
                  num((pe or {}).get("peak_mib"), "%.0f"), num(ratio, "%.3f"), agree])

with open(sys.argv[2], "w") as f:
    for line in [head] + table:
        f.write("\t".join(line) + "\n")
w = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
for line in [head] + table:
    print("  ".join(c.rjust(w[i]) if i < len(head) - 1 else c
                    for i, c in enumerate(line)))
sys.exit(3 if bad else 0)
EOF
rc=$?
rm -f "$RESULTS"
exit $rc
