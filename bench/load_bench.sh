#!/bin/bash
# load_bench.sh - fairmatchd under many connections and hostile clients:
# the full version of the ctest `load_hostile` (tests/load_hostile.py).
#
#     bench/load_bench.sh [CONNECTIONS...]      (default: 100 500 1000)
#
# Normal case: configures and builds the Release tree of rpc_bench.sh
# (build-bench/ beside the sources, or $FM_BENCH_BUILD), then, for each
# connection count, runs tests/load_hostile.py against a fresh fairmatchd:
# a baseline window of well-behaved status requests (fm_rpc_load, one in
# flight per connection, with a coordinator token), then the same window
# while hostile clients run: $FM_LOAD_SLOW clients sending a byte a second,
# $FM_LOAD_STUCK that never finish a frame, $FM_LOAD_NONREADERS that
# pipeline requests for big answers and never read, clients vanishing
# mid-request ($FM_LOAD_VANISH per second) and $FM_LOAD_FLOODS connections
# pipelining requests as fast as they can; each one the daemon closes is
# replaced while the window lasts.  Prints one table: connections, req/s
# and p99 baseline and under attack, the ratio, peak memory (VmHWM), what
# the hostile clients met (closed by frame timeout, non-readers closed as
# write_stalled and the most one of them got the daemon to take, vanished
# clients, flood answers), and whether every check of load_hostile.py
# passed.  The table also goes to BUILD/load-results.tsv, each run's
# output to BUILD/load-runs/STAMP/.
#
# Exit status: 0 when every run passed its checks; 1 setup failure; 4 when
# a run failed a check (the table says which, the run's output why).
#
# Environment: FM_BENCH_BUILD, FM_BENCH_JOBS (2); FM_LOAD_SECONDS (10) per
# window; FM_LOAD_SLOW (50), FM_LOAD_STUCK (50), FM_LOAD_NONREADERS (10),
# FM_LOAD_FLOODS (2), FM_LOAD_VANISH (100); FM_LOAD_RATIO (5): the p99
# ratio asserted; FM_LOAD_MAX_RSS_MB (200).  The machine is shared and
# noisy: compare the ratio, not absolute latencies between runs.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FM_BENCH_BUILD:-$ROOT/build-bench}
JOBS=${FM_BENCH_JOBS:-2}
SECS=${FM_LOAD_SECONDS:-10}
SLOW=${FM_LOAD_SLOW:-50}
STUCK=${FM_LOAD_STUCK:-50}
NONREADERS=${FM_LOAD_NONREADERS:-10}
FLOODS=${FM_LOAD_FLOODS:-2}
VANISH=${FM_LOAD_VANISH:-100}
RATIO=${FM_LOAD_RATIO:-5}
MAX_RSS=${FM_LOAD_MAX_RSS_MB:-200}
PY=/usr/bin/python3

say() { printf 'load_bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(100 500 1000)
for n in "${COUNTS[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a number of connections: $n"
done
for v in SECS SLOW STUCK NONREADERS FLOODS VANISH RATIO MAX_RSS; do
    [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v: not a number: ${!v}"
done
[ -x "$PY" ] || die "$PY is needed"

mkdir -p "$BUILD/bench-logs" "$BUILD/load-runs" || exit 1
LOGS=$BUILD/bench-logs
RUN=$BUILD/load-runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$RUN" || exit 1

say "configuring $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFM_BUILD_TESTS=OFF \
    -DFM_BUILD_BENCH=ON >"$LOGS/configure.log" 2>&1 ||
    die "cmake configure failed, see $LOGS/configure.log"
for t in fm_rpc_load fairmatchd fairmatch; do
    cmake --build "$BUILD" -j "$JOBS" --target "$t" >"$LOGS/build-$t.log" 2>&1 ||
        die "$t does not build, see $LOGS/build-$t.log"
done

failed=0
LINES=$RUN/load_hostile.txt
: >"$LINES"
for n in "${COUNTS[@]}"; do
    say "$n connections: baseline, then under attack ($SECS s each)"
    out=$RUN/run-$n.txt
    "$PY" "$ROOT/tests/load_hostile.py" --fairmatchd "$BUILD/engine/fairmatchd" \
        --fairmatch "$BUILD/adapters/fairmatch" --rpc-load "$BUILD/bench/fm_rpc_load" \
        --proto "$ROOT/proto/fairmatch.proto" --connections "$n" --seconds "$SECS" \
        --slow "$SLOW" --stuck "$STUCK" --nonreaders "$NONREADERS" --floods "$FLOODS" \
        --vanish-rate "$VANISH" --max-p99-ratio "$RATIO" --max-rss-mb "$MAX_RSS" \
        --drain-timeout 30 >"$out" 2>&1
    rc=$?
    line=$(grep '^load_hostile connections=' "$out" | tail -1)
    [ -n "$line" ] || line="load_hostile connections=$n"
    echo "$line rc=$rc fails=$(grep -c '^FAIL' "$out")" >>"$LINES"
    if [ $rc != 0 ]; then
        failed=1
        say "$n connections: FAILED (exit $rc), see $out"
        grep '^FAIL' "$out" >&2
    fi
done

"$PY" - "$LINES" "$BUILD/load-results.tsv" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    rows.append(kv)
head = ["connections", "req/s base", "p99 base ms", "req/s attack", "p99 attack ms",
        "p99 ratio", "peak MiB", "closed by frame timeout", "non-readers closed (max MiB taken)",
        "vanished", "flood answers", "checks"]
table = []
for r in rows:
    def g(k, d="n/a"):
        return r.get(k, d)
    closes = dict(x.split(":") for x in g("closes", "").split(",") if ":" in x)
    table.append([
        g("connections"), "%.0f" % float(g("base_rps", "nan")), g("base_p99_ms"),
        "%.0f" % float(g("attack_rps", "nan")), g("attack_p99_ms"), g("p99_ratio"),
        g("peak_mib"), "%s slow + %s stuck (log: %s)" % (g("slow"), g("stuck"),
                                                     closes.get("frame_timeout", 0)),
        "%s (%s)" % (closes.get("write_stalled", 0), g("nonreader_max_mib")),
        g("vanished"), g("flood_answers"),
        "passed" if g("rc") == "0" else "FAILED (%s)" % g("fails")])
with open(sys.argv[2], "w") as out:
    for line in [head] + table:
        out.write("\t".join(line) + "\n")
w = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
for line in [head] + table:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(line)))
EOF
say "each run's output in $RUN"
[ $failed = 0 ] || exit 4
exit 0
