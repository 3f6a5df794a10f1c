#!/usr/bin/python3
"""rpc_ctl.py - the few daemon calls bench/rpc_bench.sh needs besides the load
itself, through the independent python3-protobuf client tests/wire_client.py.

    rpc_ctl.py --server HOST:PORT --token TOKEN import DIR [--chunk BYTES]
    rpc_ctl.py --server HOST:PORT --token TOKEN start-round [--date D]
    rpc_ctl.py --server HOST:PORT --token TOKEN wait-phase ID PHASE [--timeout S]
    rpc_ctl.py --server HOST:PORT --token TOKEN phase ID
    rpc_ctl.py --server HOST:PORT --token TOKEN cancel ID

import: sends DIR/schools.csv, placements.csv, mentors.csv, students.csv
(those present) as CSV imports, prints `imported KIND ROWS SECONDS` per file.
start-round: run_round, prints the round id and returns at once (unlike
wire_client.py run, which follows the round to its end).  wait-phase: waits
with round_status (wait_ms) until the round's phase is PHASE (e.g. SOLVING)
or a later one, prints `phase NAME elapsed_s`; exit 1 if the round ended
(DONE/FAILED/CANCELLED) without reaching PHASE being a final phase itself,
or on timeout.  phase: prints `phase NAME elapsed_s`.  cancel: cancel_round.

Exit 0 on success; an error answer: message on stderr, exit 1.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import wire_client as wc  # noqa: E402

ORDER = ["QUEUED", "LOADING", "SOLVING", "SAVING", "DONE", "FAILED", "CANCELLED"]
FINAL = {"DONE", "FAILED", "CANCELLED"}


def phase_name(schema, n):
    for name in ORDER:
        if schema.enum("PHASE_" + name) == n:
            return name
    return "UNSPECIFIED"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--token", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("import")
    p.add_argument("dir")
    p.add_argument("--chunk", type=int, default=4 * 1024 * 1024)
    p = sub.add_parser("start-round")
    p.add_argument("--date", default="")
    p = sub.add_parser("wait-phase")
    p.add_argument("id", type=int)
    p.add_argument("phase", choices=ORDER)
    p.add_argument("--timeout", type=float, default=600)
    p = sub.add_parser("phase")
    p.add_argument("id", type=int)
    p = sub.add_parser("cancel")
    p.add_argument("id", type=int)
    a = ap.parse_args(argv)

    host, _, port = a.server.rpartition(":")
    schema = wc.Schema()
    conn = wc.Conn(schema, host, int(port), token=a.token, timeout=120)
    wc.ok(schema, conn.hello, "status")
    if a.cmd == "import":
        for kind in ("schools", "placements", "mentors", "students"):
            path = os.path.join(a.dir, kind + ".csv")
            if not os.path.exists(path):
                continue
            t0 = time.monotonic()
            r = wc.ok(schema, wc.import_csv(schema, conn, kind, path, a.chunk), "import " + kind)
            print("imported %s %d %.2f" % (kind, r.import_csv.result.rows,
                                           time.monotonic() - t0), flush=True)
    elif a.cmd == "start-round":
        r = wc.ok(schema, conn.call("run_round", date=a.date), "run_round")
        print(r.run_round.round_id)
    elif a.cmd == "phase":
        r = wc.ok(schema, conn.call("round_status", round_id=a.id), "round_status").round_status
        print("phase %s %.2f" % (phase_name(schema, r.phase), r.elapsed_seconds))
    elif a.cmd == "wait-phase":
        want = ORDER.index(a.phase)
        deadline = time.monotonic() + a.timeout
        known = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print("wait-phase: timeout, round %d still %s" % (a.id, phase_name(schema, known)),
                      file=sys.stderr)
                return 1
            r = wc.ok(schema, conn.call("round_status", round_id=a.id, known_phase=known,
                                        wait_ms=int(min(left, 10) * 1000) + 1),
                      "round_status").round_status
            known = r.phase
            name = phase_name(schema, known)
            if name in ORDER and ORDER.index(name) >= want:
                print("phase %s %.2f" % (name, r.elapsed_seconds))
                if name in FINAL and name != a.phase:
                    return 1
                return 0
    elif a.cmd == "cancel":
        wc.ok(schema, conn.call("cancel_round", round_id=a.id), "cancel_round")
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
