#!/usr/bin/python3
"""test_access.py - who may do what, as a table, on the real fairmatchd; and
a full run at log_level=debug whose log holds no pupil's personal field.

The table has one row per RPC method of proto/fairmatch.proto -- the method
list is read from the compiled schema (Request.method), so a method added
to the proto without a row here fails the test -- and, per row, one cell
per role (coordinator, school SCH01, employer EMP01, no token, an invalid
token) and scope: "in" acts on the caller's own rows, "out" on another
school's or employer's (for methods without a scope, "out" asks for what
the role may not have, or repeats "in").  A cell expects:
  OK       the call succeeds (and, for reads, a check of the data holds:
           a school sees only its pupils, an employer only its placements
           and pseudonymous pupils -- never a student_ref, school_ref, tier,
           rank or utility);
  ALLOWED  access is granted (no PERMISSION_DENIED / UNAUTHENTICATED); the
           operation may still fail on its own terms (cancelling a round
           that has already ended);
  DENIED   PERMISSION_DENIED;
  UNAUTH   UNAUTHENTICATED.
Every answer to an employer is searched, as bytes, for every pupil ref, and
every answer to the school for the refs of the other school's pupils: none
may appear.

The full run then adds a CSV import refused for a bad value, an export with
`fairmatch round export`, confirms and declines; the daemon is stopped and its
whole debug log is searched for every pupil's ref, birth date, latitude and
longitude (as written in the CSV and as %.6f / repr): none may appear.

Usage: test_access.py --fairmatchd PATH --fairmatch PATH --token-tool PATH
Exit 0 when every check passes, 1 otherwise.
"""
import argparse
import csv
import os
import re
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_daemon as td  # noqa: E402
import wire_client as wc  # noqa: E402

check = td.check
DATE = td.ROUND_DATE
SECTORS = td.SECTORS
ROLES = ["coordinator", "school", "employer", "none", "invalid"]
OK, ALLOWED, DENIED, UNAUTH = "OK", "ALLOWED", "DENIED", "UNAUTH"


# ---- the region ------------------------------------------------------------------

def make_pupils(rng, n=240):
    rows = []
    for i in range(n):
        school = "SCH01" if i % 2 == 0 else "SCH02"
        rows.append({
            "student_ref": "PU%04d" % i, "school_ref": school,
            "birth_date": "%04d-%02d-%02d" % (rng.choice([2009, 2010, 2011]),
                                              rng.randint(1, 12), rng.randint(1, 28)),
            "lat": "%.6f" % (51.5 + rng.uniform(-0.05, 0.05)),
            "lon": "%.6f" % (-0.1 + rng.uniform(-0.05, 0.05)),
            "max_travel_km": "30", "low_income": rng.choice(["0", "1"]),
            "gifted": rng.choice(["0", "0", "1"]), "needs_access": rng.choice(["0"] * 5 + ["1"]),
            "gender": rng.choice(["F", "M", "X", ""]),
            "sectors": "|".join(rng.sample(SECTORS, 2)), "wants_placement": "1",
            "wants_mentor": rng.choice(["0", "1"]),
        })
    return rows


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


def region_files(tmp, pupils):
    files = {k: os.path.join(tmp, k + ".csv") for k in ("students", "placements", "mentors",
                                                         "schools")}
    write_rows(files["students"], pupils)
    write_rows(files["placements"], [
        {"placement_ref": "PL%02d" % i, "employer_ref": "EMP01" if i % 2 == 0 else "EMP02",
         "sector": SECTORS[i % 6], "capacity": "6", "lat": "51.5", "lon": "-0.1",
         "accessible": "1", "min_age": "14"} for i in range(24)])
    write_rows(files["mentors"], [
        {"mentor_ref": "MN%02d" % i, "sectors": SECTORS[i % 6], "capacity": "3", "online": "1",
         "dbs_valid_until": "2030-01-01"} for i in range(12)])
    write_rows(files["schools"], [{"school_ref": "SCH01", "name": "School One"},
                                  {"school_ref": "SCH02", "name": "School Two"}])
    return files


# ---- the table -------------------------------------------------------------------
# A row: method -> {role: (in_expect, out_expect)} and a builder
# build(ctx, role, scope) -> (request fields, data check or None).  Roles
# "none" and "invalid" are UNAUTH everywhere but status without a token.

def std(coord=(OK, OK), school=(DENIED, DENIED), employer=(DENIED, DENIED), none=UNAUTH):
    return {"coordinator": coord, "school": school, "employer": employer,
            "none": (none, none), "invalid": (UNAUTH, UNAUTH)}


def own(role, scope, school_ref, employer_ref, coord_in, coord_out):
    """The ref a caller acts on: its own (in) or the other one (out)."""
    if role == "coordinator":
        return coord_in if scope == "in" else coord_out
    if role == "employer":
        return employer_ref[scope]
    return school_ref[scope]


SCHOOL = {"in": "SCH01", "out": "SCH02"}
EMPLOYER = {"in": "EMP01", "out": "EMP02"}


def b_status(ctx, role, scope):
    def data(r):
        c = r.status.counts
        if role == "school":
            return (c.students == ctx.n_pupils["SCH01"] and c.placements == 0 and
                    c.mentors == 0, "school counts %s" % str(c).replace("\n", " "))
        if role == "employer":
            return (c.placements == ctx.n_placements["EMP01"] and c.students == 0,
                    "employer counts %s" % str(c).replace("\n", " "))
        return True, ""
    return {}, data


def b_upsert_schools(ctx, role, scope):
    ref = own(role, scope, SCHOOL, SCHOOL, "SCH01", "SCH02")
    return {"rows": [{"school_ref": ref, "name": "Renamed %s" % ref}]}, None


def b_upsert_students(ctx, role, scope):
    school = own(role, scope, SCHOOL, SCHOOL, "SCH01", "SCH02")
    ref = "XS%s%s" % (role[0], scope)
    ctx.made_students.append(ref)
    return {"rows": [{"student_ref": ref, "school_ref": school, "birth_date": "2010-01-01",
                      "lat": 51.5, "lon": -0.1, "sectors": ["law"]}]}, None


def b_upsert_placements(ctx, role, scope):
    emp = own(role, scope, EMPLOYER, EMPLOYER, "EMP01", "EMP02")
    return {"rows": [{"placement_ref": "XP%s%s" % (role[0], scope), "employer_ref": emp,
                      "sector": "law", "capacity": 1, "virtual": True}]}, None


def b_upsert_mentors(ctx, role, scope):
    return {"rows": [{"mentor_ref": "XM%s%s" % (role[0], scope), "sectors": ["law"],
                      "capacity": 1, "online": True}]}, None


def b_import_csv(ctx, role, scope):
    if role == "employer":
        emp = EMPLOYER[scope]
        text = "placement_ref,employer_ref,sector,capacity,virtual\nXQ%s,%s,law,1,1\n" % (
            scope, emp)
        kind = "KIND_PLACEMENTS"
    else:
        school = own(role, scope, SCHOOL, SCHOOL, "SCH01", "SCH02")
        text = ("student_ref,school_ref,birth_date,lat,lon,sectors\n"
                "XC%s%s,%s,2010-02-02,51.5,-0.1,law\n" % (role[0], scope, school))
        kind = "KIND_STUDENTS"
    return {"kind": ctx.schema.enum(kind), "file_name": "access.csv", "data": text.encode(),
            "last": True}, None


def b_withdraw(ctx, role, scope):
    if role == "employer":
        return {"kind": ctx.schema.enum("KIND_PLACEMENTS"),
                "refs": ["XPe" + scope if scope == "in" else "XPcout"]}, None
    # the pupils made by upsert_students: XSsin is SCH01's, XScout SCH02's
    ref = {"in": "XSsin", "out": "XScout"}[scope] if role == "school" else \
        {"in": "XScin", "out": "XScout"}[scope]
    return {"kind": ctx.schema.enum("KIND_STUDENTS"), "refs": [ref]}, None


def b_list(ctx, role, scope):
    kinds = {"coordinator": ("KIND_STUDENTS", "KIND_MENTORS"),
             "school": ("KIND_STUDENTS", "KIND_PLACEMENTS"),
             "employer": ("KIND_PLACEMENTS", "KIND_STUDENTS")}
    kind = kinds.get(role, ("KIND_STUDENTS", "KIND_STUDENTS"))[0 if scope == "in" else 1]

    def data(r):
        l = r.list
        if role == "school":
            return (l.students and all(s.school_ref == "SCH01" for s in l.students),
                    "%d pupils, all of SCH01" % len(l.students))
        if role == "employer":
            return (l.placements and all(p.employer_ref == "EMP01" for p in l.placements),
                    "%d placements, all of EMP01" % len(l.placements))
        return True, ""
    return {"kind": ctx.schema.enum(kind), "page_size": 1000}, data


def b_run_round(ctx, role, scope):
    return {"date": DATE}, None


def b_round_status(ctx, role, scope):
    return {"round_id": ctx.rid}, None


def b_show_round(ctx, role, scope):
    def data(r):
        if role in ("school", "employer"):
            return (not r.show_round.summary_json and
                    r.show_round.placements.vector.n1 == ctx.vector.n1,
                    "the vectors, no summary")
        return True, ""
    return {"round_id": ctx.rid, "include_summary_json": scope == "out"}, data


def b_list_assignments(ctx, role, scope):
    def data(r):
        rows = r.list_assignments.assignments
        if role == "school":
            return (len(rows) == ctx.rows_of_school and
                    all(a.school_ref == "SCH01" for a in rows),
                    "%d rows, all of SCH01 pupils" % len(rows))
        if role == "employer":
            good = all(a.employer_ref == "EMP01" and not a.student_ref and not a.school_ref
                       and a.tier == 0 and a.rank == 0 and a.utility == 0 and
                       a.pupil_ref.startswith("P-") for a in rows)
            return (good and len(rows) == ctx.rows_of_employer,
                    "%d rows of EMP01, pseudonyms only" % len(rows))
        return len(rows) == ctx.n_rows, "%d rows" % len(rows)
    return {"round_id": ctx.rid, "page_size": 10000, "include_unmatched": True}, data


def b_export_round(ctx, role, scope):
    def data(r):
        e = r.export_round
        if role == "school":
            return (len(e.results) == ctx.rows_of_school and not e.matches and
                    all(x.school_ref == "SCH01" for x in e.results),
                    "%d result rows, all of SCH01 pupils" % len(e.results))
        if role == "employer":
            return (len(e.matches) == ctx.rows_of_employer and not e.results and
                    all(x.pupil_ref.startswith("P-") for x in e.matches),
                    "%d matches of EMP01, pseudonyms only" % len(e.matches))
        return len(e.results) == ctx.n_rows, "%d result rows" % len(e.results)
    return {"round_id": ctx.rid, "page_size": 10000}, data


def b_decide(ctx, role, scope):
    side = ctx.schema.enum("SIDE_PLACEMENTS")
    if role == "employer":
        ref = ctx.employer_pupil if scope == "in" else ctx.other_employer_student
    elif role == "school":
        ref = ctx.matched["SCH01"][0] if scope == "in" else ctx.matched["SCH02"][0]
    else:
        ref = ctx.matched["SCH01"][1] if scope == "in" else ctx.matched["SCH02"][1]
    return {"round_id": ctx.rid, "side": side, "student_ref": ref,
            "decision": ctx.schema.enum("DECISION_CONFIRM")}, None


def b_rerun(ctx, role, scope):
    return {"round_id": ctx.rid}, None


def b_list_rounds(ctx, role, scope):
    def data(r):
        return (any(x.round_id == ctx.rid for x in r.list_rounds.rounds), "has the round")
    return {"page_size": 50}, data


def b_cancel(ctx, role, scope):
    rid = ctx.rid
    if role == "coordinator":  # a fresh round to cancel (it may end first)
        rid = ctx.coord.call("run_round", date=DATE).run_round.round_id
        ctx.extra_rounds.append(rid)
    return {"round_id": rid}, None


TABLE = {
    "status": (std(coord=(OK, OK), school=(OK, OK), employer=(OK, OK), none=OK), b_status),
    "upsert_schools": (std(school=(OK, DENIED)), b_upsert_schools),
    "upsert_students": (std(school=(OK, DENIED)), b_upsert_students),
    "upsert_placements": (std(employer=(OK, DENIED)), b_upsert_placements),
    "upsert_mentors": (std(), b_upsert_mentors),
    "import_csv": (std(school=(OK, DENIED), employer=(OK, DENIED)), b_import_csv),
    "withdraw": (std(school=(OK, DENIED), employer=(OK, DENIED)), b_withdraw),
    "list": (std(school=(OK, DENIED), employer=(OK, DENIED)), b_list),
    "run_round": (std(), b_run_round),
    "round_status": (std(school=(OK, OK), employer=(OK, OK)), b_round_status),
    "show_round": (std(school=(OK, DENIED), employer=(OK, DENIED)), b_show_round),
    "list_assignments": (std(school=(OK, OK), employer=(OK, OK)), b_list_assignments),
    "decide_assignment": (std(school=(OK, DENIED), employer=(OK, DENIED)), b_decide),
    "rerun_round": (std(), b_rerun),
    "list_rounds": (std(school=(OK, OK), employer=(OK, OK)), b_list_rounds),
    "cancel_round": (std(coord=(ALLOWED, ALLOWED)), b_cancel),
    "export_round": (std(school=(OK, OK), employer=(OK, OK)), b_export_round),
}


class Ctx:
    pass


def outcome(schema, r):
    if not r.HasField("error"):
        return OK
    c = r.error.code
    if c == schema.enum("Code.PERMISSION_DENIED"):
        return DENIED
    if c == schema.enum("Code.UNAUTHENTICATED"):
        return UNAUTH
    return "ERROR " + wc.error_text(schema, r)


def run_table(ctx, port, tokens):
    schema = ctx.schema
    methods = [f.name for f in schema.Request.DESCRIPTOR.oneofs_by_name["method"].fields]
    missing = [m for m in methods if m not in TABLE]
    extra = [m for m in TABLE if m not in methods]
    check(not missing and not extra,
          "the access table has a row for each of the proto's %d methods (missing %s, "
          "stale %s)" % (len(methods), missing, extra))
    all_refs = [p["student_ref"].encode() for p in ctx.pupils]
    sch02_refs = [p["student_ref"].encode() for p in ctx.pupils if p["school_ref"] == "SCH02"]
    cells = 0
    for m in methods:
        if m not in TABLE:
            continue
        expect, build = TABLE[m]
        for role in ROLES:
            for k, scope in enumerate(("in", "out")):
                want = expect[role][k]
                fields, data = build(ctx, role, scope)
                if role in ("none", "invalid"):
                    conn = wc.Conn(schema, "127.0.0.1", port,
                                   token="" if role == "none" else "fm_" + "Q" * 43,
                                   hello=False)
                else:
                    conn = ctx.conns[role]
                r = conn.call(m, **fields)
                if role in ("none", "invalid"):
                    conn.close()
                got = outcome(schema, r)
                good = got == want or (want == ALLOWED and got not in (DENIED, UNAUTH))
                note = ""
                if good and got == OK and data:
                    good, note = data(r)
                raw = r.SerializeToString()
                sent = conn.request(m, **fields).SerializeToString()
                # A refusal may name the ref the caller itself sent.
                if role == "employer":
                    leak = [x for x in all_refs if x in raw and x not in sent]
                elif role == "school":
                    leak = [x for x in sch02_refs if x in raw and x not in sent]
                else:
                    leak = []
                check(good and not leak, "%-17s %-11s %-3s expect %-7s got %s%s%s" % (
                    m, role, scope, want, got, " (%s)" % note if note else "",
                    " LEAKS %s" % leak[:3] if leak else ""))
                cells += 1
    print("info  access table: %d methods x %d roles x 2 scopes = %d cells" % (
        len(methods), len(ROLES), cells))
    return cells


# ---- setup and the full run ----------------------------------------------------------

def setup(ctx, args, tmp, port, tokens):
    schema = ctx.schema
    coord = wc.Conn(schema, "127.0.0.1", port, token=tokens["coordinator"])
    ctx.coord = coord
    files = region_files(tmp, ctx.pupils)
    ctx.files = files
    for kind in ("schools", "students", "placements", "mentors"):
        r = wc.import_csv(schema, coord, kind, files[kind], chunk=4096)
        check(not r.HasField("error"), "import %s" % kind)
    r = coord.call("run_round", date=DATE)
    ctx.rid = r.run_round.round_id
    r, _ = wc.follow_round(schema, coord, ctx.rid, wait_ms=5000)
    check(r.round_status.phase == schema.enum("PHASE_DONE"), "the table's round is done")
    ctx.vector = coord.call("show_round", round_id=ctx.rid).show_round.placements.vector
    r, rows = wc.all_assignments(schema, coord, ctx.rid, unmatched=True, page=10000)
    ctx.n_rows = len(rows)
    ctx.rows_of_school = sum(1 for a in rows if a.school_ref == "SCH01")
    placed = [a for a in rows if a.target_ref and a.side == schema.enum("SIDE_PLACEMENTS")]
    ctx.rows_of_employer = sum(1 for a in placed if a.employer_ref == "EMP01")
    ctx.matched = {s: [a.student_ref for a in placed if a.school_ref == s and
                       a.employer_ref == "EMP02"] for s in ("SCH01", "SCH02")}
    ctx.other_employer_student = ctx.matched["SCH02"][2]
    emp = wc.Conn(schema, "127.0.0.1", port, token=tokens["employer"])
    r, erows = wc.all_assignments(schema, emp, ctx.rid)
    ctx.employer_pupil = erows[0].pupil_ref if erows else "P-NONE"
    ctx.n_pupils = {s: sum(1 for p in ctx.pupils if p["school_ref"] == s)
                    for s in ("SCH01", "SCH02")}
    ctx.n_placements = {"EMP01": 12, "EMP02": 12}
    ctx.conns = {"coordinator": coord, "employer": emp,
                 "school": wc.Conn(schema, "127.0.0.1", port, token=tokens["school"])}
    ctx.made_students, ctx.extra_rounds = [], []
    check(ctx.rows_of_employer > 0 and min(len(v) for v in ctx.matched.values()) >= 3,
          "both schools have pupils placed with EMP02, EMP01 has %d matches" %
          ctx.rows_of_employer)


def full_run_extras(ctx, args, tmp, port, tokens):
    """A refused import naming a bad birth date, an export, a decline."""
    schema = ctx.schema
    coord = ctx.coord
    bad = os.path.join(tmp, "bad.csv")
    rows = [dict(p) for p in ctx.pupils[:3]]
    rows[1]["birth_date"] = "2010-02-30"
    write_rows(bad, rows)
    r = wc.import_csv(schema, coord, "students", bad)
    check(r.error.code == schema.enum("Code.INVALID_ARGUMENT") and r.error.line == 3,
          "a bad birth date is refused naming its line (%s)" % wc.error_text(schema, r))
    env = dict(os.environ, FAIRMATCH_SERVER="127.0.0.1:%d" % port,
               FAIRMATCH_TOKEN=tokens["coordinator"])
    out = os.path.join(tmp, "export")
    p = subprocess.run([args.fairmatch, "round", "export", str(ctx.rid), "--out", out],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 0, "fairmatch round export (%s)" % p.stderr.strip()[:200])
    school = ctx.conns["school"]
    r = school.call("decide_assignment", round_id=ctx.rid,
                    side=schema.enum("SIDE_PLACEMENTS"), student_ref=ctx.matched["SCH01"][0],
                    decision=schema.enum("DECISION_DECLINE"))
    check(not r.HasField("error"), "a school declines a confirmed placement")
    # A round re-run on the confirmations, followed to its end.
    r = coord.call("rerun_round", round_id=ctx.rid)
    if not r.HasField("error"):
        r, _ = wc.follow_round(schema, coord, r.rerun_round.round_id, wait_ms=5000)
    check(r.HasField("round_status") and
          r.round_status.phase == schema.enum("PHASE_DONE"), "a re-run round is done")


def grep_log(log, pupils):
    personal = {}
    for p in pupils:
        personal[p["student_ref"]] = "ref"
        personal[p["birth_date"]] = "birth_date"
        for k in ("lat", "lon"):
            v = float(p[k])
            for text in (p[k], "%.6f" % v, repr(v), "%.5f" % v, "%g" % v):
                personal[text] = k
    # The ts= field's seconds (e.g. 15:55:51.489Z) can look like a latitude:
    # search the log without its timestamps.
    log = re.sub(r"ts=\S+", "ts=", log)
    leaked = sorted({(kind, v) for v, kind in personal.items() if v in log})
    check(not leaked, "the debug log (%d lines) holds none of %d personal values "
          "(refs, birth dates, lat/lon) of %d pupils (%s)" % (
              log.count("\n"), len(personal), len(pupils), leaked[:5]))
    check("level=debug" in log and "event=request" in log,
          "... and it is a debug log with every request")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--fairmatch", required=True)
    ap.add_argument("--token-tool", required=True)
    ap.add_argument("--proto", default=wc.DEFAULT_PROTO)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    ctx = Ctx()
    ctx.schema = wc.Schema(args.proto)
    ctx.pupils = make_pupils(random.Random(11))
    tmp = tempfile.mkdtemp(prefix="fm_access_test_")
    d = None
    try:
        db = os.path.join(tmp, "fm.db")
        tokens = {"coordinator": td.token(args.token_tool, db, "coordinator"),
                  "school": td.token(args.token_tool, db, "school", "SCH01"),
                  "employer": td.token(args.token_tool, db, "employer", "EMP01")}
        config = os.path.join(tmp, "fm.conf")
        with open(config, "w") as f:
            # The table queues several rounds (run and rerun cells); under the
            # sanitizers they finish slowly, and the default cap of 2 rounds at
            # once would refuse a cell for load, not for access.
            f.write("[rounds]\nmax_rounds = 64\n[log]\nlog_level = debug\n")
        d = td.Daemon(args.fairmatchd, db, tmp, config=config, name="access")
        if not check(d.port is not None, "fairmatchd starts at log_level=debug"):
            return 1
        setup(ctx, args, tmp, d.port, tokens)
        run_table(ctx, d.port, tokens)
        full_run_extras(ctx, args, tmp, d.port, tokens)
        for c in ctx.conns.values():
            c.close()
        check(d.stop() == 0, "the daemon stops cleanly")
        grep_log(d.log(), ctx.pupils)
        d = None
    finally:
        td.cleanup(d, tmp, args.keep)
    return td.report("test_access")


if __name__ == "__main__":
    sys.exit(main())
