#!/usr/bin/python3
"""test_daemon.py - integration test of the real fairmatchd, over TCP.

Starts fairmatchd on a free loopback port with a temporary database and a
config file, creates tokens with the test helper daemon_token, and drives
the daemon with the python3-protobuf client of wire_client.py:

  - the wire checks (wire_client.py wire-check, as a separate process):
    status, garbage and empty frames, oversized length prefixes, pipelining
    by id, half-sent frames, the frame limit rising with a token;
  - auth: methods without a token or with a bad one are UNAUTHENTICATED;
  - imports: CSV files sent in small chunks (rows stored, warnings for
    unknown columns), a bad CSV file refused naming file/line/column with
    nothing stored, a wrong chunk offset refused and resumable; typed
    batches of 2000 rows in one request; a bad typed row named by ref and
    field; scope: a school may not write another school's pupils nor any
    placement, and lists only its own pupils;
  - a round run on the thread pool while the loop keeps answering, followed
    with waiting round_status calls through its phases to DONE; show_round;
    the vector equal to `fairmatch solve` on the same CSV files when that
    binary is given and works;
  - assignments paged (page size 7) equal to one big page, and scoped: a
    school sees only its pupils, an employer only matched rows of its own
    placements without tier/rank/utility and, of each pupil, only a
    pseudonym (stable in the round, also its page cursor and the name it
    confirms by), age band, needs_access and school name -- no student_ref,
    school_ref or birth date; confirm / decline, and refusals;
  - the idle timeout closes a silent connection; pipelined requests on one
    connection are all answered by id while a round runs; a client that
    pipelines big answers without reading is paused (write-queue
    backpressure) while others are served, and gets every answer later;
  - SIGTERM while a round runs: exit 0, `loop_close=ok` in the log, the
    round recorded (done or cancelled), the database intact on restart; a
    second daemon on the same database is refused (exit 1); after SIGKILL
    during a round, a restarted daemon reports that round failed
    ("interrupted"), never running;
  - mutated requests of every method (bytes flipped, cut, padded) each get
    one decodable answer and the daemon stays up;
  - no personal value from the inputs appears in the daemon's log.

Usage: test_daemon.py --fairmatchd PATH --token-tool PATH [--fairmatch PATH]
                      [--idle-timeout S]
Exit 0 when every check passes, 1 otherwise.  Leaves nothing behind.
"""
import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wire_client as wc  # noqa: E402

FAILS = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILS.append(what)
    return cond


# ---- test data -------------------------------------------------------------------

SECTORS = ["law", "health", "it", "engineering", "arts", "finance"]
ROUND_DATE = "2027-06-14"


def make_region(rng, n_students=300, n_placements=40, n_mentors=25):
    schools = [("SCH%d" % i, "School %d" % i, 51.5 + i * 0.01, -0.1 - i * 0.01)
               for i in range(1, 5)]
    students, placements, mentors = [], [], []
    for i in range(n_students):
        sch = schools[i % len(schools)]
        secs = rng.sample(SECTORS, rng.randint(1, 4))
        students.append({
            "student_ref": "S%04d" % i, "school_ref": sch[0],
            "birth_date": "%04d-%02d-%02d" % (rng.choice([2008, 2009, 2010, 2011]),
                                              rng.randint(1, 12), rng.randint(1, 28)),
            "lat": "%.5f" % (sch[2] + rng.uniform(-0.05, 0.05)),
            "lon": "%.5f" % (sch[3] + rng.uniform(-0.05, 0.05)),
            "max_travel_km": rng.choice(["", "5", "10", "30"]),
            "low_income": rng.choice(["0", "0", "1"]),
            "gifted": rng.choice(["0", "0", "0", "1"]),
            "looked_after": rng.choice(["0"] * 9 + ["1"]),
            "needs_access": rng.choice(["0"] * 9 + ["1"]),
            "gender": rng.choice(["F", "M", "X", ""]),
            "sectors": "|".join(secs),
            "weeks": rng.choice(["", "", "2027-W24", "2027-W24|2027-W25"]),
            "wants_placement": "1",
            "wants_mentor": rng.choice(["0", "1"]),
        })
    for i in range(n_placements):
        virtual = rng.random() < 0.15
        placements.append({
            "placement_ref": "P%03d" % i, "employer_ref": "EMP%d" % (1 + i % 5),
            "title": "Placement %d" % i, "sector": rng.choice(SECTORS),
            "capacity": str(rng.randint(1, 6)),
            "lat": "" if virtual else "%.5f" % (51.52 + rng.uniform(-0.08, 0.08)),
            "lon": "" if virtual else "%.5f" % (-0.12 + rng.uniform(-0.08, 0.08)),
            "virtual": "1" if virtual else "0",
            "accessible": rng.choice(["0", "1"]),
            "min_age": rng.choice(["", "14", "15", "16"]),
            "week": rng.choice(["", "2027-W24", "2027-W25"]),
            "reserve_pct": rng.choice(["0", "0", "25", "50"]),
        })
    for i in range(n_mentors):
        online = rng.random() < 0.3
        mentors.append({
            "mentor_ref": "M%03d" % i, "organisation": "Org %d" % i,
            "sectors": "|".join(rng.sample(SECTORS, rng.randint(1, 3))),
            "capacity": str(rng.randint(1, 4)),
            "lat": "" if online else "%.5f" % (51.52 + rng.uniform(-0.08, 0.08)),
            "lon": "" if online else "%.5f" % (-0.12 + rng.uniform(-0.08, 0.08)),
            "online": "1" if online else "0",
            "max_travel_km": rng.choice(["", "15"]),
            "dbs_valid_until": rng.choice(["", "2028-01-01", "2026-01-01"]),
        })
    return schools, students, placements, mentors


def write_csv(path, rows, extra_col=None):
    cols = list(rows[0].keys())
    if extra_col:
        cols.append(extra_col)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "note") for c in cols])


# ---- the daemon ------------------------------------------------------------------

class Daemon:
    def __init__(self, exe, db, tmp, config=None, name="d", prefix=()):
        self.log_path = os.path.join(tmp, name + ".log")
        args = list(prefix) + [exe, "--listen", "127.0.0.1:0", "--db", db]
        if config:
            args += ["--config", config]
        self.logf = open(self.log_path, "w")
        self.p = subprocess.Popen(args, stderr=self.logf, cwd=tmp)
        self.port = None
        deadline = time.time() + 10
        while time.time() < deadline and self.port is None:
            if self.p.poll() is not None:
                break
            m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            rc = "killed"
        self.logf.close()
        return rc


def cleanup(d, tmp, keep):
    """The end of a test run: kills a daemon left running, then removes the
    temporary directory (or says where it was kept)."""
    if d is not None:
        d.stop(signal.SIGKILL)
    if keep:
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def report(name):
    """The exit code of a test run, with its last line."""
    if FAILS:
        print("%s: %d check(s) failed" % (name, len(FAILS)), file=sys.stderr)
        return 1
    print("%s: all checks passed" % name)
    return 0


def token(tool, db, role, scope=None):
    args = [tool, db, role] + ([scope] if scope else [])
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


# ---- the checks ------------------------------------------------------------------

def code(schema, name):
    return schema.enum("Code." + name)


def test_auth(schema, port):
    c = wc.Conn(schema, "127.0.0.1", port, token="")
    r = c.call("list", kind=schema.enum("KIND_STUDENTS"))
    check(r.error.code == code(schema, "UNAUTHENTICATED"), "list without a token: UNAUTHENTICATED")
    c.token = "fm_" + "A" * 43
    r = c.call("list", kind=schema.enum("KIND_STUDENTS"))
    check(r.error.code == code(schema, "UNAUTHENTICATED"), "a made-up token: UNAUTHENTICATED")
    c.token = "x" * 5000
    r = c.call("status")
    check(r.error.code == code(schema, "UNAUTHENTICATED"), "an over-long token: UNAUTHENTICATED")
    c.close()


def test_imports(schema, port, tokens, tmp, region):
    schools, students, placements, mentors = region
    c = wc.Conn(schema, "127.0.0.1", port, token=tokens["coord"])
    files = {}
    files["schools"] = os.path.join(tmp, "schools.csv")
    with open(files["schools"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["school_ref", "name", "lat", "lon"])
        for s in schools:
            w.writerow(s)
    files["students"] = os.path.join(tmp, "students.csv")
    write_csv(files["students"], students, extra_col="notes")
    files["placements"] = os.path.join(tmp, "placements.csv")
    write_csv(files["placements"], placements)
    files["mentors"] = os.path.join(tmp, "mentors.csv")
    write_csv(files["mentors"], mentors)
    want = {"schools": len(schools), "students": len(students),
            "placements": len(placements), "mentors": len(mentors)}
    for kind in ["schools", "students", "placements", "mentors"]:
        r = wc.import_csv(schema, c, kind, files[kind], chunk=700)
        good = not r.HasField("error") and r.import_csv.done and \
            r.import_csv.result.rows == want[kind]
        check(good, "import %s.csv in 700-byte chunks: %d rows (%s)" % (
            kind, want[kind], wc.error_text(schema, r) if r.HasField("error")
            else r.import_csv.result.rows))
        if kind == "students":
            check(r.import_csv.result.warning_count >= 1 and
                  any("notes" in w for w in r.import_csv.result.warnings),
                  "the unknown column `notes` comes back as a warning")

    # A bad CSV file: refused with file, line and column; nothing stored.
    before = c.call("status").status.counts.students
    bad = os.path.join(tmp, "bad_students.csv")
    rows = [dict(s) for s in students[:5]]
    for i, s in enumerate(rows):
        s["student_ref"] = "NEW%d" % i
    rows[3]["birth_date"] = "2011-13-01"
    write_csv(bad, rows)
    r = wc.import_csv(schema, c, "students", bad, chunk=64, name="bad_students.csv")
    e = r.error
    check(e.code == code(schema, "INVALID_ARGUMENT") and e.file == "bad_students.csv" and
          e.line == 5 and e.column == 3 and e.field == "birth_date",
          "a bad CSV value: INVALID_ARGUMENT at bad_students.csv:%d:%d %s" % (
              e.line, e.column, e.field))
    after = c.call("status").status.counts.students
    check(after == before, "... and nothing of that file is stored (%d == %d)" % (after, before))

    # A wrong chunk offset is refused and the upload can go on.
    r1 = c.call("import_csv", kind=schema.enum("KIND_SCHOOLS"), file_name="s.csv",
                data=b"school_ref,name\n", last=False)
    uid = r1.import_csv.upload_id
    r2 = c.call("import_csv", kind=schema.enum("KIND_SCHOOLS"), upload_id=uid, offset=3,
                data=b"SCH1,x\n", last=True)
    check(r2.error.code == code(schema, "FAILED_PRECONDITION") and r2.error.field == "offset",
          "a chunk with a wrong offset: FAILED_PRECONDITION")
    r3 = c.call("import_csv", kind=schema.enum("KIND_SCHOOLS"), upload_id=uid,
                offset=r1.import_csv.received, data=b"SCH1,School 1\n", last=True)
    check(not r3.HasField("error") and r3.import_csv.result.rows == 1,
          "... and the upload resumes at the right offset")
    r4 = c.call("import_csv", kind=schema.enum("KIND_SCHOOLS"), upload_id=uid, offset=0,
                data=b"", last=True)
    check(r4.error.code == code(schema, "NOT_FOUND"), "a finished upload id: NOT_FOUND")
    c.close()
    return files


def typed_students(n, school, prefix):
    rows = []
    for i in range(n):
        rows.append({"student_ref": "%s%05d" % (prefix, i), "school_ref": school,
                     "birth_date": "2010-0%d-1%d" % (1 + i % 9, i % 10),
                     "lat": 51.5 + (i % 100) * 0.001, "lon": -0.1 - (i % 50) * 0.001,
                     "sectors": [SECTORS[i % 6], SECTORS[(i + 1) % 6]],
                     "low_income": i % 3 == 0, "gifted": i % 7 == 0,
                     "wants_mentor": {"value": i % 2 == 0}})
    return rows


def test_typed(schema, port, tokens):
    c = wc.Conn(schema, "127.0.0.1", port, token=tokens["coord"])
    rows = typed_students(2000, "SCH9", "T")
    req = c.request("upsert_students", rows=rows)
    size = len(req.SerializeToString())
    c.send(req)
    r = c.wait(req.id)
    check(not r.HasField("error") and r.upsert_students.rows == 2000,
          "2000 typed students in one request of %d bytes: stored" % size)
    # Again: replaced, not duplicated.
    r = c.call("upsert_students", rows=rows[:10])
    n = c.call("status").status.counts.students
    check(r.upsert_students.rows == 10, "upserting 10 existing rows replaces them")
    bad = typed_students(3, "SCH9", "U")
    bad[1]["birth_date"] = "2010-02-30"
    r = c.call("upsert_students", rows=bad)
    check(r.error.code == code(schema, "INVALID_ARGUMENT") and r.error.field == "birth_date"
          and "U00001" in r.error.ref, "a bad typed row is named by ref and field (%s, %s)" % (
              r.error.ref, r.error.field))
    check(c.call("status").status.counts.students == n, "... and nothing of the batch is stored")
    r = c.call("upsert_placements", rows=[{"placement_ref": "PX1", "employer_ref": "EMP1",
                                           "sector": "law", "capacity": 1}])
    check(r.error.code == code(schema, "INVALID_ARGUMENT") and r.error.field == "location",
          "an in-person placement without a location is refused")
    # Withdraw the typed students again so the round sees the CSV rows only.
    refs = [row["student_ref"] for row in rows]
    r = c.call("withdraw", kind=schema.enum("KIND_STUDENTS"), refs=refs)
    check(not r.HasField("error") and r.withdraw.withdrawn == 2000,
          "withdraw 2000 students in one request")
    r = c.call("withdraw", kind=schema.enum("KIND_STUDENTS"), refs=["NOPE1"])
    check(r.error.code == code(schema, "NOT_FOUND"), "withdrawing an unknown ref: NOT_FOUND")
    c.close()


def test_scope_rows(schema, port, tokens):
    s = wc.Conn(schema, "127.0.0.1", port, token=tokens["school"])
    r = s.call("upsert_students", rows=typed_students(1, "SCH2", "Z"))
    check(r.error.code == code(schema, "PERMISSION_DENIED"),
          "a school writing another school's pupil: PERMISSION_DENIED")
    r = s.call("upsert_placements", rows=[{"placement_ref": "PX1", "employer_ref": "EMP1",
                                           "sector": "law", "capacity": 1,
                                           "virtual": True}])
    check(r.error.code == code(schema, "PERMISSION_DENIED"),
          "a school writing a placement: PERMISSION_DENIED")
    r = s.call("list", kind=schema.enum("KIND_MENTORS"))
    check(r.error.code == code(schema, "PERMISSION_DENIED"), "a school listing mentors: refused")
    refs, token = [], ""
    while True:
        r = s.call("list", kind=schema.enum("KIND_STUDENTS"), page_size=13, page_token=token)
        if r.HasField("error"):
            check(False, "school list page: %s" % wc.error_text(schema, r))
            break
        if not r.list.students:
            break
        refs += [(x.student_ref, x.school_ref) for x in r.list.students]
        token = r.list.next_page_token
        if not token:
            break
    check(len(refs) > 0 and all(sc == "SCH1" for _, sc in refs),
          "a school lists only its own pupils, in pages of 13 (%d rows)" % len(refs))
    st = s.call("status").status
    check(st.role == schema.enum("ROLE_SCHOOL") and st.scope == "SCH1" and
          st.counts.students == len(refs), "status shows the school's role, scope and counts")
    s.close()


def test_round(schema, port, tokens, files, fairmatch, tmp):
    c = wc.Conn(schema, "127.0.0.1", port, token=tokens["coord"])
    s = wc.Conn(schema, "127.0.0.1", port, token=tokens["school"])
    r = s.call("run_round", date=ROUND_DATE)
    check(r.error.code == code(schema, "PERMISSION_DENIED"), "a school running a round: refused")
    r = c.call("run_round", date="2027-02-30")
    check(r.error.code == code(schema, "INVALID_ARGUMENT") and r.error.field == "date",
          "a bad round date: INVALID_ARGUMENT")
    r = c.call("run_round", date=ROUND_DATE, options={"policy": "fair-access-v1"})
    check(not r.HasField("error") and r.run_round.phase == schema.enum("PHASE_QUEUED"),
          "run_round answers at once with the round queued")
    rid = r.run_round.round_id
    # While it runs, the loop keeps answering: several requests in flight.
    reqs = [c.request("status") for _ in range(5)]
    reqs.append(c.request("round_status", round_id=rid))
    for q in reqs:
        c.send(q)
    got = [c.wait(q.id) for q in reqs]
    check(all(g.id == q.id and not g.HasField("error") for g, q in zip(got, reqs)),
          "pipelined requests while the round runs: all answered by id")
    r, phases = wc.follow_round(schema, c, rid, wait_ms=5000)
    names = {v: k for k, v in schema.enums.items() if k.startswith("PHASE_")}
    check(not r.HasField("error") and r.round_status.phase == schema.enum("PHASE_DONE"),
          "the round is followed to DONE through %s" % [names.get(p, p) for p in phases])
    r = c.call("show_round", round_id=rid, include_summary_json=True)
    info = r.show_round
    check(not r.HasField("error") and info.status.phase == schema.enum("PHASE_DONE") and
          info.status.date == ROUND_DATE and info.placements.vector.n1 + info.placements.vector.n2
          + info.placements.vector.n3 > 0 and info.placements.proven_optimal,
          "show_round: done, date, a proven-optimal placement vector (%s)" %
          str(info.placements.vector).replace("\n", " "))
    summary = json.loads(info.summary_json) if info.summary_json else {}
    check(summary.get("placements", {}).get("objective", {}).get("n1") ==
          info.placements.vector.n1 and info.counts.students > 0,
          "the summary.json text agrees with the vector")
    r = s.call("show_round", round_id=rid)
    check(not r.HasField("error") and r.show_round.placements.vector.utility ==
          info.placements.vector.utility and not r.show_round.summary_json,
          "a school sees the vectors but not the summary")
    r = s.call("show_round", round_id=rid, include_summary_json=True)
    check(r.error.code == code(schema, "PERMISSION_DENIED"), "a school asking for the summary: "
          "refused")
    r = c.call("show_round", round_id=999999)
    check(r.error.code == code(schema, "NOT_FOUND"), "an unknown round: NOT_FOUND")
    r = c.call("list_rounds", page_size=10)
    check(any(x.round_id == rid for x in r.list_rounds.rounds), "list_rounds has the round")

    if fairmatch:
        out = os.path.join(tmp, "offline")
        p = subprocess.run([fairmatch, "solve", "--students", files["students"], "--placements",
                            files["placements"], "--mentors", files["mentors"], "--schools",
                            files["schools"], "--date", ROUND_DATE, "--out", out],
                           capture_output=True, text=True)
        if p.returncode == 0:
            with open(os.path.join(out, "summary.json")) as f:
                off = json.load(f)
            for side in ["placements", "mentors"]:
                v = getattr(info, side).vector
                o = off[side]["objective"]
                check([v.n1, v.n2, v.n3, v.utility] == [o["n1"], o["n2"], o["n3"], o["utility"]],
                      "%s vector equals `fairmatch solve` on the same files (%s)" % (side, o))
        else:
            print("skip  fairmatch solve failed (%d): %s" % (p.returncode, p.stderr.strip()[:200]))
    c.close()
    s.close()
    return rid, info


def test_assignments(schema, port, tokens, rid, region):
    students = region[1]
    c = wc.Conn(schema, "127.0.0.1", port, token=tokens["coord"])
    r, big = wc.all_assignments(schema, c, rid, unmatched=True, page=10000)
    check(not r.HasField("error"), "assignments in one page")
    asked_p = len(students)
    asked_m = sum(1 for s in students if s["wants_mentor"] == "1")
    P, M = schema.enum("SIDE_PLACEMENTS"), schema.enum("SIDE_MENTORS")
    check(sum(1 for a in big if a.side == P) == asked_p and
          sum(1 for a in big if a.side == M) == asked_m,
          "one row per student who asked, per side (%d + %d)" % (asked_p, asked_m))
    r, small = wc.all_assignments(schema, c, rid, unmatched=True, page=7)
    key = lambda a: (a.side, a.student_ref, a.target_ref, a.state)  # noqa: E731
    check([key(a) for a in small] == [key(a) for a in big], "pages of 7 give the same rows")
    r, matched = wc.all_assignments(schema, c, rid, unmatched=False, page=7)
    check(all(a.target_ref for a in matched) and
          len(matched) == sum(1 for a in big if a.target_ref),
          "without include_unmatched only matched rows (%d)" % len(matched))
    unmatched = [a for a in big if not a.target_ref]
    check(all(a.reason in ("no_eligible", "outcompeted") for a in unmatched) and
          all(a.rule for a in unmatched if a.reason == "no_eligible"),
          "unmatched rows carry a reason (and a rule for no_eligible)")

    s = wc.Conn(schema, "127.0.0.1", port, token=tokens["school"])
    r, rows = wc.all_assignments(schema, s, rid, unmatched=True, page=50)
    check(not r.HasField("error") and rows and all(a.school_ref == "SCH1" for a in rows) and
          len(rows) == sum(1 for a in big if a.school_ref == "SCH1"),
          "a school sees exactly its pupils' rows (%d)" % len(rows))
    e = wc.Conn(schema, "127.0.0.1", port, token=tokens["employer"])
    r, rows = wc.all_assignments(schema, e, rid, unmatched=True, page=50)
    mine = [a for a in big if a.employer_ref == "EMP1" and a.target_ref]
    check(not r.HasField("error") and len(rows) == len(mine) and
          all(a.employer_ref == "EMP1" and a.target_ref and a.tier == 0 and a.utility == 0 and
              a.rank == 0 and not a.reason for a in rows),
          "an employer sees only matched rows of its placements, limited fields (%d)" % len(rows))

    # What an employer sees of its pupils: a pseudonym, age band, needs_access
    # and the school's name -- never the student_ref, school_ref or birth date.
    schools, students, _, _ = region
    by_ref = {x["student_ref"]: x for x in students}
    names = {x[0]: x[1] for x in schools}

    def band(birth):
        y, m, d = (int(v) for v in birth.split("-"))
        ry, rm, rd = (int(v) for v in ROUND_DATE.split("-"))
        age = ry - y - ((rm, rd) < (m, d))
        return "<14" if age < 14 else "14-15" if age < 16 else "16-17" if age < 18 else "18+"

    check(all(re.fullmatch(r"P-[A-Z2-7]{10}", a.pupil_ref) and not a.student_ref and
              not a.school_ref and a.age_band in ("<14", "14-15", "16-17", "18+") and
              a.school_name for a in rows) and len({a.pupil_ref for a in rows}) == len(rows),
          "an employer's rows carry a pseudonym, age band and school name, no refs")
    want = {}
    for a in mine:
        x = by_ref.get(a.student_ref)
        if x:
            k = (a.target_ref, band(x["birth_date"]), x["needs_access"] == "1",
                 names.get(a.school_ref, a.school_ref))
            want[k] = want.get(k, 0) + 1
    got = {}
    for a in rows:
        k = (a.target_ref, a.age_band, a.needs_access, a.school_name)
        got[k] = got.get(k, 0) + 1
    check(want and all(got.get(k, 0) >= n for k, n in want.items()),
          "... and they are the matched pupils' real age bands, needs_access and schools")
    secrets = set()
    for a in mine:
        secrets.add(a.student_ref)
        secrets.add(a.school_ref)
        if a.student_ref in by_ref:
            secrets.add(by_ref[a.student_ref]["birth_date"])
    wire = b"".join(a.SerializeToString() for a in rows)
    check(not [t for t in secrets if t.encode() in wire],
          "no student_ref, school_ref or birth date in an employer's rows")
    r, small = wc.all_assignments(schema, e, rid, unmatched=True, page=2)
    check(not r.HasField("error") and
          [a.pupil_ref for a in small] == [a.pupil_ref for a in rows] and
          all(len(r2.list_assignments.next_page_token) < 20 and
              "S0" not in r2.list_assignments.next_page_token for r2 in [r]),
          "an employer pages by pseudonym (pages of 2 give the same rows)")
    r = e.call("list_assignments", round_id=rid, page_size=1)
    tok = r.list_assignments.next_page_token
    check(not r.HasField("error") and (not tok or tok[2:] == r.list_assignments.assignments[0]
                                       .pupil_ref), "an employer's page token is a pseudonym")
    r2 = wc.all_assignments(schema, e, rid, page=50)[1]
    check([a.pupil_ref for a in r2] == [a.pupil_ref for a in rows],
          "the pseudonyms are stable within the round")

    # Confirm / decline.
    if mine:
        a = mine[0]
        r = e.call("decide_assignment", round_id=rid, side=P, student_ref=a.student_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        check(not r.HasField("error") and r.decide_assignment.state ==
              schema.enum("STATE_CONFIRMED"), "the employer confirms a row of its placement")
        r = c.call("decide_assignment", round_id=rid, side=P, student_ref=a.student_ref,
                   decision=schema.enum("DECISION_DECLINE"))
        check(r.decide_assignment.state == schema.enum("STATE_DECLINED"),
              "the coordinator declines it")
        r = c.call("decide_assignment", round_id=rid, side=P, student_ref=a.student_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        check(r.error.code == code(schema, "FAILED_PRECONDITION"),
              "declined -> confirmed is refused: FAILED_PRECONDITION")
    other = [a for a in big if a.side == P and a.target_ref and a.employer_ref != "EMP1"]
    if other:
        r = e.call("decide_assignment", round_id=rid, side=P, student_ref=other[0].student_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        check(r.HasField("error") and r.error.code in (code(schema, "PERMISSION_DENIED"),
                                                       code(schema, "FAILED_PRECONDITION")),
              "an employer confirming another employer's row: refused (%s)" %
              schema.code_names.get(r.error.code))
    # An employer confirms by pseudonym; the real row changes.
    proposed = [a for a in wc.all_assignments(schema, e, rid, page=50)[1]
                if a.state == schema.enum("STATE_PROPOSED")]
    if proposed:
        before = sum(1 for a in wc.all_assignments(schema, c, rid, page=500)[1]
                     if a.state == schema.enum("STATE_CONFIRMED"))
        r = e.call("decide_assignment", round_id=rid, side=P, student_ref=proposed[0].pupil_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        after_rows = wc.all_assignments(schema, c, rid, page=500)[1]
        now = [a for a in wc.all_assignments(schema, e, rid, page=50)[1]
               if a.pupil_ref == proposed[0].pupil_ref]
        check(not r.HasField("error") and
              sum(1 for a in after_rows if a.state == schema.enum("STATE_CONFIRMED")) ==
              before + 1 and now and now[0].state == schema.enum("STATE_CONFIRMED"),
              "an employer confirms a pupil by its pseudonym")
    if unmatched:
        r = c.call("decide_assignment", round_id=rid, side=unmatched[0].side,
                   student_ref=unmatched[0].student_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        check(r.error.code == code(schema, "FAILED_PRECONDITION"),
              "confirming an unmatched row: FAILED_PRECONDITION")
    for x in (c, s, e):
        x.close()


def test_rerun(schema, port, tokens, rid, region):
    """rerun_round keeps the confirmed rows and solves the rest again."""
    _, _, placements, mentors = region
    c = wc.Conn(schema, "127.0.0.1", port, token=tokens["coord"])
    s = wc.Conn(schema, "127.0.0.1", port, token=tokens["school"])
    P, M = schema.enum("SIDE_PLACEMENTS"), schema.enum("SIDE_MENTORS")
    CONF, DECL = schema.enum("STATE_CONFIRMED"), schema.enum("STATE_DECLINED")
    PROP = schema.enum("STATE_PROPOSED")
    r, rows = wc.all_assignments(schema, c, rid, page=500)
    proposed = [a for a in rows if a.state == PROP and a.side == P]
    check(len(proposed) >= 3, "the source round has proposed rows to decide (%d)" % len(proposed))
    # Two confirmed on the placement side, one declined, plus one confirmed
    # mentor row.  Preferably one confirmed at a placement of one seat (the
    # copy solved then has a 0-seat placement) and one a disadvantaged pupil
    # at a placement with reserved seats (the copy's reserve is recomputed).
    caps = {p["placement_ref"]: int(p["capacity"]) for p in placements}
    res = {p["placement_ref"]: int(p["capacity"]) * int(p["reserve_pct"]) // 100
           for p in placements}
    first = ([a for a in proposed if caps.get(a.target_ref) == 1] or proposed)[0]
    rest = [a for a in proposed if a.target_ref != first.target_ref]
    conf = [first] + ([a for a in rest if res.get(a.target_ref) and a.tier <= 2] or rest)[:1]
    decl = [a for a in proposed if a not in conf][0]
    for a in conf:
        r = c.call("decide_assignment", round_id=rid, side=P, student_ref=a.student_ref,
                   decision=schema.enum("DECISION_CONFIRM"))
        check(r.decide_assignment.state == CONF, "confirm %s (capacity %s, reserved %s, tier %d) "
              "for the re-run" % (a.target_ref, caps.get(a.target_ref), res.get(a.target_ref),
                                  a.tier))
    r = c.call("decide_assignment", round_id=rid, side=P, student_ref=decl.student_ref,
               decision=schema.enum("DECISION_DECLINE"))
    check(r.decide_assignment.state == DECL, "decline one row for the re-run")
    mprop = [a for a in rows if a.state == PROP and a.side == M]
    if mprop:
        c.call("decide_assignment", round_id=rid, side=M, student_ref=mprop[0].student_ref,
               decision=schema.enum("DECISION_CONFIRM"))
    r, src_rows = wc.all_assignments(schema, c, rid, unmatched=True, page=1000)
    kept = {(a.side, a.student_ref): a for a in src_rows if a.state == CONF}
    declined = {(a.side, a.student_ref): a for a in src_rows if a.state == DECL}

    r = s.call("rerun_round", round_id=rid)
    check(r.error.code == code(schema, "PERMISSION_DENIED"), "a school re-running a round: "
          "PERMISSION_DENIED")
    r = c.call("rerun_round", round_id=999999)
    check(r.error.code == code(schema, "NOT_FOUND"), "re-running an unknown round: NOT_FOUND")
    r = c.call("rerun_round", round_id=rid)
    check(not r.HasField("error") and r.rerun_round.round_id not in (0, rid) and
          r.rerun_round.parent_round_id == rid and r.rerun_round.date == ROUND_DATE,
          "rerun_round queues a new round with the source's date and parent_round_id (%s)" %
          wc.error_text(schema, r))
    nid = r.rerun_round.round_id
    r, _ = wc.follow_round(schema, c, nid, wait_ms=5000)
    check(r.round_status.phase == schema.enum("PHASE_DONE"), "the re-run reaches DONE (%s)" %
          str(r).replace("\n", " ")[:300])
    r, new = wc.all_assignments(schema, c, nid, unmatched=True, page=1000)
    by = {(a.side, a.student_ref): a for a in new}
    check(len(kept) >= 2 and all(k in by and by[k].target_ref == a.target_ref and
                                 by[k].state == CONF and by[k].utility == a.utility
                                 for k, a in kept.items()),
          "every confirmed row (%d) is kept, confirmed, in the re-run" % len(kept))
    check(declined and all(k in by and (by[k].target_ref and by[k].state == PROP or
                                        by[k].reason in ("outcompeted", "no_eligible"))
                           for k in declined),
          "declined pupils compete again: re-allocated or outcompeted (%s)" %
          ["%s->%s%s" % (k[1], by[k].target_ref, by[k].reason) for k in declined if k in by])
    # Capacities and reserves hold over the union.
    mcaps = {m["mentor_ref"]: int(m["capacity"]) for m in mentors}
    load, t3, mload = {}, {}, {}
    for a in new:
        if a.target_ref and a.side == P:
            load[a.target_ref] = load.get(a.target_ref, 0) + 1
            t3[a.target_ref] = t3.get(a.target_ref, 0) + (a.tier == 3)
        elif a.target_ref:
            mload[a.target_ref] = mload.get(a.target_ref, 0) + 1
    check(all(n <= caps[t] and t3[t] <= caps[t] - res[t] for t, n in load.items()) and
          all(n <= mcaps[t] for t, n in mload.items()),
          "the union keeps every capacity and reserve")
    r = c.call("show_round", round_id=nid)
    info = r.show_round
    for side, k in (("placements", P), ("mentors", M)):
        v = getattr(info, side).vector
        got = [sum(1 for a in new if a.side == k and a.target_ref and a.tier == t)
               for t in (1, 2, 3)]
        got.append(sum(a.utility for a in new if a.side == k and a.target_ref))
        check([v.n1, v.n2, v.n3, v.utility] == got,
              "the re-run's %s vector equals a recount of its rows (%s)" % (side, got))
    r = c.call("show_round", round_id=rid)
    check(r.show_round.status.parent_round_id == 0, "a plain round has no parent")
    c.close()
    s.close()


def test_backpressure(schema, d, tokens):
    """A client that pipelines big answers without reading: the daemon stops
    reading it (write queue over write_queue_limit_bytes), keeps serving
    others, and resumes when the client reads; every answer arrives by id."""
    a = wc.Conn(schema, "127.0.0.1", d.port, token=tokens["coord"])
    reqs = [a.request("list", kind=schema.enum("KIND_STUDENTS"), page_size=300)
            for _ in range(300)]
    a.send_raw(b"".join(wc.frame(q.SerializeToString()) for q in reqs))
    # Until the daemon has paused it (at once natively; seconds under valgrind).
    deadline = time.time() + 60
    while "event=conn_paused" not in d.log() and time.time() < deadline:
        time.sleep(0.1)
    b = wc.Conn(schema, "127.0.0.1", d.port, token=tokens["coord"])
    r = b.call("status")
    check(r.WhichOneof("result") == "status", "another connection is served meanwhile")
    b.close()
    check("event=conn_paused" in d.log(), "the daemon paused reading the non-reading client")
    got = [a.wait(q.id) for q in reqs]
    check(all(len(g.list.students) == 300 for g in got),
          "... and all 300 big answers (about %d KiB) arrive by id once it reads" %
          (sum(g.ByteSize() for g in got) // 1024))
    check("event=conn_resumed" in d.log(), "... and reading resumed")
    a.close()


def test_fuzz(schema, d, tokens, rid, rng, rounds=1500):
    """Valid requests of every read/write method with random bytes flipped,
    cut short or padded, pipelined 50 at a time on one connection: each
    frame gets exactly one answer that python3-protobuf can decode (so every
    string the daemon sends is valid UTF-8), and the daemon stays up."""
    c = wc.Conn(schema, "127.0.0.1", d.port, token=tokens["coord"])
    K = schema.enum
    templates = [
        c.request("status"),
        c.request("list", kind=K("KIND_STUDENTS"), page_size=5, page_token="S0001"),
        c.request("show_round", round_id=rid, include_summary_json=False),
        c.request("list_assignments", round_id=rid, page_size=5, page_token="0:S0003"),
        c.request("round_status", round_id=rid, wait_ms=10),
        c.request("list_rounds", page_size=3),
        c.request("upsert_students", rows=typed_students(2, "SCH8", "F")),
        c.request("upsert_placements", rows=[{"placement_ref": "PF1", "employer_ref": "EMP9",
                                              "sector": "law", "capacity": 2,
                                              "location": {"lat": 51.5, "lon": -0.1},
                                              "week": "2027-W24"}]),
        c.request("upsert_mentors", rows=[{"mentor_ref": "MF1", "sectors": ["law"],
                                           "capacity": 2, "online": True,
                                           "dbs_valid_until": "2028-01-01"}]),
        c.request("upsert_schools", rows=[{"school_ref": "SCH8", "name": "Fuzz school"}]),
        c.request("import_csv", kind=K("KIND_SCHOOLS"), file_name="f.csv",
                  data=b"school_ref,name\nSCH8,x\n", last=True),
        c.request("decide_assignment", round_id=rid, side=K("SIDE_MENTORS"),
                  student_ref="S0002", decision=K("DECISION_CONFIRM")),
        c.request("withdraw", kind=K("KIND_STUDENTS"), refs=["F00000"]),
    ]
    blobs = [t.SerializeToString() for t in templates]
    sent = answered = undecodable = 0
    batch = []
    for i in range(rounds):
        b = bytearray(rng.choice(blobs))
        how = rng.random()
        if how < 0.6:
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif how < 0.8:
            b = b[:rng.randrange(len(b) + 1)]
        else:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        batch.append(wc.frame(bytes(b)))
        if len(batch) == 50 or i == rounds - 1:
            c.send_raw(b"".join(batch))
            sent += len(batch)
            for _ in batch:
                try:
                    c.recv()
                    answered += 1
                except Exception:  # noqa: BLE001 - a decode failure is the finding
                    undecodable += 1
            batch = []
    check(answered == sent and undecodable == 0,
          "%d mutated requests: each answered once, every answer decodes (%d undecodable)" % (
              sent, undecodable))
    r = wc.Conn(schema, "127.0.0.1", d.port, token=tokens["coord"]).call("status")
    check(r.WhichOneof("result") == "status" and d.p.poll() is None,
          "the daemon is up and answering after the fuzzing")
    c.close()


def test_idle(schema, port, idle_s):
    c = wc.Conn(schema, "127.0.0.1", port, token="", timeout=idle_s + 25)
    c.send_raw(b"\x00\x00")  # half a header, then silence
    t0 = time.time()
    closed = c.closed_by_peer()
    check(closed and idle_s - 1.0 <= time.time() - t0 < idle_s + 20,
          "a silent connection holding half a header is closed by the idle timeout (%.1f s)" %
          (time.time() - t0))
    c.close()


def test_shutdown(schema, d, tokens, tmp, db, args, rng):
    # A bigger region so that the round is still running at SIGTERM.
    c = wc.Conn(schema, "127.0.0.1", d.port, token=tokens["coord"])
    big = typed_students(20000, "SCH7", "B")
    for i in range(0, len(big), 5000):
        r = c.call("upsert_students", rows=big[i:i + 5000])
        check(not r.HasField("error"), "upsert 5000 students for the shutdown round")
    r = c.call("run_round", date=ROUND_DATE)
    rid = r.run_round.round_id
    phase = r.run_round.phase
    while phase in (schema.enum("PHASE_QUEUED"), schema.enum("PHASE_LOADING")):
        phase = c.call("round_status", round_id=rid, known_phase=phase,
                       wait_ms=5000).round_status.phase
    t0 = time.time()
    rc = d.stop(signal.SIGTERM)
    log = d.log()
    check(rc == 0, "SIGTERM while a round runs: exit %s in %.1f s" % (rc, time.time() - t0))
    check("loop_close=ok" in log and "event=shutdown_drained" in log,
          "the log shows a drained shutdown and uv_loop_close == 0")
    c.close()
    # Restart on the same database: the round is recorded, the rows are there.
    d2 = Daemon(args.fairmatchd, db, tmp, name="d2")
    check(d2.port is not None, "the daemon restarts on the same database")
    c = wc.Conn(schema, "127.0.0.1", d2.port, token=tokens["coord"])
    r = c.call("round_status", round_id=rid)
    ph = r.round_status.phase
    check(ph in (schema.enum("PHASE_DONE"), schema.enum("PHASE_CANCELLED")),
          "the round cut by SIGTERM is recorded as done or cancelled (%d: %s)" % (
              ph, r.round_status.error.message))
    check(c.call("status").status.counts.students >= 20000, "the rows survived the restart")
    # A second daemon on the same database is refused.
    p = subprocess.run([args.fairmatchd, "--listen", "127.0.0.1:0", "--db", db],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "error" in p.stderr,
          "a second daemon on the same database exits 1 (%s)" % p.stderr.strip()[:120])
    c.close()
    rc = d2.stop(signal.SIGINT)
    check(rc == 0 and "loop_close=ok" in d2.log(), "SIGINT on an idle daemon: exit 0")
    # A crash (SIGKILL) during a round: on restart the round reads as failed,
    # interrupted, never as running forever.
    d3 = Daemon(args.fairmatchd, db, tmp, name="d3")
    c = wc.Conn(schema, "127.0.0.1", d3.port, token=tokens["coord"])
    rid = c.call("run_round", date=ROUND_DATE).run_round.round_id
    time.sleep(0.3)
    c.close()
    d3.stop(signal.SIGKILL)
    d4 = Daemon(args.fairmatchd, db, tmp, name="d4")
    c = wc.Conn(schema, "127.0.0.1", d4.port, token=tokens["coord"])
    st = c.call("round_status", round_id=rid).round_status
    check(st.phase == schema.enum("PHASE_DONE") or
          (st.phase == schema.enum("PHASE_FAILED") and
           st.error.code == code(schema, "UNAVAILABLE") and
           st.error.message.startswith("interrupted")),
          "a round cut by SIGKILL reads as failed/interrupted after a restart (%d: %s)" % (
              st.phase, st.error.message))
    c.close()
    rc = d4.stop(signal.SIGTERM)
    check(rc == 0, "... and that daemon stops cleanly too")
    return log + d2.log() + d4.log()


def test_no_personal_data(log, region):
    schools, students, placements, mentors = region
    personal = set()
    for s in students[:50]:
        personal.update([s["birth_date"], s["lat"], s["lon"], s["student_ref"]])
    leaked = [v for v in personal if v and v in log]
    check(not leaked, "no birth date, location or pupil ref in the daemon's log (%s)" % leaked[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--token-tool", required=True)
    ap.add_argument("--fairmatch", default="")
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--idle-timeout", type=int, default=5,
                    help="the daemon's idle_timeout_s (longer for a daemon under valgrind, "
                    "where a connection may wait that long for a round)")
    args = ap.parse_args()
    schema = wc.Schema(args.proto)
    print("schema compiled via", schema.via)
    tmp = tempfile.mkdtemp(prefix="fm_daemon_test_")
    db = os.path.join(tmp, "fairmatch.db")
    rng = random.Random(7)
    d = None
    try:
        tokens = {"coord": token(args.token_tool, db, "coordinator"),
                  "school": token(args.token_tool, db, "school", "SCH1"),
                  "employer": token(args.token_tool, db, "employer", "EMP1")}
        config = os.path.join(tmp, "fairmatchd.conf")
        with open(config, "w") as f:
            # idle_timeout_s: long enough that a slow (sanitized, loaded) client's
            # pause between two calls is not taken for idleness.
            f.write("# test settings\n[server]\nidle_timeout_s = %d\nshutdown_grace_s = 20\n"
                    "write_queue_limit_bytes = 65536\n[rounds]\nmax_rounds = 2\n"
                    "[log]\nlog_level = info\n" % args.idle_timeout)
        d = Daemon(args.fairmatchd, db, tmp, config=config)
        if not check(d.port is not None, "fairmatchd starts and listens (%s)" % d.log()[-300:]):
            return 1
        p = subprocess.run([sys.executable, os.path.join(HERE, "wire_client.py"), "--server",
                            "127.0.0.1:%d" % d.port, "--token", tokens["coord"], "--proto",
                            args.proto, "wire-check"], capture_output=True, text=True, timeout=120)
        print(p.stdout, end="")
        check(p.returncode == 0, "wire_client.py wire-check passes (%s)" % p.stderr.strip())
        test_auth(schema, d.port)
        region = make_region(rng)
        files = test_imports(schema, d.port, tokens, tmp, region)
        test_typed(schema, d.port, tokens)
        test_scope_rows(schema, d.port, tokens)
        rid, _ = test_round(schema, d.port, tokens, files, args.fairmatch, tmp)
        test_assignments(schema, d.port, tokens, rid, region)
        test_rerun(schema, d.port, tokens, rid, region)
        test_backpressure(schema, d, tokens)
        test_fuzz(schema, d, tokens, rid, rng)
        test_idle(schema, d.port, args.idle_timeout)
        check(d.p.poll() is None, "the daemon is still up after all of the above")
        log = test_shutdown(schema, d, tokens, tmp, db, args, rng)
        d = None
        test_no_personal_data(log, region)
    finally:
        cleanup(d, tmp, args.keep)
    return report("test_daemon")


if __name__ == "__main__":
    sys.exit(main())
