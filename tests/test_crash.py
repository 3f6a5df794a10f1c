#!/usr/bin/python3
"""test_crash.py - crash and fault safety of the real fairmatchd.

Runs fairmatchd on loopback ports with real SQLite files and drives it with
the python3-protobuf client of wire_client.py (helpers from test_daemon.py):

  - SIGKILL in the middle of a chunked CSV import of N generated pupils
    (default 20000): once during the upload, then at several points after
    the last chunk (0 .. 0.9 of the import time measured on a scratch
    database).  After each kill the file is opened with Python's own
    sqlite3: PRAGMA integrity_check and foreign_key_check are clean and the
    row counts equal the state before the import (or the state with the
    whole file, if the import committed before the kill -- never anything
    in between); the round done before is still there, row for row.  The
    same file then imports in full.
  - SIGKILL while a round solves and again as soon as it reports SAVING: no
    assignment row of the interrupted round exists, a restarted daemon
    reports it FAILED ("interrupted"), and a new round runs to DONE.
  - a full disk, twice: a database on a small tmpfs (when this process may
    mount one; otherwise said so), and a database capped by the daemon's
    test-only `db_max_bytes` key (SQLite's max_page_count).  The import that
    does not fit gets RESOURCE_EXHAUSTED "disk is full", nothing of it is
    stored, the daemon keeps answering reads, and the file is intact.
  - a read-only database (file mode 0444; the daemon runs as `nobody` when
    the test runs as root, since root ignores file modes): the daemon starts,
    logs database_read_only, serves status, lists, rounds and assignments,
    and refuses every write with FAILED_PRECONDITION "read-only"; the file
    is unchanged and intact afterwards.

Usage: test_crash.py --fairmatchd PATH --token-tool PATH [--pupils N] [--keep]
Exit 0 when every check passes, 1 otherwise.  Leaves nothing behind
(unmounts what it mounted).
"""
import argparse
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_daemon as td  # noqa: E402
import wire_client as wc  # noqa: E402

check = td.check
DATE = td.ROUND_DATE
SECTORS = td.SECTORS
HOST = "127.0.0.1"


# ---- generated region ------------------------------------------------------------

def write_students(path, n, prefix, n_schools=20):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student_ref", "school_ref", "birth_date", "lat", "lon", "max_travel_km",
                    "low_income", "gifted", "looked_after", "sectors", "wants_placement",
                    "wants_mentor"])
        for i in range(n):
            w.writerow(["%s%06d" % (prefix, i), "SCH%02d" % (i % n_schools),
                        "%04d-%02d-%02d" % (2009 + i % 3, 1 + i % 12, 1 + i % 28),
                        "%.5f" % (51.3 + (i * 7919 % 1000) * 0.0006),
                        "%.5f" % (-0.5 + (i * 104729 % 1000) * 0.0008), "15",
                        int(i % 3 == 0), int(i % 7 == 0), int(i % 11 == 0),
                        "|".join([SECTORS[i % 6], SECTORS[(i + 2) % 6]]), 1, int(i % 2 == 0)])


def write_placements(path, n):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["placement_ref", "employer_ref", "sector", "capacity", "lat", "lon",
                    "reserve_pct"])
        for i in range(n):
            w.writerow(["PL%04d" % i, "EMP%02d" % (i % 10), SECTORS[i % 6], 1 + i % 8,
                        "%.5f" % (51.3 + (i * 31 % 100) * 0.006),
                        "%.5f" % (-0.5 + (i * 17 % 100) * 0.008), (i % 3) * 25])


def write_mentors(path, n):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mentor_ref", "sectors", "capacity", "online", "dbs_valid_until"])
        for i in range(n):
            w.writerow(["MN%04d" % i, SECTORS[i % 6], 1 + i % 4, 1, "2030-01-01"])


# ---- helpers ---------------------------------------------------------------------

def db_facts(db):
    """Opens the file with Python's sqlite3 (recovering a crashed WAL as any
    reader would) and returns integrity, foreign key problems and counts."""
    con = sqlite3.connect(db, timeout=10)
    try:
        f = {"integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
             "fk": con.execute("PRAGMA foreign_key_check").fetchall()}
        for t in ("students", "placements", "mentors", "rounds", "assignments"):
            f[t] = con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
        f["round_status"] = dict(con.execute("SELECT id, status FROM rounds"))
        f["per_round"] = dict(con.execute(
            "SELECT round_id, count(*) FROM assignments GROUP BY round_id"))
        f["digest"] = con.execute(
            "SELECT count(*), total(tier), total(utility), group_concat(target_ref, '')"
            " FROM (SELECT * FROM assignments ORDER BY round_id, side, student_ref)").fetchone()
    finally:
        con.close()
    return f


def clean(f, what):
    check(f["integrity"] == "ok" and not f["fk"],
          "%s: integrity_check %s, foreign_key_check %s" % (
              what, f["integrity"], "clean" if not f["fk"] else f["fk"][:3]))


def conn(d, tok):
    return wc.Conn(SCHEMA, HOST, d.port, token=tok)


def code(name):
    return SCHEMA.enum("Code." + name)


def phase(name):
    return SCHEMA.enum("PHASE_" + name)


def import_file(c, kind, path, chunk=1 << 20):
    return wc.import_csv(SCHEMA, c, kind, path, chunk=chunk)


def run_round(c, date=DATE):
    r = c.call("run_round", date=date)
    if r.HasField("error"):
        return r, 0
    rid = r.run_round.round_id
    r, _ = wc.follow_round(SCHEMA, c, rid, wait_ms=5000)
    return r, rid


def start(args, db, tmp, name, config=None, prefix=()):
    d = td.Daemon(args.fairmatchd, db, tmp, config=config, name=name, prefix=prefix)
    check(d.port is not None, "fairmatchd %s starts (%s)" % (name, "" if d.port else
                                                               d.log()[-300:]))
    return d


def base_region(args, tmp, db, tok):
    """Schools' pupils, placements and mentors, and one round done on them."""
    files = {"students": os.path.join(tmp, "base_students.csv"),
             "placements": os.path.join(tmp, "base_placements.csv"),
             "mentors": os.path.join(tmp, "base_mentors.csv")}
    if not os.path.exists(files["students"]):
        write_students(files["students"], 2000, "A")
        write_placements(files["placements"], 300)
        write_mentors(files["mentors"], 60)
    d = start(args, db, tmp, "base_" + os.path.basename(os.path.dirname(db)))
    c = conn(d, tok)
    for kind in ("students", "placements", "mentors"):
        r = import_file(c, kind, files[kind])
        check(not r.HasField("error"), "base import of %s (%s)" % (
            kind, wc.error_text(SCHEMA, r) if r.HasField("error") else "ok"))
    r, rid = run_round(c)
    check(r.round_status.phase == phase("DONE"), "a round on the base region is done")
    c.close()
    check(d.stop() == 0, "... and the daemon stops cleanly")
    return rid


# ---- SIGKILL during an import ------------------------------------------------------

def send_then_kill(d, tok, path, delay, upload_only=False):
    """Uploads path in 256 KiB chunks; sends the last chunk and SIGKILLs the
    daemon `delay` seconds later, or (delay None) as soon as the WAL file has
    grown by 64 KiB -- the import's transaction is writing pages -- or kills
    it half-way through the upload.  Returns (answered_ok, wal_bytes_at_kill)."""
    with open(path, "rb") as f:
        data = f.read()
    c = conn(d, tok)
    chunk = 256 * 1024
    upload_id, off = 0, 0
    stop_at = len(data) // 2 if upload_only else len(data)
    answered = False
    while True:
        part = data[off:off + chunk]
        last = off + len(part) >= len(data)
        req = c.request("import_csv", kind=SCHEMA.enum("KIND_STUDENTS"), file_name="big.csv",
                        upload_id=upload_id, offset=off, data=part, last=last)
        c.send(req)
        if last or off + len(part) >= stop_at:
            break
        r = c.wait(req.id)
        upload_id = r.import_csv.upload_id
        off += len(part)
    if delay is None:
        wal0 = d_wal_size(d)
        t0 = time.time()
        while d_wal_size(d) < wal0 + 65536 and time.time() - t0 < 30:
            time.sleep(0.0005)
    else:
        time.sleep(delay)
    wal = d_wal_size(d)
    d.stop(signal.SIGKILL)
    try:
        c.sock.settimeout(1)
        r = c.wait(req.id)
        answered = not r.HasField("error") and r.import_csv.done
    except (EOFError, OSError):
        pass
    c.close()
    return answered, wal


def d_wal_size(d):
    try:
        return os.path.getsize(d.db + "-wal")
    except OSError:
        return -1


def test_kill_import(args, tmp):
    work = os.path.join(tmp, "kill")
    os.mkdir(work)
    db = os.path.join(work, "fm.db")
    tok = td.token(args.token_tool, db, "coordinator")
    rid = base_region(args, tmp, db, tok)
    before = db_facts(db)
    big = os.path.join(tmp, "big_students.csv")
    write_students(big, args.pupils, "B")
    print("info  %d pupils, %d bytes of CSV" % (args.pupils, os.path.getsize(big)))

    # The import's duration, on a scratch database.
    scratch = os.path.join(tmp, "scratch")
    os.mkdir(scratch)
    sdb = os.path.join(scratch, "fm.db")
    stok = td.token(args.token_tool, sdb, "coordinator")
    d = start(args, sdb, tmp, "scratch")
    c = conn(d, stok)
    t0 = time.time()
    r = import_file(c, "students", big, chunk=256 * 1024)
    t_import = time.time() - t0
    check(not r.HasField("error") and r.import_csv.result.rows == args.pupils,
          "the %d-pupil file imports in %.2f s on a scratch database" % (args.pupils, t_import))
    c.close()
    d.stop()

    kills = [("during the upload", 0.0, True)]
    for frac in (0.0, 0.3, 0.6, 0.9):
        kills.append(("%.1f of the import time after the last chunk" % frac,
                      frac * t_import, False))
    for i in range(3):
        kills.append(("once the WAL grew by 64 KiB (%d)" % (i + 1), None, False))
    nothing = 0
    mid_write = 0
    for i, (what, delay, upload_only) in enumerate(kills):
        d = start(args, db, tmp, "kill_import_%d" % i)
        d.db = db
        answered, wal = send_then_kill(d, tok, big, delay, upload_only)
        f = db_facts(db)
        clean(f, "SIGKILL %s" % what)
        full = f["students"] == before["students"] + args.pupils
        none = f["students"] == before["students"]
        nothing += none and not upload_only
        mid_write += none and delay is None and wal >= 65536
        check((none or full) and (full or not answered),
              "SIGKILL %s: students %d (before %d; the whole file would be %d), "
              "answered=%s, WAL %d bytes at the kill" % (
                  what, f["students"], before["students"], before["students"] + args.pupils,
                  answered, wal))
        check(f["digest"] == before["digest"] and f["round_status"] == before["round_status"],
              "... round %d and its %d assignment rows are still there, unchanged" % (
                  rid, before["assignments"]))
        if full:  # committed just before the kill: take it out again for the next kill
            con = sqlite3.connect(db)
            con.execute("DELETE FROM students WHERE ref GLOB 'B*'")
            con.commit()
            con.close()
    check(nothing >= 1, "at least one kill after the last chunk hit before the commit "
          "and left nothing of the file (%d of %d)" % (nothing, len(kills) - 1))
    check(mid_write >= 1, "at least one kill landed while the import's transaction was "
          "writing to the WAL, and left nothing (%d of 3)" % mid_write)

    # Restarted: the file imports in full; counts add up.
    d = start(args, db, tmp, "kill_import_after")
    c = conn(d, tok)
    n0 = c.call("status").status.counts.students
    r = import_file(c, "students", big)
    n1 = c.call("status").status.counts.students
    check(not r.HasField("error") and n1 == n0 + args.pupils,
          "after the crashes the file imports in full (%d -> %d students)" % (n0, n1))
    c.close()
    check(d.stop() == 0, "... and the daemon stops cleanly")
    return work, db, tok, rid


# ---- SIGKILL during a round ----------------------------------------------------------

def kill_in_phase(args, tmp, db, tok, want, name):
    d = start(args, db, tmp, name)
    c = conn(d, tok)
    r = c.call("run_round", date=DATE)
    rid = r.run_round.round_id
    ph = r.run_round.phase
    t0 = time.time()
    while ph not in (want, phase("DONE"), phase("FAILED")) and time.time() - t0 < 60:
        ph = c.call("round_status", round_id=rid, known_phase=ph,
                    wait_ms=5000).round_status.phase
    d.stop(signal.SIGKILL)
    c.close()
    return rid, ph


def test_kill_round(args, tmp, db, tok, rid_done):
    names = {v: k for k, v in SCHEMA.enums.items() if k.startswith("PHASE_")}
    for want in (phase("SOLVING"), phase("SAVING")):
        before = db_facts(db)
        rid, ph = kill_in_phase(args, tmp, db, tok, want, "kill_round_%d" % want)
        f = db_facts(db)
        clean(f, "SIGKILL in %s" % names.get(ph))
        rows = f["per_round"].get(rid, 0)
        check(f["round_status"].get(rid) in ("running", "done") and
              (rows == 0) == (f["round_status"].get(rid) == "running"),
              "SIGKILL in %s: round %d left '%s' with %d assignment rows (none unless done)" % (
                  names.get(ph), rid, f["round_status"].get(rid), rows))
        check(f["students"] == before["students"] and
              f["per_round"].get(rid_done) == before["per_round"].get(rid_done),
              "... pupils (%d) and round %d's %d rows unchanged" % (
                  f["students"], rid_done, before["per_round"].get(rid_done, 0)))
        d = start(args, db, tmp, "after_kill_round_%d" % want)
        c = conn(d, tok)
        st = c.call("round_status", round_id=rid).round_status
        if f["round_status"].get(rid) == "running":
            check(st.phase == phase("FAILED") and st.error.message.startswith("interrupted"),
                  "after a restart the interrupted round reads FAILED: %s" % st.error.message)
        r, rid2 = run_round(c)
        n = c.call("show_round", round_id=rid2).show_round
        check(r.round_status.phase == phase("DONE") and n.placements.asked > 0,
              "... and a new round %d runs to DONE (%d placement rows asked)" % (
                  rid2, n.placements.asked))
        c.close()
        check(d.stop() == 0, "... and the daemon stops cleanly")
    clean(db_facts(db), "after the round crashes and re-runs")


# ---- full disk -----------------------------------------------------------------------

def try_mount_tmpfs(path, size):
    if os.geteuid() != 0 or not shutil.which("mount"):
        return "not root"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", path],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount failed")


def full_disk(args, tmp, work, how, base, config_extra=""):
    """Copies the base database (no WAL after a clean stop) into work and
    fills it up."""
    db = os.path.join(work, "fm.db")
    shutil.copyfile(base["db"], db)
    tok, rid = base["tok"], base["rid"]
    before = db_facts(db)
    config = os.path.join(tmp, "full_%s.conf" % how)
    with open(config, "w") as f:
        f.write("[log]\nlog_level = info\n[store]\n" + config_extra)
    d = start(args, db, tmp, "full_" + how, config=config)
    c = conn(d, tok)
    big = os.path.join(tmp, "big_students.csv")
    r = import_file(c, "students", big)
    e = r.error
    check(e.code == code("RESOURCE_EXHAUSTED") and "disk is full" in e.message,
          "%s: an import that does not fit: %s" % (how, wc.error_text(SCHEMA, r)))
    st = c.call("status")
    check(not st.HasField("error") and st.status.counts.students == before["students"],
          "... the daemon still answers status; students %d == %d before" % (
              st.status.counts.students, before["students"]))
    r, rows = wc.all_assignments(SCHEMA, c, rid, unmatched=True)
    lst = c.call("list", kind=SCHEMA.enum("KIND_STUDENTS"), page_size=50)
    check(not r.HasField("error") and len(rows) == before["per_round"][rid] and
          len(lst.list.students) == 50,
          "... and serves reads: round %d's %d rows, a page of pupils" % (rid, len(rows)))
    r = c.call("upsert_students", rows=td.typed_students(10000, "SCH01", "F"))
    check(r.error.code == code("RESOURCE_EXHAUSTED"),
          "... a typed batch of 10000 pupils is refused the same way (%s)" %
          wc.error_text(SCHEMA, r))
    r = c.call("run_round", date=DATE)
    if not r.HasField("error"):
        r, _ = wc.follow_round(SCHEMA, c, r.run_round.round_id, wait_ms=5000)
    print("info  %s: a round on the full database: %s" % (
        how, wc.error_text(SCHEMA, r) if r.HasField("error") else
        "phase %d %s" % (r.round_status.phase, r.round_status.error.message)))
    check(c.call("status").status.counts.students == before["students"],
          "... the daemon is still up after a round on the full database")
    c.close()
    check(d.stop() == 0, "... and stops cleanly")
    f = db_facts(db)
    clean(f, "%s: after the full disk" % how)
    check(f["students"] == before["students"] and
          f["per_round"].get(rid) == before["per_round"].get(rid),
          "%s: nothing of the refused imports is stored" % how)
    return db


def test_full_disk(args, tmp):
    work = os.path.join(tmp, "full_base")
    os.mkdir(work)
    base = {"db": os.path.join(work, "fm.db")}
    base["tok"] = td.token(args.token_tool, base["db"], "coordinator")
    base["rid"] = base_region(args, tmp, base["db"], base["tok"])
    size = os.path.getsize(base["db"])
    # Far less than the big file needs (it stores at about twice its CSV size).
    room = max(64 * 1024, os.path.getsize(os.path.join(tmp, "big_students.csv")) // 4)
    results = {}
    small = os.path.join(tmp, "small")
    os.mkdir(small)
    why = try_mount_tmpfs(small, str(size + room))
    if why is None:
        try:
            full_disk(args, tmp, small, "tmpfs", base)
            results["tmpfs"] = "ran: %d bytes of tmpfs for a %d-byte database" % (
                size + room, size)
        finally:
            subprocess.run(["umount", small], check=False)
    else:
        results["tmpfs"] = "not run: cannot mount here (%s)" % why
    capped = os.path.join(tmp, "capped")
    os.mkdir(capped)
    full_disk(args, tmp, capped, "db_max_bytes", base,
              "db_max_bytes = %d\n" % (size + room))
    results["db_max_bytes"] = "ran: capped at %d bytes" % (size + room)
    print("info  full disk:", results)


# ---- read-only database ------------------------------------------------------------

def test_read_only(args, tmp):
    work = os.path.join(tmp, "ro")
    os.mkdir(work)
    db = os.path.join(work, "fm.db")
    tok = td.token(args.token_tool, db, "coordinator")
    school_tok = td.token(args.token_tool, db, "school", "SCH01")
    rid = base_region(args, tmp, db, tok)
    before = db_facts(db)
    prefix = ()
    if os.geteuid() == 0:  # root writes whatever the mode: run as nobody
        for p in [work] + [os.path.join(work, x) for x in os.listdir(work)]:
            os.chown(p, 65534, 65534)
        os.chmod(tmp, 0o755)
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    os.chmod(db, 0o444)
    d = start(args, db, tmp, "read_only", prefix=prefix)
    check("event=database_read_only" in d.log(), "the daemon logs that the database is read-only")
    c = conn(d, tok)
    st = c.call("status")
    check(not st.HasField("error") and st.status.counts.students == before["students"],
          "read-only: status answers (%d students)" % st.status.counts.students)
    r, rows = wc.all_assignments(SCHEMA, c, rid, unmatched=True)
    sh = c.call("show_round", round_id=rid)
    lst = c.call("list", kind=SCHEMA.enum("KIND_PLACEMENTS"), page_size=100)
    check(not r.HasField("error") and len(rows) == before["per_round"][rid] and
          sh.show_round.status.phase == phase("DONE") and len(lst.list.placements) == 100,
          "read-only: rounds, assignments (%d rows) and lists are served" % len(rows))
    s = conn(d, school_tok)
    r, srows = wc.all_assignments(SCHEMA, s, rid, unmatched=True)
    check(not r.HasField("error") and srows and all(x.school_ref == "SCH01" for x in srows),
          "read-only: a school token is checked and sees its %d rows" % len(srows))
    s.close()
    refused = []
    big = os.path.join(tmp, "base_students.csv")
    writes = [
        ("import_csv", lambda: import_file(c, "students", big)),
        ("upsert_students", lambda: c.call("upsert_students",
                                           rows=td.typed_students(5, "SCH01", "R"))),
        ("withdraw", lambda: c.call("withdraw", kind=SCHEMA.enum("KIND_STUDENTS"),
                                    refs=["A000001"])),
        ("run_round", lambda: c.call("run_round", date=DATE)),
        ("decide_assignment", lambda: c.call(
            "decide_assignment", round_id=rid, side=SCHEMA.enum("SIDE_PLACEMENTS"),
            student_ref=next(x.student_ref for x in rows if x.target_ref),
            decision=SCHEMA.enum("DECISION_CONFIRM"))),
    ]
    for name, fn in writes:
        r = fn()
        ok = r.error.code == code("FAILED_PRECONDITION") and "read-only" in r.error.message
        refused.append(name)
        check(ok, "read-only: %s is refused: %s" % (name, wc.error_text(SCHEMA, r)))
    check(c.call("status").status.counts.students == before["students"],
          "read-only: the daemon keeps serving after %d refused writes" % len(refused))
    c.close()
    check(d.stop() == 0, "read-only: the daemon stops cleanly")
    os.chmod(db, 0o600)
    f = db_facts(db)
    clean(f, "read-only: afterwards")
    check(f["digest"] == before["digest"] and f["students"] == before["students"],
          "read-only: nothing changed")


def main():
    global SCHEMA
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--token-tool", required=True)
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    ap.add_argument("--pupils", type=int, default=20000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    SCHEMA = wc.Schema(args.proto)
    tmp = tempfile.mkdtemp(prefix="fm_crash_test_")
    try:
        t0 = time.time()
        work, db, tok, rid = test_kill_import(args, tmp)
        print("info  kills during imports: %.1f s" % (time.time() - t0))
        t0 = time.time()
        test_kill_round(args, tmp, db, tok, rid)
        print("info  kills during rounds: %.1f s" % (time.time() - t0))
        t0 = time.time()
        test_full_disk(args, tmp)
        print("info  full disk: %.1f s" % (time.time() - t0))
        t0 = time.time()
        test_read_only(args, tmp)
        print("info  read-only: %.1f s" % (time.time() - t0))
    finally:
        td.cleanup(None, tmp, args.keep)
    return td.report("test_crash")


if __name__ == "__main__":
    sys.exit(main())
