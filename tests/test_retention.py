#!/usr/bin/python3
"""test_retention.py - the retention purge end to end: fairmatchd, the
`fairmatch purge` admin command with a fake "now", and old round exports.

Normal case, on a real daemon and database:
  - 2000 pupils "A" and N pupils "B" (default 20000) take part in round 1
    (dated 2027-06-14); the A pupils then withdraw and the B pupils alone
    take part in round 2 (2028-06-14).  Both rounds are exported with
    `fairmatch round export`.
  - `fairmatch purge --db DB --now 2028-09-01` (365 days), run while the
    daemon serves: exactly the 2000 A pupils are purged (last seen
    2027-06-14), the B pupils are untouched.  Round 1's export afterwards
    has the same rows but for the refs (A refs replaced by opaque anon-
    refs, one per pupil across both sides), the same per-school/tier/target
    totals and the same summary.json; round 2's export is byte-identical.
  - a restarted daemon purges at start (with the real date: nothing is old
    enough) and logs event=retention_purge with counts only.
  - `--now 2029-09-01` purges the N B pupils (timed); round 2's export still
    adds up; integrity_check ok; no pupil ref in the daemon's log.
Failure: a message per failed check, exit 1.
"""
import argparse
import collections
import csv
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_crash as tc  # noqa: E402
import test_daemon as td  # noqa: E402
import wire_client as wc  # noqa: E402

check = td.check


def export(args, d, tok, rid, out):
    env = dict(os.environ, FAIRMATCH_SERVER="127.0.0.1:%d" % d.port, FAIRMATCH_TOKEN=tok)
    p = subprocess.run([args.fairmatch, "round", "export", str(rid), "--out", out],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 0, "fairmatch round export %d (%s)" % (rid, p.stderr.strip()[:200]))
    return out


def read_rows(out, name):
    with open(os.path.join(out, name), newline="") as f:
        return list(csv.DictReader(f))


def totals(rows):
    """Rows without their refs, as a multiset."""
    return collections.Counter(tuple(sorted((k, v) for k, v in r.items() if k != "student_ref"))
                               for r in rows)


def purge(args, db, now):
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([args.fairmatch, "purge", "--db", db, "--now", now],
                       capture_output=True, text=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    m = re.match(r"purged (\d+) pupils \((\d+) round rows anonymised\); kept (\d+); ([\d.]+) s",
                 p.stdout)
    check(p.returncode == 0 and m, "fairmatch purge --now %s: %s%s" % (
        now, p.stdout.strip(), p.stderr.strip()))
    if not m:
        return (0, 0, 0, 0.0, cpu)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4)), cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--fairmatch", required=True)
    ap.add_argument("--token-tool", required=True)
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    ap.add_argument("--pupils", type=int, default=20000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    schema = wc.Schema(args.proto)
    tc.SCHEMA = schema
    tmp = tempfile.mkdtemp(prefix="fm_retention_test_")
    d = None
    try:
        db = os.path.join(tmp, "fm.db")
        tok = td.token(args.token_tool, db, "coordinator")
        files = {k: os.path.join(tmp, k + ".csv") for k in ("a", "b", "placements", "mentors")}
        tc.write_students(files["a"], 2000, "A")
        tc.write_students(files["b"], args.pupils, "B")
        tc.write_placements(files["placements"], 300)
        tc.write_mentors(files["mentors"], 60)
        config = os.path.join(tmp, "fm.conf")
        with open(config, "w") as f:
            f.write("[store]\nretention_days = 365\n[log]\nlog_level = debug\n")
        d = tc.start(args, db, tmp, "retention1", config=config)
        c = tc.conn(d, tok)
        for kind, path in (("students", files["a"]), ("students", files["b"]),
                           ("placements", files["placements"]), ("mentors", files["mentors"])):
            r = tc.import_file(c, kind, path)
            check(not r.HasField("error"), "import %s" % os.path.basename(path))
        r, rid1 = tc.run_round(c, "2027-06-14")
        check(r.round_status.phase == tc.phase("DONE"), "round 1 (2027-06-14) is done")
        refs_a = ["A%06d" % i for i in range(2000)]
        for i in range(0, 2000, 500):
            r = c.call("withdraw", kind=schema.enum("KIND_STUDENTS"), refs=refs_a[i:i + 500])
            check(not r.HasField("error"), "withdraw 500 A pupils")
        r, rid2 = tc.run_round(c, "2028-06-14")
        check(r.round_status.phase == tc.phase("DONE"), "round 2 (2028-06-14) is done")
        e1 = export(args, d, tok, rid1, os.path.join(tmp, "r1_before"))
        e2 = export(args, d, tok, rid2, os.path.join(tmp, "r2_before"))

        # The purge on demand, while the daemon serves.
        purged, rows, kept, secs, cpu = purge(args, db, "2028-09-01")
        check(purged == 2000 and kept == args.pupils,
              "the A pupils (last seen 2027-06-14) are purged, the B pupils kept: "
              "%d purged, %d rows anonymised, %d kept in %.3f s" % (purged, rows, kept, secs))
        st = c.call("status").status.counts
        check(st.students == args.pupils, "the daemon still serves: %d active pupils" %
              st.students)
        e1a = export(args, d, tok, rid1, os.path.join(tmp, "r1_after"))
        e2a = export(args, d, tok, rid2, os.path.join(tmp, "r2_after"))
        for name in ("placements.csv", "mentors.csv"):
            b, a = read_rows(e1, name), read_rows(e1a, name)
            check(len(a) == len(b) and totals(a) == totals(b),
                  "round 1 %s: %d rows, the same rows but for the refs" % (name, len(a)))
            check(not any(x["student_ref"].startswith("A") for x in a) and
                  all(x["student_ref"].startswith(("anon-", "B")) for x in a),
                  "round 1 %s: no A ref left, purged pupils have anon- refs" % name)
        anon_p = {x["student_ref"] for x in read_rows(e1a, "placements.csv")
                  if x["student_ref"].startswith("anon-")}
        anon_m = {x["student_ref"] for x in read_rows(e1a, "mentors.csv")
                  if x["student_ref"].startswith("anon-")}
        check(len(anon_p | anon_m) == 2000 and anon_m <= anon_p | anon_m,
              "one opaque ref per purged pupil across both sides (%d)" % len(anon_p | anon_m))
        with open(os.path.join(e1, "summary.json")) as f1, \
                open(os.path.join(e1a, "summary.json")) as f2:
            check(f1.read() == f2.read(), "round 1 summary.json unchanged")
        same = all(open(os.path.join(e2, n), "rb").read() == open(os.path.join(e2a, n),
                                                                   "rb").read()
                   for n in ("placements.csv", "mentors.csv", "summary.json"))
        check(same, "round 2's export is byte-identical (its pupils were not purged)")
        c.close()
        check(d.stop() == 0, "the daemon stops cleanly")
        log1 = d.log()

        # The purge at start, with the real date.
        d = tc.start(args, db, tmp, "retention2", config=config)
        log2 = d.log()
        m = re.search(r"event=retention_purge (.*)", log2)
        check(m and re.fullmatch(r"retention_days=365 pupils_purged=0 rows_anonymised=0 "
                                 r"pupils_kept=%d seconds=[\d.]+" % args.pupils, m.group(1)),
              "the daemon purges at start and logs counts only: %s" % (m.group(0) if m else
                                                                       log2[-300:]))
        check(d.stop() == 0, "... and stops cleanly")
        log2 = d.log()

        # Everyone, timed: N pupils.
        purged, rows, kept, secs, cpu = purge(args, db, "2029-09-01")
        check(purged == args.pupils and kept == 0,
              "a year after round 2 its %d pupils are purged (%d rows anonymised) in %.3f s "
              "(the command used %.3f s of CPU)" % (purged, rows, secs, cpu))
        d = tc.start(args, db, tmp, "retention3", config=config)
        e2b = export(args, d, tok, rid2, os.path.join(tmp, "r2_purged"))
        for name in ("placements.csv", "mentors.csv"):
            b, a = read_rows(e2, name), read_rows(e2b, name)
            check(totals(a) == totals(b) and not any(x["student_ref"].startswith("B")
                                                     for x in a),
                  "round 2 %s after the purge: %d rows, same totals, no pupil ref" % (
                      name, len(a)))
        check(d.stop() == 0, "... and the daemon stops cleanly")
        con = sqlite3.connect(db)
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        left = con.execute("SELECT count(*) FROM students").fetchone()[0]
        mentors = con.execute("SELECT count(*) FROM mentors WHERE dbs_valid_until IS NOT NULL"
                              ).fetchone()[0]
        con.close()
        check(ic == "ok" and left == 0 and mentors == 60,
              "integrity_check %s; %d pupil rows left; the 60 mentors' DBS dates kept" % (
                  ic, left))
        logs = log1 + log2 + d.log()
        leaked = [r for r in ("A000001", "A001999", "B000001", "B%06d" % (args.pupils - 1))
                  if r in logs]
        check(not leaked, "no pupil ref in the daemon's debug log (%s)" % leaked)
        d = None
    finally:
        td.cleanup(d, tmp, args.keep)
    return td.report("test_retention")


if __name__ == "__main__":
    sys.exit(main())
