#!/bin/bash
# rpc_bench.sh - fairmatchd's request rate and latency for small requests,
# against a bare echo server with the same framing as the ceiling.
#
#     bench/rpc_bench.sh [STUDENTS]       (default 100000; 20000 for a quick run)
#
# Normal case: configures and builds the Release tree of run_bench.sh
# (build-bench/ beside the sources, or $FM_BENCH_BUILD), generates the region
# (fm_gen_region, seed $FM_BENCH_SEED, cached in BUILD/bench-data/ exactly as
# run_bench.sh caches it), and measures, with fm_rpc_load (50 concurrent
# loopback connections, one request in flight each, 0.5 s warm-up, then 5 s):
#   echo                     fm_echo_server: reads into a buffer, echoes each
#                            frame (the ceiling; every ratio is against it)
#   echo, staged reads       fm_echo_server --staged: reads as fairmatchd did
#                            before its read buffer: the 4-byte header then
#                            the payload, one read each
#   status, empty db         fairmatchd on a fresh temporary database, status
#                            requests with a coordinator token
#   status, N students       the same after importing the region (through the
#                            python3-protobuf client, bench/rpc_ctl.py)
#   status no token, N       status without a token: no database work at all
#   status while solving     a round (run_round) is started; the window opens
#                            when round_status says SOLVING and closes early
#                            if the round leaves SOLVING (the table says so)
#   status no token, solving the same, without a token
#   echo while solving       the echo server while a round solves in the
#                            daemon: the share of the slow-down that is only
#                            CPU contention on this 2-core machine
#   ... +10s                 the three "solving" rows again, with the window
#                            10 s into SOLVING ($FM_RPC_LATE; default 10 from
#                            50000 students on, else 0 = not run): at 100k the
#                            first seconds of SOLVING build the candidate pairs
#                            on one thread per CPU, the rest is the
#                            single-threaded min-cost flow
# Each "while solving" row starts its own round and cancels it afterwards.
# Prints one table (scenario, clients, req/s, p50/p99/max ms, the longest
# time without any answer, errors, ratio to echo req/s, notes) and the two
# targets of the issue: status req/s >= 50% of echo; p99 < 10 ms while a
# round solves.  The table is also saved as BUILD/rpc-results.tsv; the raw
# fm_rpc_load lines and the daemon's log (without its per-request lines) in
# BUILD/rpc-runs/STAMP/.  Everything started here is stopped (SIGTERM, then
# SIGKILL after 60 s) and the temporary database removed, also on failure
# or Ctrl-C.
#
# Exit status: 0 when every scenario was measured; 1 setup failure (build,
# generator, daemon, token, import); 4 when a scenario failed (errors, or
# the round was not solving); with FM_RPC_STRICT=1, 3 when a target is
# missed.
#
# Environment: FM_BENCH_BUILD, FM_BENCH_SEED (1), FM_BENCH_DATE (2027-06-14),
# FM_BENCH_JOBS (2) as in run_bench.sh; FM_RPC_CLIENTS (50), FM_RPC_DEPTH (1),
# FM_RPC_SECONDS (5), FM_RPC_WARMUP (0.5), FM_RPC_STRICT (0), FM_RPC_LOG_LEVEL
# (unset: the daemon's default, info, which logs one line per request; warn
# shows what that line costs), FM_RPC_LATE (see above).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FM_BENCH_BUILD:-$ROOT/build-bench}
SEED=${FM_BENCH_SEED:-1}
DATE=${FM_BENCH_DATE:-2027-06-14}
JOBS=${FM_BENCH_JOBS:-2}
CLIENTS=${FM_RPC_CLIENTS:-50}
DEPTH=${FM_RPC_DEPTH:-1}
SECS=${FM_RPC_SECONDS:-5}
WARMUP=${FM_RPC_WARMUP:-0.5}
STRICT=${FM_RPC_STRICT:-0}
LOG_LEVEL=${FM_RPC_LOG_LEVEL:-}
LATE=${FM_RPC_LATE:-}
PY=/usr/bin/python3

say() { printf 'rpc_bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

N=${1:-100000}
[ $# -le 1 ] || die "usage: bench/rpc_bench.sh [STUDENTS]"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "not a number of students: $N"
[[ $SEED =~ ^[0-9]+$ ]] || die "FM_BENCH_SEED: not a number: $SEED"
[[ $CLIENTS =~ ^[1-9][0-9]*$ ]] || die "FM_RPC_CLIENTS: not a number: $CLIENTS"
[[ $DEPTH =~ ^[1-9][0-9]*$ ]] || die "FM_RPC_DEPTH: not a number: $DEPTH"
[[ $SECS =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "FM_RPC_SECONDS: not a number: $SECS"
[[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "FM_RPC_WARMUP: not a number: $WARMUP"
if [ -z "$LATE" ]; then if [ "$N" -ge 50000 ]; then LATE=10; else LATE=0; fi; fi
[[ $LATE =~ ^[0-9]+$ ]] || die "FM_RPC_LATE: not a whole number of seconds: $LATE"
[[ $LOG_LEVEL =~ ^(|debug|info|warn|error)$ ]] || die "FM_RPC_LOG_LEVEL: debug, info, warn or error"
[ -x "$PY" ] || die "$PY is needed"

mkdir -p "$BUILD/bench-logs" "$BUILD/bench-data" "$BUILD/rpc-runs" || exit 1
LOGS=$BUILD/bench-logs
RUN=$BUILD/rpc-runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$RUN" || exit 1

# ---- build ------------------------------------------------------------------
say "configuring $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFM_BUILD_TESTS=OFF \
    -DFM_BUILD_BENCH=ON >"$LOGS/configure.log" 2>&1 ||
    die "cmake configure failed, see $LOGS/configure.log"
for t in fm_gen_region fm_echo_server fm_rpc_load fairmatchd fairmatch; do
    cmake --build "$BUILD" -j "$JOBS" --target "$t" >"$LOGS/build-$t.log" 2>&1 ||
        die "$t does not build, see $LOGS/build-$t.log"
done
GEN=$BUILD/bench/fm_gen_region
ECHO=$BUILD/bench/fm_echo_server
LOAD=$BUILD/bench/fm_rpc_load
FMD=$BUILD/engine/fairmatchd
FM=$BUILD/adapters/fairmatch
CTL=("$PY" "$ROOT/bench/rpc_ctl.py")

# ---- the region (cached like run_bench.sh) ----------------------------------
GEN_SUM=$(sha256sum "$ROOT/bench/gen_region.c" | cut -c1-16)
DATA=$BUILD/bench-data/n$N-s$SEED-$DATE
if [ ! -f "$DATA/.generated" ] || [ "$(cat "$DATA/.generated")" != "$GEN_SUM" ]; then
    say "$N students: generating region (seed $SEED) into $DATA"
    rm -rf "$DATA"
    "$GEN" --students "$N" --seed "$SEED" --date "$DATE" --out "$DATA" \
        >"$LOGS/gen-$N.log" 2>&1 || die "fm_gen_region failed, see $LOGS/gen-$N.log"
    echo "$GEN_SUM" >"$DATA/.generated"
fi

# ---- processes and cleanup --------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fm_rpc_bench.XXXXXX") || die "mktemp failed"
PIDS=()
stop_pid() { # pid name: SIGTERM, wait up to 60 s, then SIGKILL
    local pid=$1 name=$2 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 600; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name ($pid) still running 60 s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    local rc=$?
    [ "$rc" = 0 ] || say "$name exited $rc"
    return 0
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "${p%%:*}" "${p#*:}"; done
    PIDS=()
    if [ -f "$TMP/daemon.log" ]; then
        grep -v ' event=request ' "$TMP/daemon.log" >"$RUN/daemon.log" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # file regex -> prints the port, waits up to 10 s
    local i port
    for ((i = 0; i < 100; i++)); do
        port=$(grep -oE "$2" "$1" 2>/dev/null | head -1 | grep -oE '[0-9]+$')
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.1
    done
    return 1
}

LIFE=3600 # the echo servers' own time limit (s)
"$ECHO" --listen 127.0.0.1:0 --max-seconds $LIFE >"$TMP/echo.out" 2>"$RUN/echo.err" &
PIDS+=("$!:fm_echo_server")
"$ECHO" --listen 127.0.0.1:0 --staged --max-seconds $LIFE >"$TMP/echo2.out" 2>"$RUN/echo2.err" &
PIDS+=("$!:fm_echo_server --staged")
ECHO_PORT=$(wait_port "$TMP/echo.out" 'listening 127\.0\.0\.1:[0-9]+') ||
    die "fm_echo_server did not start, see $RUN/echo.err"
ECHO2_PORT=$(wait_port "$TMP/echo2.out" 'listening 127\.0\.0\.1:[0-9]+') ||
    die "fm_echo_server --staged did not start, see $RUN/echo2.err"

DB=$TMP/fairmatch.db
TOKEN=$("$FM" token create --db "$DB" --role coordinator 2>"$RUN/token.err") && [ -n "$TOKEN" ] ||
    die "fairmatch token create failed, see $RUN/token.err"
if [ -z "$LOG_LEVEL" ] || [ "$LOG_LEVEL" = info ] || [ "$LOG_LEVEL" = debug ]; then
    CONF=()
    [ -z "$LOG_LEVEL" ] || { echo "log_level = $LOG_LEVEL" >"$TMP/fairmatchd.conf"; CONF=(--config "$TMP/fairmatchd.conf"); }
    "$FMD" --listen 127.0.0.1:0 --db "$DB" "${CONF[@]}" 2>"$TMP/daemon.log" &
    PIDS+=("$!:fairmatchd")
    D_PORT=$(wait_port "$TMP/daemon.log" 'event=listening addr=127\.0\.0\.1:[0-9]+') ||
        die "fairmatchd did not start, see $TMP/daemon.log"
else
    # Above info the daemon does not log the port it listens on: pick a free one.
    echo "log_level = $LOG_LEVEL" >"$TMP/fairmatchd.conf"
    D_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$FMD" --listen "127.0.0.1:$D_PORT" --db "$DB" --config "$TMP/fairmatchd.conf" \
        2>"$TMP/daemon.log" &
    PIDS+=("$!:fairmatchd")
    "$PY" - "$D_PORT" <<'PYEOF' || die "fairmatchd did not start, see $TMP/daemon.log"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PYEOF
fi
DAEMON=127.0.0.1:$D_PORT
say "echo servers on ports $ECHO_PORT, $ECHO2_PORT; fairmatchd on $DAEMON (db $DB)"
say "fairmatchd log_level: ${LOG_LEVEL:-info (its default: one line per request)}"

# ---- measuring --------------------------------------------------------------
LINES=$RUN/rpc_load.txt
: >"$LINES"
failed=0
measure() { # label server [fm_rpc_load options...]
    local label=$1 server=$2
    shift 2
    say "measuring: $label"
    local out
    out=$("$LOAD" --server "$server" --clients "$CLIENTS" --depth "$DEPTH" \
        --seconds "$SECS" --warmup "$WARMUP" --grace 60 --label "$label" "$@" \
        2>>"$RUN/rpc_load.err")
    local rc=$?
    [ -n "$out" ] || out="rpc_load label=$label failed=1"
    [ $rc = 0 ] || { failed=1; out="$out exit=$rc"; say "$label: fm_rpc_load exit $rc (see $RUN/rpc_load.err)"; }
    echo "$out" >>"$LINES"
    say "  $out"
}
ctl() { timeout -k 5 900 "${CTL[@]}" --server "$DAEMON" --token "$TOKEN" "$@"; }
while_solving() { # label server [options...]: a fresh round, measured, cancelled
    local label=$1 server=$2 rid
    shift 2
    rid=$(ctl start-round --date "$DATE" 2>>"$RUN/rpc_ctl.err") ||
        { failed=1; echo "rpc_load label=$label failed=1 note=run_round_failed" >>"$LINES";
          say "$label: run_round failed (see $RUN/rpc_ctl.err)"; return; }
    measure "$label" "$server" --round "$rid" --monitor "$DAEMON" --monitor-token "$TOKEN" \
        --phase-timeout 900 "$@"
    ctl cancel "$rid" >/dev/null 2>>"$RUN/rpc_ctl.err" # fails if it has ended: fine
    ctl wait-phase "$rid" DONE --timeout 600 >>"$RUN/rounds.txt" 2>>"$RUN/rpc_ctl.err"
}

measure "echo" "127.0.0.1:$ECHO_PORT" --mode echo --token "$TOKEN"
measure "echo, staged reads" "127.0.0.1:$ECHO2_PORT" --mode echo --token "$TOKEN"
measure "status, empty db" "$DAEMON" --token "$TOKEN"

say "importing $DATA"
ctl import "$DATA" >"$RUN/import.txt" 2>"$RUN/import.err" ||
    die "the import failed, see $RUN/import.err"
say "  $(tr '\n' ';' <"$RUN/import.txt")"

measure "status, $N students" "$DAEMON" --token "$TOKEN"
measure "status no token, $N students" "$DAEMON" --token ""
while_solving "status while solving" "$DAEMON" --token "$TOKEN"
while_solving "status no token, solving" "$DAEMON" --token ""
while_solving "echo while solving" "127.0.0.1:$ECHO_PORT" --mode echo --token "$TOKEN"
if [ "$LATE" != 0 ]; then
    while_solving "status while solving +${LATE}s" "$DAEMON" --token "$TOKEN" --solving-delay "$LATE"
    while_solving "status no token, solving +${LATE}s" "$DAEMON" --token "" --solving-delay "$LATE"
    while_solving "echo while solving +${LATE}s" "127.0.0.1:$ECHO_PORT" --mode echo \
        --token "$TOKEN" --solving-delay "$LATE"
fi

cleanup
trap - EXIT

# ---- the table --------------------------------------------------------------
"$PY" - "$LINES" "$BUILD/rpc-results.tsv" "$N" "$STRICT" <<'EOF'
import sys
lines, tsv, n, strict = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
rows = []
for line in open(lines):
    line = line.strip()
    if not line.startswith("rpc_load "):
        continue
    # label=... may hold spaces: it runs up to " mode=" (or the end)
    body = line[len("rpc_load "):]
    kv = {}
    if body.startswith("label="):
        cut = body.find(" mode=")
        if cut < 0:
            cut = body.find(" failed=")
        kv["label"] = body[6:cut] if cut >= 0 else body[6:]
        body = body[cut + 1:] if cut >= 0 else ""
    for tok in body.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            kv[k] = v
    rows.append(kv)

def f(kv, k):
    try:
        return float(kv[k])
    except (KeyError, ValueError):
        return None

echo = next((f(r, "rps") for r in rows if r.get("label") == "echo"), None)
head = ["scenario", "clients", "req/s", "p50 ms", "p99 ms", "max ms", "max gap ms",
        "errors", "vs echo", "notes"]
table = []
for r in rows:
    rps = f(r, "rps")
    notes = []
    if "round" in r:
        if r.get("round_solving") == "1":
            notes.append("round %s SOLVING the whole %.1f s window (from %.0f s into SOLVING)"
                         % (r["round"], f(r, "seconds"), f(r, "solving_delay") or 0))
        elif r.get("ended_early") == "1":
            notes.append("round %s left SOLVING after %.1f s (phases %s)"
                         % (r["round"], f(r, "seconds") or 0, r.get("round_phases")))
        else:
            notes.append("round %s NOT solving (phases %s)" % (r["round"], r.get("round_phases")))
    if r.get("failed") or r.get("exit"):
        notes.append("FAILED (exit %s)" % r.get("exit", "?"))
    def num(k, fmt):
        v = f(r, k)
        return "n/a" if v is None else fmt % v
    table.append([r.get("label", "?"), r.get("clients", "n/a"), num("rps", "%.0f"),
                  num("p50_ms", "%.3f"), num("p99_ms", "%.3f"), num("max_ms", "%.2f"),
                  num("max_gap_ms", "%.2f"), r.get("errors", "n/a"),
                  "n/a" if rps is None or not echo else "%.2f" % (rps / echo),
                  "; ".join(notes)])
with open(tsv, "w") as out:
    for line in [head] + table:
        out.write("\t".join(line) + "\n")
w = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
for line in [head] + table:
    print("  ".join(c.ljust(w[i]) if i in (0, len(head) - 1) else c.rjust(w[i])
                    for i, c in enumerate(line)).rstrip())

missed = False
by = {r.get("label"): r for r in rows}
st = by.get("status, %s students" % n)
if st and echo and f(st, "rps") is not None:
    ratio = f(st, "rps") / echo
    ok = ratio >= 0.5
    missed |= not ok
    print("target: status req/s >= 50%% of echo (%s students): %.0f%% -> %s"
          % (n, ratio * 100, "met" if ok else "NOT met"))
for label, r in by.items():
    if not label or not label.startswith("status while solving") or f(r, "p99_ms") is None:
        continue
    ok = f(r, "p99_ms") < 10 and r.get("round_solving") == "1"
    missed |= not ok
    print("target: p99 < 10 ms while a round solves (%s): %.2f ms%s -> %s"
          % (label, f(r, "p99_ms"), "" if r.get("round_solving") == "1" else
             " (the round did not solve the whole window)", "met" if ok else "NOT met"))
sys.exit(3 if strict and missed else 0)
EOF
rc=$?
say "raw lines and logs in $RUN"
[ $rc = 0 ] || exit $rc
[ $failed = 0 ] || exit 4
exit 0
