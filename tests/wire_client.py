#!/usr/bin/python3
"""wire_client.py - a second, independent client of fairmatchd's wire protocol.

It uses Debian's python3-protobuf, not protobuf-c, so that its agreement with
the daemon shows the wire format is standard: frames of a 4-byte big-endian
length and one fairmatch.v1.Request / Response (proto/fairmatch.proto).

The schema is compiled at start: with `protoc --python_out` when protoc is
installed (package protobuf-compiler), else with
`protoc-c --descriptor_set_out` (package protobuf-c-compiler, a build
dependency anyway), whose FileDescriptorSet python3-protobuf turns into
message classes.  Either way the generated code is temporary.
FM_WIRE_SCHEMA=protoc or =protoc-c in the environment forces one way.

Usage:
    wire_client.py --server HOST:PORT [--token TOKEN] COMMAND ...
commands:
    status                         print the status answer
    wire-check                     prove the wire properties (below); exit 0 if all hold
    import KIND FILE [--chunk N]   import a CSV file (students|placements|mentors|schools)
    run [--date D] [--time-limit S]  run a round and follow it to its end
    show ID                        show a round
    assignments ID [--unmatched] [--page N]  print all assignment rows, page by page

wire-check proves, on fresh connections: status answers with the request's
id; a garbage frame gets an INVALID_ARGUMENT error and the same connection
still answers; a length prefix over the pre-token limit (16 KiB) gets a
RESOURCE_EXHAUSTED error and the connection is closed; pipelined requests
(sent in one write) are all answered, matched by id; a request cut in half
and left hanging does not stop another connection from being answered.

Normal exit 0; a failed check or an error answer: a message on stderr, exit 1;
usage errors exit 2.
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO = os.path.join(HERE, "..", "proto", "fairmatch.proto")
PREAUTH_MAX = 16 * 1024


class Schema:
    """The fairmatch.v1 message classes, compiled from the .proto at run time."""

    def __init__(self, proto_path=DEFAULT_PROTO):
        proto_path = os.path.abspath(proto_path)
        self.tmp = tempfile.mkdtemp(prefix="fm_wire_")
        inc, name = os.path.split(proto_path)
        force = os.environ.get("FM_WIRE_SCHEMA", "")  # "protoc" or "protoc-c", for tests
        try:
            if force != "protoc-c" and (shutil.which("protoc") or force == "protoc"):
                subprocess.run(["protoc", "--python_out=" + self.tmp, "-I" + inc, proto_path],
                               check=True)
                sys.path.insert(0, self.tmp)
                import fairmatch_pb2 as pb  # noqa: E402
                self.via = "protoc --python_out"
                self._get = lambda n: getattr(pb, n)
                self.pb = pb
            else:
                out = os.path.join(self.tmp, "fairmatch.desc")
                subprocess.run(["protoc-c", "--descriptor_set_out=" + out, "-I" + inc,
                                proto_path], check=True)
                from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
                fds = descriptor_pb2.FileDescriptorSet()
                with open(out, "rb") as f:
                    fds.ParseFromString(f.read())
                pool = descriptor_pool.DescriptorPool()
                for fd in fds.file:
                    pool.Add(fd)
                factory = message_factory.MessageFactory(pool)
                self.via = "protoc-c --descriptor_set_out"
                self.pool = pool

                def get(n):
                    d = pool.FindMessageTypeByName("fairmatch.v1." + n)
                    if hasattr(message_factory, "GetMessageClass"):
                        return message_factory.GetMessageClass(d)
                    return factory.GetPrototype(d)
                self._get = get
                self.pb = None
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.Request = self._get("Request")
        self.Response = self._get("Response")
        self.Error = self._get("Error")
        d = self.Request.DESCRIPTOR
        self.enums = {}
        for f in d.file.enum_types_by_name.values():
            for v in f.values:
                self.enums[v.name] = v.number
        for v in self.Error.DESCRIPTOR.enum_types_by_name["Code"].values:
            self.enums["Code." + v.name] = v.number
        self.code_names = {v.number: v.name
                           for v in self.Error.DESCRIPTOR.enum_types_by_name["Code"].values}

    def msg(self, name):
        return self._get(name)

    def enum(self, name):
        return self.enums[name]


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


class Conn:
    """One TCP connection: send Requests, receive Responses matched by id."""

    def __init__(self, schema, host, port, token="", timeout=30.0, hello=True):
        self.s = schema
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.token = token
        self.buf = b""
        self.pending = {}
        self.next_id = 1
        self.hello = None
        if token and hello:
            # The token goes first in a small frame: until a connection has
            # presented a valid token, the daemon takes frames of <= 16 KiB.
            self.hello = self.call("status")

    def close(self):
        self.sock.close()

    def request(self, method, **fields):
        """A Request with a fresh id and `method` set from fields."""
        req = self.s.Request()
        req.id = self.next_id
        self.next_id += 1
        if self.token:
            req.token = self.token
        sub = getattr(req, method)
        sub.SetInParent()
        for k, v in fields.items():
            set_field(sub, k, v)
        return req

    def send(self, req):
        self.sock.sendall(frame(req.SerializeToString()))

    def send_raw(self, data):
        self.sock.sendall(data)

    def _read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed by the daemon")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        (n,) = struct.unpack(">I", self._read_exact(4))
        resp = self.s.Response()
        resp.ParseFromString(self._read_exact(n))
        return resp

    def wait(self, req_id):
        if req_id in self.pending:
            return self.pending.pop(req_id)
        while True:
            r = self.recv()
            if r.id == req_id:
                return r
            self.pending[r.id] = r

    def call(self, method, **fields):
        req = self.request(method, **fields)
        self.send(req)
        return self.wait(req.id)

    def closed_by_peer(self):
        """True if the daemon has closed the connection (EOF after any data)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def set_field(msg, key, value):
    if isinstance(value, dict):
        sub = getattr(msg, key)
        sub.SetInParent()
        for k, v in value.items():
            set_field(sub, k, v)
    elif isinstance(value, list):
        field = getattr(msg, key)
        for v in value:
            if isinstance(v, dict):
                item = field.add()
                for k2, v2 in v.items():
                    set_field(item, k2, v2)
            else:
                field.append(v)
    else:
        setattr(msg, key, value)


def error_text(schema, resp):
    e = resp.error
    where = ""
    if e.file:
        where = "%s:%d:%d: " % (e.file, e.line, e.column)
    extra = " (%s)" % e.ref if e.ref else ""
    field = e.field + ": " if e.field else ""
    return "%s: %s%s%s%s" % (schema.code_names.get(e.code, e.code), where, field, e.message,
                              extra)


def ok(schema, resp, what):
    if resp.HasField("error"):
        raise SystemExit("wire_client: %s: %s" % (what, error_text(schema, resp)))
    return resp


# ---- wire-check ------------------------------------------------------------------

def wire_check(schema, host, port, log=print):
    code = schema.enum
    failures = []

    def check(cond, what):
        log(("ok    " if cond else "FAIL  ") + what)
        if not cond:
            failures.append(what)

    # 1. status answers with the request's id, without a token.
    c = Conn(schema, host, port, token="")
    req = c.request("status")
    req.id = 4242
    c.send(req)
    r = c.recv()
    check(r.id == 4242 and r.WhichOneof("result") == "status" and not r.HasField("error"),
          "status answers with the request's id (%d)" % r.id)
    check(r.status.max_frame_bytes == PREAUTH_MAX,
          "before a token the frame limit is 16 KiB (%d)" % r.status.max_frame_bytes)

    # 2. garbage frame: an error, and the connection stays usable.
    c.send_raw(frame(b"\xff\xff\xff\xff garbage \x00\x01"))
    r = c.recv()
    check(r.HasField("error") and r.error.code == code("Code.INVALID_ARGUMENT"),
          "a garbage frame gets INVALID_ARGUMENT (%s)" % error_text(schema, r))
    # A frame whose first field is a readable id but whose rest is broken.
    c.send_raw(frame(b"\x08\x63" + b"\x52\x05ab"))
    r = c.recv()
    check(r.HasField("error") and r.id == 99,
          "a broken frame's readable id is echoed (%d)" % r.id)
    # An empty frame decodes as a Request without a method.
    c.send_raw(frame(b""))
    r = c.recv()
    check(r.HasField("error") and r.error.code == code("Code.INVALID_ARGUMENT"),
          "an empty frame gets INVALID_ARGUMENT")
    r = c.call("status")
    check(r.WhichOneof("result") == "status", "the same connection still answers status")
    c.close()

    # 3. oversized length prefix: an error, then the connection is closed.
    c = Conn(schema, host, port, token="", timeout=10)
    c.send_raw(struct.pack(">I", PREAUTH_MAX + 1))
    r = c.recv()
    check(r.HasField("error") and r.error.code == code("Code.RESOURCE_EXHAUSTED"),
          "a length over 16 KiB before a token gets RESOURCE_EXHAUSTED")
    check(c.closed_by_peer(), "... and the daemon closes the connection")
    c.close()
    c = Conn(schema, host, port, token="", timeout=10)
    c.send_raw(b"\xff\xff\xff\xff")
    r = c.recv()
    check(r.HasField("error") and r.error.code == code("Code.RESOURCE_EXHAUSTED"),
          "a 4 GiB length prefix gets RESOURCE_EXHAUSTED")
    check(c.closed_by_peer(), "... and the connection is closed")
    c.close()

    # 4. pipelined requests, one write, answered by id.
    c = Conn(schema, host, port, token="")
    reqs = []
    blob = b""
    for i in range(50):
        if i % 5 == 4:
            req = schema.Request()
            req.id = 1000 + i  # no method: an error answer, still by id
        else:
            req = c.request("status")
            req.id = 1000 + i
        reqs.append(req)
        blob += frame(req.SerializeToString())
    blob += frame(b"\xff garbage")
    c.send_raw(blob)
    seen = {}
    for _ in range(len(reqs) + 1):
        r = c.recv()
        seen.setdefault(r.id, []).append(r)
    ids_ok = all(len(seen.get(q.id, [])) == 1 for q in reqs)
    kinds_ok = all((seen[q.id][0].WhichOneof("result") == "status") == (i % 5 != 4)
                   for i, q in enumerate(reqs) if q.id in seen)
    check(ids_ok and kinds_ok and 0 in seen,
          "50 pipelined requests and a garbage frame in one write: each answered once, by id")
    c.close()

    # 5. a half-sent frame does not block another connection, and is answered
    #    when its rest arrives.
    stuck = Conn(schema, host, port, token="")
    req = stuck.request("status")
    data = frame(req.SerializeToString())
    stuck.send_raw(data[:3])
    stuck2 = Conn(schema, host, port, token="")
    req2 = stuck2.request("status")
    data2 = frame(req2.SerializeToString())
    stuck2.send_raw(data2[:5])
    other = Conn(schema, host, port, token="", timeout=5)
    r = other.call("status")
    check(r.WhichOneof("result") == "status",
          "half-sent frames on two connections do not block a third")
    stuck.send_raw(data[3:])
    stuck2.send_raw(data2[5:])
    check(stuck.wait(req.id).WhichOneof("result") == "status" and
          stuck2.wait(req2.id).WhichOneof("result") == "status",
          "... and are answered when their rest arrives")
    other.close()
    stuck.close()
    stuck2.close()

    # 6. a token raises the limit (only if one was given).
    return failures


def cmd_wire_check(schema, host, port, token):
    failures = wire_check(schema, host, port)
    if token:
        c = Conn(schema, host, port, token=token)
        r = c.call("status")
        ok(schema, r, "status with token")
        big = r.status.max_frame_bytes
        good = big > PREAUTH_MAX
        print(("ok    " if good else "FAIL  ") +
              "with a valid token the frame limit rises (%d)" % big)
        if not good:
            failures.append("token limit")
        # A request larger than 16 KiB now passes the frame check: it is
        # refused for its content, not its size, and the connection stays.
        r = c.call("list", kind=schema.enum("KIND_SCHOOLS"), page_token="x" * 32768)
        good = r.HasField("error") and r.error.code == schema.enum("Code.INVALID_ARGUMENT")
        r = c.call("status")
        good = good and r.WhichOneof("result") == "status"
        print(("ok    " if good else "FAIL  ") + "a 32 KiB frame is taken after a token")
        if not good:
            failures.append("big frame after token")
        c.close()
    if failures:
        print("wire_client: %d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("wire_client: all wire checks passed (schema via %s)" % schema.via)
    return 0


# ---- commands ----------------------------------------------------------------------

KINDS = {"students": "KIND_STUDENTS", "placements": "KIND_PLACEMENTS",
         "mentors": "KIND_MENTORS", "schools": "KIND_SCHOOLS"}


def import_csv(schema, conn, kind, path, chunk=8192, name=None):
    """Sends a CSV file in chunks; returns the final Response."""
    with open(path, "rb") as f:
        data = f.read()
    name = name or os.path.basename(path)
    upload_id, offset = 0, 0
    while True:
        part = data[offset:offset + chunk]
        last = offset + len(part) >= len(data)
        r = conn.call("import_csv", kind=schema.enum(KINDS[kind]), file_name=name,
                      upload_id=upload_id, offset=offset, data=part, last=last)
        if r.HasField("error") or last:
            return r
        upload_id = r.import_csv.upload_id
        offset += len(part)


def follow_round(schema, conn, round_id, wait_ms=2000, log=None):
    """Follows a round with waiting round_status calls until it ends."""
    phase = 0
    final = {schema.enum("PHASE_DONE"), schema.enum("PHASE_FAILED"),
             schema.enum("PHASE_CANCELLED")}
    seen = []
    while True:
        r = conn.call("round_status", round_id=round_id, known_phase=phase, wait_ms=wait_ms)
        if r.HasField("error"):
            return r, seen
        phase = r.round_status.phase
        if not seen or seen[-1] != phase:
            seen.append(phase)
            if log:
                log(phase)
        if phase in final:
            return r, seen


def all_assignments(schema, conn, round_id, unmatched=False, page=500, side=0):
    rows, token = [], ""
    while True:
        r = conn.call("list_assignments", round_id=round_id, page_size=page, page_token=token,
                      include_unmatched=unmatched, side=side)
        if r.HasField("error"):
            return r, rows
        rows.extend(r.list_assignments.assignments)
        token = r.list_assignments.next_page_token
        if not token:
            return r, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description="fairmatch.v1 wire client (python3-protobuf)")
    ap.add_argument("--server", default=os.environ.get("FAIRMATCH_SERVER", "127.0.0.1:7433"))
    ap.add_argument("--token", default=os.environ.get("FAIRMATCH_TOKEN", ""))
    ap.add_argument("--proto", default=DEFAULT_PROTO)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status")
    sub.add_parser("wire-check")
    p = sub.add_parser("import")
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("file")
    p.add_argument("--chunk", type=int, default=8192)
    p = sub.add_parser("run")
    p.add_argument("--date", default="")
    p.add_argument("--time-limit", type=float, default=0)
    p = sub.add_parser("show")
    p.add_argument("id", type=int)
    p = sub.add_parser("assignments")
    p.add_argument("id", type=int)
    p.add_argument("--unmatched", action="store_true")
    p.add_argument("--page", type=int, default=500)
    a = ap.parse_args(argv)
    host, _, port = a.server.rpartition(":")
    host = host.strip("[]")
    schema = Schema(a.proto)
    if a.cmd == "wire-check":
        return cmd_wire_check(schema, host, int(port), a.token)
    conn = Conn(schema, host, int(port), token=a.token)
    if a.cmd == "status":
        print(ok(schema, conn.call("status"), "status"))
    elif a.cmd == "import":
        r = ok(schema, import_csv(schema, conn, a.kind, a.file, a.chunk), "import")
        print("imported %d rows" % r.import_csv.result.rows)
        for w in r.import_csv.result.warnings:
            print("warning:", w)
    elif a.cmd == "run":
        r = ok(schema, conn.call("run_round", date=a.date,
                                 options={"time_limit_seconds": a.time_limit}), "run_round")
        rid = r.run_round.round_id
        print("round", rid, "queued")
        r, _ = follow_round(schema, conn, rid, log=lambda p: print("phase", p))
        ok(schema, r, "round_status")
        print(r.round_status)
        if r.round_status.HasField("error"):
            return 1
    elif a.cmd == "show":
        print(ok(schema, conn.call("show_round", round_id=a.id), "show_round"))
    elif a.cmd == "assignments":
        r, rows = all_assignments(schema, conn, a.id, a.unmatched, a.page)
        ok(schema, r, "list_assignments")
        for row in rows:
            print(row.side, row.student_ref, row.school_ref, row.tier, row.target_ref,
                  row.employer_ref, row.rank, row.distance_km, row.utility, row.reason,
                  row.rule, row.state, sep=",")
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
