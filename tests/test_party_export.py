#!/usr/bin/python3
"""test_party_export.py - each party's export holds what it may see and nothing more.

Starts the real fairmatchd on a free loopback port with a temporary database,
makes real tokens with `fairmatch token create` (coordinator, two schools, an
employer with matches and one without), imports the sample region and runs a
round with the client, then exports the round with each token:

- coordinator: `round export` gives the four files; its CSV rows are the
  reference the other parties' files are checked against, filtered here by
  hand.
- school: exactly the coordinator's placements.csv and mentors.csv rows whose
  school_ref is the school's (same header, same bytes per row), and no
  summary.json or report.html.
- employer: one file, placements.csv, with exactly the columns
  pupil_ref,age_band,needs_access,school_name,placement_ref,state; its rows
  are the coordinator's matched rows of that employer, mapped by hand through
  students.csv (age band on the round date, access needs) and schools.csv
  (name); each pupil_ref a pseudonym (P- and 10 base32 characters), none a
  student_ref; no student_ref, school_ref, birth date, tier, rank, distance
  or utility anywhere in the file; no mentors.csv.  A confirmation by
  pupil_ref shows as `confirmed` in the next export.  An employer without
  matches gets a file with the header only.
- the RPC export_round, read with the independent python3-protobuf client in
  small pages: the same rows as each party's CSV, the view naming the role,
  and the other party's list empty.

Exit 0 when every check holds; a failed check prints FAIL and exits 1.
    test_party_export.py --fairmatch F --fairmatchd D --data DIR --proto P
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wire_client as wc  # noqa: E402
from test_daemon import Daemon  # noqa: E402

DATE = "2027-06-14"
EMPLOYER_COLUMNS = ["pupil_ref", "age_band", "needs_access", "school_name", "placement_ref",
                    "state"]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)
    return cond


def run(args, env, **kw):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, **kw)


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def age_band(birth, date):
    by, bm, bd = map(int, birth.split("-"))
    y, m, d = map(int, date.split("-"))
    age = y - by - (1 if (m, d) < (bm, bd) else 0)
    return "<14" if age < 14 else "14-15" if age < 16 else "16-17" if age < 18 else "18+"


def rpc_export(schema, port, token, round_id, page):
    """All export_round pages: (views, results, matches)."""
    conn = wc.Conn(schema, "127.0.0.1", port, token=token)
    views, results, matches, tok = set(), [], [], ""
    try:
        while True:
            r = wc.ok(schema, conn.call("export_round", round_id=round_id, page_size=page,
                                        page_token=tok), "export_round")
            views.add(r.export_round.view)
            results.extend(r.export_round.results)
            matches.extend(r.export_round.matches)
            tok = r.export_round.next_page_token
            if not tok:
                return views, results, matches
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatch", required=True)
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    args = ap.parse_args()
    fm, data = args.fairmatch, os.path.join(args.data, "sample")
    schema = wc.Schema(args.proto)
    tmp = tempfile.mkdtemp(prefix="fm_party_export_")
    daemon = None
    try:
        db = os.path.join(tmp, "fm.db")
        env = dict(os.environ)

        def token(role, scope=None):
            cmd = [fm, "token", "create", "--db", db, "--role", role]
            if scope:
                cmd += ["--scope", scope]
            p = run(cmd, env)
            check(p.returncode == 0, "token create %s %s" % (role, scope or ""))
            return p.stdout.strip()

        coord = token("coordinator")
        daemon = Daemon(args.fairmatchd, db, tmp)
        port = daemon.port
        if not check(port is not None, "fairmatchd starts (%s)" % daemon.log()[-300:]):
            return 1
        env.update(FAIRMATCH_SERVER="127.0.0.1:%d" % port, FAIRMATCH_TOKEN=coord)
        for kind in ("schools", "students", "placements", "mentors"):
            p = run([fm, "import", kind, os.path.join(data, kind + ".csv")], env)
            check(p.returncode == 0, "import %s (%s)" % (kind, p.stderr.strip()))
        p = run([fm, "round", "run", "--date", DATE], env)
        check(p.returncode == 0, "round run (%s)" % p.stderr.strip())
        rid = int(re.search(r"^round (\d+):", p.stdout, re.M).group(1))

        out = {}

        def export(name, tok):
            d = os.path.join(tmp, name)
            e = dict(env, FAIRMATCH_TOKEN=tok)
            p = run([fm, "round", "export", str(rid), "--out", d], e)
            check(p.returncode == 0, "%s: round export exits 0 (%s)" % (name, p.stderr.strip()))
            out[name] = d
            return d

        cdir = export("coordinator", coord)
        full = {side: rows_of(os.path.join(cdir, side + ".csv"))
                for side in ("placements", "mentors")}
        students = {r["student_ref"]: r for r in csv.DictReader(open(os.path.join(
            data, "students.csv"), newline=""))}
        school_names = {r["school_ref"]: r["name"] for r in csv.DictReader(open(os.path.join(
            data, "schools.csv"), newline=""))}

        # ---- schools: exactly their own pupils' rows of the coordinator's files
        for school in ("SCH0001", "SCH0002"):
            sdir = export(school, token("school", school))
            check(sorted(os.listdir(sdir)) == ["mentors.csv", "placements.csv"],
                  "%s gets placements.csv and mentors.csv only (%s)" % (school,
                                                                      os.listdir(sdir)))
            for side in ("placements", "mentors"):
                mine = rows_of(os.path.join(sdir, side + ".csv"))
                want = [full[side][0]] + [r for r in full[side][1:] if r[1] == school]
                check(mine == want, "%s %s.csv = the coordinator's rows of %s "
                      "(%d rows, want %d)" % (school, side, school, len(mine) - 1,
                                              len(want) - 1))
                others = [r for r in mine[1:] if r[1] != school]
                check(not others, "%s %s.csv holds no other school's pupil" % (school, side))
            n_pupils = sum(1 for s in students.values() if s["school_ref"] == school and
                           s["wants_placement"] in ("1", ""))
            check(len(rows_of(os.path.join(sdir, "placements.csv"))) - 1 == n_pupils,
                  "%s placements.csv has a row for each of its %d pupils who asked" %
                  (school, n_pupils))

        # ---- employer: matched pupils of its placements, the allowed fields only
        matched = [r for r in full["placements"][1:] if r[3]]
        by_emp = {}
        for r in matched:
            by_emp.setdefault(r[4], []).append(r)
        emp = max(sorted(by_emp), key=lambda e: len(by_emp[e]))
        etok = token("employer", emp)
        edir = export("employer", etok)
        check(os.listdir(edir) == ["placements.csv"],
              "the employer gets placements.csv only (%s)" % os.listdir(edir))
        erows = rows_of(os.path.join(edir, "placements.csv"))
        check(erows[0] == EMPLOYER_COLUMNS, "employer columns are exactly %s (got %s)" %
              (",".join(EMPLOYER_COLUMNS), ",".join(erows[0])))
        want = sorted((r[3], age_band(students[r[0]]["birth_date"], DATE),
                       "1" if students[r[0]]["needs_access"] in ("1", "true", "yes") else "0",
                       school_names.get(r[1]) or r[1]) for r in by_emp[emp])
        got = sorted((r[4], r[1], r[2], r[3]) for r in erows[1:])
        check(got == want, "employer %s rows = the coordinator's %d matched rows of %s, "
              "mapped by hand (got %d)" % (emp, len(want), emp, len(got)))
        prefs = [r[0] for r in erows[1:]]
        check(all(re.fullmatch(r"P-[A-Z2-7]{10}", p) for p in prefs),
              "every pupil_ref is a pseudonym P-XXXXXXXXXX")
        check(len(set(prefs)) == len(prefs), "pupil_refs are distinct")
        check(all(r[5] == "proposed" for r in erows[1:]), "all rows are proposed before "
              "any decision")
        text = open(os.path.join(edir, "placements.csv")).read()
        leaked = [s for s in students if s in text]
        leaked += [students[r[0]]["birth_date"] for r in by_emp[emp]
                   if students[r[0]]["birth_date"] in text]
        leaked += [s for s in school_names if re.search(r"\b%s\b" % s, text)
                   and school_names[s]]
        check(not leaked, "no student_ref, birth date or school_ref in the employer's file "
              "(%s)" % leaked[:3])
        for col in ("student_ref", "school_ref", "tier", "rank", "distance_km", "utility",
                    "reason", "birth_date", "lat", "lon"):
            check(col not in erows[0], "the employer's file has no %s column" % col)
        other_targets = {r[3] for r in matched if r[4] != emp}
        check(not [r for r in erows[1:] if r[4] in other_targets],
              "no placement of another employer")

        # A confirmation by pseudonym shows in the next export.
        e = dict(env, FAIRMATCH_TOKEN=etok)
        p = run([fm, "round", "confirm", str(rid), "placements", prefs[0]], e)
        check(p.returncode == 0, "the employer confirms by pupil_ref (%s)" % p.stderr.strip())
        export("employer", etok)
        again = rows_of(os.path.join(edir, "placements.csv"))
        states = {r[0]: r[5] for r in again[1:]}
        check(states.get(prefs[0]) == "confirmed" and
              sum(v == "confirmed" for v in states.values()) == 1,
              "the export shows that one pupil confirmed")

        # An employer without matches: the header only.
        lonely = token("employer", "EMP-NO-MATCHES")
        ldir = export("lonely", lonely)
        check(rows_of(os.path.join(ldir, "placements.csv")) == [EMPLOYER_COLUMNS],
              "an employer without matches gets the header only")

        # ---- the RPC: the same rows as each party's CSV, paged
        state_names = {schema.enum("STATE_" + n.upper()): n
                       for n in ("proposed", "confirmed", "declined", "unmatched")}
        views, results, matches = rpc_export(schema, port, etok, rid, 3)
        check(views == {schema.enum("ROLE_EMPLOYER")} and not results,
              "export_round for the employer: view ROLE_EMPLOYER, no result rows")
        got = sorted((m.pupil_ref, m.age_band, "1" if m.needs_access else "0", m.school_name,
                      m.placement_ref, state_names[m.state])
                     for m in matches)
        check(got == sorted(tuple(r) for r in again[1:]),
              "export_round employer rows (pages of 3) = its CSV rows (%d)" % len(got))
        fields = {f.name for f in schema.msg("EmployerRow").DESCRIPTOR.fields}
        check(fields == set(EMPLOYER_COLUMNS),
              "EmployerRow has exactly the employer's columns (%s)" % sorted(fields))
        stok = token("school", "SCH0001")
        views, results, matches = rpc_export(schema, port, stok, rid, 7)
        check(views == {schema.enum("ROLE_SCHOOL")} and not matches,
              "export_round for a school: view ROLE_SCHOOL, no employer rows")
        sdir = out["SCH0001"]
        want = []
        for side in ("placements", "mentors"):
            want += [tuple(r) for r in rows_of(os.path.join(sdir, side + ".csv"))[1:]]

        def as_csv(x):
            dist = "" if not x.target_ref or x.distance_km < 0 else "%.3f" % x.distance_km
            matched = bool(x.target_ref)
            cols = [x.student_ref, x.school_ref, str(x.tier), x.target_ref]
            if x.side == schema.enum("SIDE_PLACEMENTS"):
                cols.append(x.employer_ref)
            cols += [str(x.rank) if matched else "", dist, str(x.utility) if matched else "",
                     x.reason]
            return tuple(cols)
        got = [as_csv(x) for x in results]
        check(got == want, "export_round school rows (pages of 7) = its CSV rows "
              "(%d, want %d)" % (len(got), len(want)))
        check(all(x.school_ref == "SCH0001" for x in results),
              "export_round school rows are all SCH0001's")
        views, results, matches = rpc_export(schema, port, coord, rid, 0)
        check(views == {schema.enum("ROLE_COORDINATOR")} and
              len(results) == len(full["placements"]) + len(full["mentors"]) - 2,
              "export_round for the coordinator: every row (%d)" % len(results))
        conn = wc.Conn(schema, "127.0.0.1", port, token=coord)
        r = conn.call("export_round", round_id=9999)
        check(r.HasField("error") and r.error.code == schema.enum("Code.NOT_FOUND"),
              "export_round of an unknown round: NOT_FOUND")
        conn.close()
    finally:
        if daemon is not None:
            check(daemon.stop() == 0, "fairmatchd exits 0 on SIGTERM")
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("test_party_export: %d check(s) failed" % len(FAILS), file=sys.stderr)
        return 1
    print("test_party_export: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
