#!/usr/bin/python3
"""load_hostile.py - the real fairmatchd under many connections and hostile
clients, on loopback, bounded in count and time (issue 5, item 4).

Starts fairmatchd on a free loopback port with a temporary database, a
coordinator token (`fairmatch token create`) and a config with small limits
(frame_timeout_s, idle_timeout_s, write_queue_limit_bytes, max_inflight,
max_connections above the load), then:

  1. baseline: fm_rpc_load (bench/rpc_load.c) keeps --connections
     well-behaved connections busy with status requests (one in flight
     each, with the token) for --seconds; its p99 latency is the baseline;
  2. attack: the same load again while a child process, at nice 19 so that
     on a small machine it does not take the CPU from the client that
     measures, runs hostile clients in one poll loop, replacing each one the
     daemon closes:
       slow       send a valid request one byte a second
       stuck      announce a 9000-byte frame, send 100 bytes, then nothing
       nonreader  small receive buffer; pipeline requests for big answers
                  (a page of 1000 schools, about 100 KiB), never read
       vanish     connect, send a request (every third the first chunk of a
                  CSV upload) and half of another, close at once
                  (alternately with a reset), --vanish-rate per second
       flood      one connection pipelining requests as fast as it can,
                  reading its answers
  3. afterwards: a fresh connection is answered; the daemon's peak memory
     (VmHWM of /proc/PID/status) and the log's close reasons are read; every
     connection opened was closed; SIGTERM stops it with exit 0.

Asserts (each printed "ok"/"FAIL"): no error on the well-behaved
connections; p99 under attack <= --max-p99-ratio x baseline p99 (plus
--p99-slack-ms, for a noisy machine); VmHWM <= --max-rss-mb; every slow and
stuck client closed by the daemon, none before frame_timeout_s, and by the
daemon's log each frame_timeout close within frame_timeout_s (+ slack) of
the connection's opening; non-readers paused (log conn_paused) and closed
as write_stalled, the bytes the daemon took from each bounded; the flood
served; every connection opened closed, none refused; a clean stop.  Prints one `load_hostile
key=value ...` line with the figures, for bench/load_bench.sh.

Usage: load_hostile.py --fairmatchd PATH --fairmatch PATH --rpc-load PATH
                       [--connections N] [--seconds S] [--max-rss-mb M] ...
Exit 0 when every check passes, 1 otherwise, 2 on a setup failure.  Leaves
nothing behind (everything started is stopped, the temporary directory
removed).
"""
import argparse
import datetime
import multiprocessing
import os
import re
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wire_client as wc  # noqa: E402
from test_daemon import FAILS, check  # noqa: E402  (the daemon tests' shared checks)


def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def parse_kv(line):
    return dict(t.split("=", 1) for t in line.split() if "=" in t)


# ---- hostile clients -------------------------------------------------------

class Hostile:
    """One hostile connection, driven by HostileSet.step()."""

    def __init__(self, kind, port, payload, now):
        self.kind = kind
        self.opened = now
        self.first_byte = None
        self.closed_at = None
        self.sent = 0          # bytes the kernel accepted
        self.answers = 0
        self.rbuf = b""
        self.next_at = now
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if kind == "nonreader":
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.out = payload     # bytes still to send (slow: one at a time)

    def fileno(self):
        return self.sock.fileno()

    def close(self, reset=False):
        if self.sock is not None:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
            self.sock.close()
            self.sock = None


class HostileSet:
    def __init__(self, port, schema, args, token):
        self.port = port
        self.args = args
        req = schema.Request()
        req.id = 7
        req.status.SetInParent()
        self.status_frame = wc.frame(req.SerializeToString())
        self.flood_blob = self.status_frame * 2000
        req = schema.Request()
        req.id = 8
        req.token = token
        req.list.kind = schema.enum("KIND_SCHOOLS")
        req.list.page_size = 1000
        self.list_blob = wc.frame(req.SerializeToString()) * 200
        req = schema.Request()
        req.id = 9
        req.token = token
        req.import_csv.kind = schema.enum("KIND_SCHOOLS")
        req.import_csv.file_name = "vanish.csv"
        req.import_csv.data = b"school_ref,name\nSCHV1,Vanishing upload\n"
        req.import_csv.last = False
        self.upload_frame = wc.frame(req.SerializeToString())
        self.live = []
        self.done = []          # closed by the daemon: (kind, lifetime, since first byte)
        self.vanished = 0
        self.vanish_due = 0.0
        self.poller = select.poll()
        self.by_fd = {}

    def open(self, kind, now):
        if kind == "slow":
            payload = self.status_frame * 100
        elif kind == "stuck":
            payload = struct.pack(">I", 9000) + b"\x08" * 100
        elif kind == "nonreader":
            payload = b""
        else:
            payload = b""
        h = Hostile(kind, self.port, payload, now)
        self.live.append(h)
        self.by_fd[h.fileno()] = h
        ev = select.POLLRDHUP | select.POLLERR | select.POLLHUP
        if kind in ("flood", "slow"):
            ev |= select.POLLIN
        self.poller.register(h.fileno(), ev)
        return h

    def drop(self, h, by_daemon, now):
        if h.sock is None:
            return
        self.poller.unregister(h.fileno())
        del self.by_fd[h.fileno()]
        h.close()
        h.closed_at = now
        self.live.remove(h)
        if by_daemon:
            self.done.append(h)

    def send_some(self, h, data, now):
        try:
            n = h.sock.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            self.drop(h, True, now)
            return -1
        if n > 0 and h.first_byte is None:
            h.first_byte = now
        h.sent += n
        return n

    def start(self):
        now = time.monotonic()
        a = self.args
        for kind, n in (("slow", a.slow), ("stuck", a.stuck), ("nonreader", a.nonreaders),
                        ("flood", a.floods)):
            for _ in range(n):
                self.open(kind, now)
        self.vanish_due = now

    def step(self, replace=True, budget_s=0.02):
        """One pass: poll for closes and answers, then act on each client."""
        now = time.monotonic()
        for fd, ev in self.poller.poll(int(budget_s * 1000)):
            h = self.by_fd.get(fd)
            if h is None:
                continue
            if ev & select.POLLIN:
                try:
                    chunk = h.sock.recv(1 << 20)
                except BlockingIOError:
                    chunk = None
                except OSError:
                    chunk = b""
                if chunk == b"":
                    self.drop(h, True, time.monotonic())
                    continue
                if chunk:
                    buf = h.rbuf + chunk
                    off = 0
                    while len(buf) - off >= 4:
                        (n,) = struct.unpack_from(">I", buf, off)
                        if len(buf) - off < 4 + n:
                            break
                        off += 4 + n
                        h.answers += 1
                    h.rbuf = buf[off:]
            elif ev & (select.POLLRDHUP | select.POLLERR | select.POLLHUP):
                self.drop(h, True, time.monotonic())
        now = time.monotonic()
        for h in list(self.live):
            if h.sock is None:
                continue
            if h.kind == "slow" and now >= h.next_at and h.out:
                if self.send_some(h, h.out[:1], now) == 1:
                    h.out = h.out[1:]
                h.next_at = now + 1.0
            elif h.kind == "stuck" and h.out:
                n = self.send_some(h, h.out, now)
                if n > 0:
                    h.out = h.out[n:]
            elif h.kind == "nonreader":
                self.send_some(h, self.list_blob, now)
            elif h.kind == "flood":
                if h.sent - h.answers * len(self.status_frame) < len(self.flood_blob) * 4:
                    self.send_some(h, self.flood_blob, now)
        # Vanishing clients, at a steady rate.
        while replace and self.vanish_due <= now:
            self.vanish_due += 1.0 / max(self.args.vanish_rate, 0.001)
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                # A request (every third one a CSV upload begun, not
                # finished) and half of another, then gone.
                first = self.upload_frame if self.vanished % 3 == 1 else self.status_frame
                s.sendall(first + self.status_frame[:5])
                reset = self.vanished % 2 == 0
                if reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                self.vanished += 1
            except OSError as e:
                print("vanish client: %s" % e, flush=True)
        # Replace what the daemon closed, to keep the pressure up.
        if replace:
            want = {"slow": self.args.slow, "stuck": self.args.stuck,
                    "nonreader": self.args.nonreaders, "flood": self.args.floods}
            for kind, n in want.items():
                have = sum(1 for h in self.live if h.kind == kind)
                for _ in range(n - have):
                    self.open(kind, now)

    def close_all(self):
        for h in list(self.live):
            self.poller.unregister(h.fileno())
            h.close()
        self.live = []
        self.by_fd = {}


def hostile_main(port, schema, args, token, pipe, stop_replacing):
    """The attack, in a child process at the lowest CPU priority: on a
    2-core machine the generator must not take the CPU from the
    well-behaved client that measures (the daemon still gets all the
    hostile traffic the generator can make with what is left)."""
    os.nice(19)
    hs = HostileSet(port, schema, args, token)
    hs.start()
    t0 = time.monotonic()
    pipe.send("started")
    while not stop_replacing.is_set():
        hs.step()
    # Keep the last hostile clients on, without replacing them, until the
    # daemon has closed them too (at most --drain-timeout).
    t_end = time.monotonic() + args.drain_timeout
    while time.monotonic() < t_end and any(h.kind != "flood" for h in hs.live):
        hs.step(replace=False)
    flood = [h for h in hs.live + hs.done if h.kind == "flood"]
    summary = {
        "done": [(h.kind, h.closed_at - (h.first_byte or h.opened), h.closed_at - h.opened,
                  h.sent) for h in hs.done],
        "still_open": [h.kind for h in hs.live if h.kind != "flood"],
        "vanished": hs.vanished,
        "flood_answers": sum(h.answers for h in flood),
        "attack_s": time.monotonic() - t0,
    }
    hs.close_all()
    pipe.send(summary)


def log_durations(log, reason):
    """Seconds from conn_open to conn_close, per connection closed for reason,
    by the daemon's own clock (its log)."""
    def ts(line):
        m = re.match(r"ts=(\S+)Z ", line)
        return datetime.datetime.fromisoformat(m.group(1)).timestamp() if m else None
    opened, out = {}, []
    for line in log.splitlines():
        m = re.search(r"event=conn_(open|close) conn=(\d+)", line)
        if not m:
            continue
        if m.group(1) == "open":
            opened[m.group(2)] = ts(line)
        elif ("reason=%s" % reason) in line and opened.get(m.group(2)) is not None:
            out.append(ts(line) - opened[m.group(2)])
    return sorted(out)


# ---- the daemon --------------------------------------------------------------

def start_daemon(args, tmp, db, conf):
    log_path = os.path.join(tmp, "daemon.log")
    logf = open(log_path, "w")
    cmd = [args.fairmatchd, "--listen", "127.0.0.1:0", "--db", db, "--config", conf]
    p = subprocess.Popen(cmd, stderr=logf, cwd=tmp)
    port = None
    deadline = time.time() + 30
    while time.time() < deadline and port is None and p.poll() is None:
        with open(log_path) as f:
            m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+)", f.read())
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.05)
    return p, logf, log_path, port


def run_load(args, port, token, label, seconds):
    cmd = [args.rpc_load, "--server", "127.0.0.1:%d" % port, "--clients",
           str(args.connections), "--seconds", str(seconds), "--warmup", str(args.warmup),
           "--token", token, "--label", label, "--grace", "30", "--connect-timeout", "20"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_load(p, timeout):
    out, err = p.communicate(timeout=timeout)
    line = next((x for x in out.splitlines() if x.startswith("rpc_load ")), "")
    kv = parse_kv(line)
    return p.returncode, kv, err.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--fairmatch", required=True, help="for `fairmatch token create`")
    ap.add_argument("--rpc-load", required=True, help="bench/rpc_load.c's fm_rpc_load")
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=4.0, help="each measured window")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--slow", type=int, default=20)
    ap.add_argument("--stuck", type=int, default=20)
    ap.add_argument("--nonreaders", type=int, default=5)
    ap.add_argument("--floods", type=int, default=1)
    ap.add_argument("--vanish-rate", type=float, default=40.0, help="per second")
    ap.add_argument("--frame-timeout", type=int, default=2)
    ap.add_argument("--idle-timeout", type=int, default=3)
    ap.add_argument("--write-queue-limit", type=int, default=256 * 1024)
    ap.add_argument("--max-inflight", type=int, default=64)
    ap.add_argument("--max-rss-mb", type=float, default=150.0)
    ap.add_argument("--max-p99-ratio", type=float, default=4.0)
    ap.add_argument("--p99-slack-ms", type=float, default=10.0)
    ap.add_argument("--timing-slack", type=float, default=2.5,
                    help="seconds a timeout may be late on a loaded machine")
    ap.add_argument("--drain-timeout", type=float, default=40.0,
                    help="after the attack, seconds to wait for the daemon to close the "
                    "hostile clients still open")
    args = ap.parse_args()
    for k in ("fairmatchd", "fairmatch", "rpc_load"):
        setattr(args, k, os.path.abspath(getattr(args, k)))

    # Room for every client at once, and for vanished ones the daemon has
    # not seen go yet: none may be refused for max_connections.
    hostile_n = int(args.slow + args.stuck + args.nonreaders + args.floods +
                    args.vanish_rate * 10 + 100)
    need = args.connections + hostile_n + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            print("load_hostile: needs %d file descriptors, the hard limit is %d "
                  "(raise `ulimit -Hn`)" % (need, hard), file=sys.stderr)
            return 2
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))  # inherited by children

    schema = wc.Schema(args.proto)
    tmp = tempfile.mkdtemp(prefix="fm_load_")
    db = os.path.join(tmp, "fairmatch.db")
    daemon = None
    hostile = None
    log_path = None
    ok = False
    try:
        tok = subprocess.run([args.fairmatch, "token", "create", "--db", db, "--role",
                              "coordinator"], capture_output=True, text=True)
        if tok.returncode != 0 or not tok.stdout.strip():
            print("load_hostile: token create failed: %s" % tok.stderr, file=sys.stderr)
            return 2
        token = tok.stdout.strip().splitlines()[-1].strip()
        conf = os.path.join(tmp, "fairmatchd.conf")
        with open(conf, "w") as f:
            f.write("[server]\nmax_connections = %d\nframe_timeout_s = %d\n"
                    "idle_timeout_s = %d\nwrite_queue_limit_bytes = %d\nmax_inflight = %d\n"
                    "shutdown_grace_s = 10\n[log]\nlog_level = info\n" % (
                        args.connections + hostile_n + 100, args.frame_timeout,
                        args.idle_timeout, args.write_queue_limit, args.max_inflight))
        daemon, logf, log_path, port = start_daemon(args, tmp, db, conf)
        if not check(port is not None, "fairmatchd starts and listens"):
            return 1
        pid = daemon.pid
        # Schools to list: the non-readers ask for pages of 1000 of them.
        c = wc.Conn(schema, "127.0.0.1", port, token=token, timeout=60)
        r = c.call("upsert_schools", rows=[{"school_ref": "SCH%05d" % i,
                                            "name": "Load test school %05d %s" % (i, "x" * 60)}
                                           for i in range(1000)])
        c.close()
        if not check(not r.HasField("error"), "1000 schools stored for the non-readers to list"):
            return 1
        rss0 = proc_kb(pid, "VmRSS")

        # 1. baseline
        rc, base, err = finish_load(run_load(args, port, token, "baseline", args.seconds),
                                    args.seconds + args.warmup + 120)
        base_ok = rc == 0 and base.get("errors") == "0"
        check(base_ok, "baseline: %s connections, %s requests, no error (%s)" % (
            base.get("clients"), base.get("requests"), err[-300:]))
        hwm_base = proc_kb(pid, "VmHWM")

        # 2. attack
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe()
        stop_replacing = ctx.Event()
        hostile = ctx.Process(target=hostile_main,
                              args=(port, schema, args, token, there, stop_replacing))
        hostile.start()
        if not check(here.poll(30) and here.recv() == "started", "the hostile clients start"):
            return 1
        time.sleep(1.0)   # let them get going
        rc, att, err = finish_load(run_load(args, port, token, "attack", args.seconds),
                                   args.seconds + args.warmup + 120)
        stop_replacing.set()
        got = here.poll(args.drain_timeout + 60)
        summary = here.recv() if got else None
        hostile.join(10)
        if not check(summary is not None, "the hostile clients report"):
            return 1
        hostile = None
        attack_s = summary["attack_s"]
        flood_answers = summary["flood_answers"]
        done = summary["done"]
        check(rc == 0 and att.get("errors") == "0",
              "under attack: %s connections, %s requests, no error (%s)" % (
                  att.get("clients"), att.get("requests"), err[-300:]))

        # 3. afterwards
        c = wc.Conn(schema, "127.0.0.1", port, token=token, timeout=20)
        r = c.call("status")
        check(r.WhichOneof("result") == "status" and daemon.poll() is None,
              "the daemon answers a fresh connection afterwards")
        c.close()
        time.sleep(0.5)
        hwm = proc_kb(pid, "VmHWM")
        rss_after = proc_kb(pid, "VmRSS")

        p99_b = float(base.get("p99_ms", "nan"))
        p99_a = float(att.get("p99_ms", "nan"))
        limit = args.max_p99_ratio * p99_b + args.p99_slack_ms
        check(p99_a <= limit, "well-behaved p99 under attack %.2f ms <= %.1f x baseline "
              "%.2f ms + %.0f ms = %.2f ms" % (p99_a, args.max_p99_ratio, p99_b,
                                              args.p99_slack_ms, limit))
        check(hwm <= args.max_rss_mb * 1024, "peak memory VmHWM %.1f MiB <= %.0f MiB "
              "(after the baseline %.1f MiB, at start %.1f MiB)" % (
                  hwm / 1024, args.max_rss_mb, hwm_base / 1024, rss0 / 1024))

        ft = args.frame_timeout
        with open(log_path) as f:
            log = f.read()
        reasons = {}
        for m in re.finditer(r"event=conn_close .*?reason=(\w+)", log):
            reasons[m.group(1)] = reasons.get(m.group(1), 0) + 1
        # By the client: each slow or stuck client was closed, none before
        # frame_timeout (an early close would be a refusal, or a bug).
        for kind in ("slow", "stuck"):
            lives = sorted(x[1] for x in done if x[0] == kind)
            check(len(lives) >= getattr(args, kind) and kind not in summary["still_open"] and
                  all(x >= ft - 0.3 for x in lives),
                  "%s clients: %d closed by the daemon, none open at the end, none sooner than "
                  "frame_timeout_s = %d after its first byte (%.1f-%.1f s as the client saw it)" % (
                      kind, len(lives), ft, lives[0] if lives else -1,
                      lives[-1] if lives else -1))
        # By the daemon's clock: each frame_timeout close came on time.
        ftd = log_durations(log, "frame_timeout")
        check(len(ftd) >= args.slow + args.stuck and
              all(ft - 0.05 <= x <= ft + args.timing_slack for x in ftd),
              "the log: %d connections closed as frame_timeout, each %.2f-%.2f s after it opened" %
              (len(ftd), ftd[0] if ftd else -1, ftd[-1] if ftd else -1))
        nr = [x for x in done if x[0] == "nonreader"]
        nr_sent = max([x[3] for x in nr] or [0])
        nr_life = sorted(x[2] for x in nr)
        paused = log.count("event=conn_paused")
        check(len(nr) >= args.nonreaders and reasons.get("write_stalled", 0) >= args.nonreaders
              and paused >= args.nonreaders and "nonreader" not in summary["still_open"],
              "non-readers: %d closed (write_stalled in the log: %d, conn_paused: %d), "
              "after %.1f-%.1f s" % (len(nr), reasons.get("write_stalled", 0), paused,
                                     nr_life[0] if nr_life else -1,
                                     nr_life[-1] if nr_life else -1))
        # What a non-reader could push in: the socket buffers plus what the
        # daemon read before pausing it; far below what it tried to send.
        check((0 < nr_sent or not args.nonreaders) and nr_sent <= 64 * 1024 * 1024,
              "... the most one non-reader got the daemon to take: %.1f MiB" % (nr_sent / 2**20))
        check(flood_answers > 0 or not args.floods,
              "the flood connection was served: %d answers in %.1f s" % (flood_answers, attack_s))
        opened = log.count("event=conn_open")
        closed = log.count("event=conn_close")
        check(opened == closed and reasons.get("max_connections", 0) == 0 and
              "conn_refused" not in log,
              "every connection opened was closed, none refused (%d opened, %d closed, "
              "%d vanishing clients)" % (opened, closed, summary["vanished"]))

        t0 = time.time()
        daemon.send_signal(signal.SIGTERM)
        try:
            drc = daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            drc = "killed"
        logf.close()
        with open(log_path) as f:
            tail = f.read()
        check(drc == 0 and "loop_close=ok" in tail,
              "SIGTERM: exit %s in %.1f s, loop_close=ok" % (drc, time.time() - t0))
        daemon = None
        print("load_hostile connections=%s base_rps=%s base_p50_ms=%s base_p99_ms=%s "
              "attack_rps=%s attack_p50_ms=%s attack_p99_ms=%s attack_max_ms=%s "
              "p99_ratio=%.2f peak_mib=%.1f base_peak_mib=%.1f rss_after_mib=%.1f slow=%d "
              "stuck=%d nonreaders=%d nonreader_max_mib=%.2f vanished=%d flood_answers=%d "
              "attack_s=%.1f closes=%s" % (
                  base.get("clients"), base.get("rps"), base.get("p50_ms"), base.get("p99_ms"),
                  att.get("rps"), att.get("p50_ms"), att.get("p99_ms"), att.get("max_ms"),
                  p99_a / p99_b if p99_b > 0 else float("nan"), hwm / 1024, hwm_base / 1024,
                  rss_after / 1024, len([x for x in done if x[0] == "slow"]),
                  len([x for x in done if x[0] == "stuck"]), len(nr),
                  nr_sent / 2**20, summary["vanished"], flood_answers, attack_s,
                  ",".join("%s:%d" % kv for kv in sorted(reasons.items()))), flush=True)
        ok = True
    finally:
        if (not ok or FAILS) and log_path and os.path.exists(log_path):
            with open(log_path) as f:
                lines = [x for x in f.read().splitlines() if "event=conn_" not in x]
            print("--- the daemon's log (without conn_ events), last lines:\n" +
                  "\n".join(lines[-40:]), flush=True)
        if hostile is not None and hostile.is_alive():
            hostile.kill()
            hostile.join()
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("load_hostile: %d check(s) failed" % len(FAILS), file=sys.stderr)
        return 1
    print("load_hostile: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
