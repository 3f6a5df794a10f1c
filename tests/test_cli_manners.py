#!/usr/bin/python3
"""test_cli_manners.py - the fairmatch client's manners, against the real daemon.

- --help: every command and subcommand prints its usage on stdout and exits
  0, without touching the network (FAIRMATCH_SERVER points nowhere).
- --json: every command that prints something prints one JSON object that
  parses, and its numbers are those of the text output of the same command
  (status counts, import rows, round run / show vectors and counts, round
  list, export rows, assignments row by row, confirm state, token
  create / list / revoke, solve vectors, health, --version); --json works
  before and after the command.
- exit codes, as documented (README.md table, fairmatch.1): 0 done, 1 failed
  (no daemon, bad token, unknown round, permission), 2 bad usage or input
  (unknown command or option, missing argument, bad value, bad CSV), the
  same with --json; every error on stderr starts with `fairmatch: error:`
  and says what to do next (a usage error points at --help).
- progress only on a terminal: `round run` with stderr on a pseudo-terminal
  redraws one line there and prints only the final line on stdout; with
  stderr not a terminal each phase is a plain line and stderr stays empty.

Exit 0 when every check holds; a failed check prints FAIL and exits 1.
    test_cli_manners.py --fairmatch F --fairmatchd D --data DIR
"""
import argparse
import csv
import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon import Daemon  # noqa: E402

DATE = "2027-06-14"
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)
    return cond


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairmatch", required=True)
    ap.add_argument("--fairmatchd", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    fm, data = args.fairmatch, os.path.join(args.data, "sample")
    tmp = tempfile.mkdtemp(prefix="fm_cli_manners_")
    daemon = None
    env = dict(os.environ)
    env.pop("FAIRMATCH_TOKEN", None)

    def run(*argv, e=None, **kw):
        return subprocess.run([fm] + list(argv), env=e or env, capture_output=True, text=True,
                              timeout=120, **kw)

    def js(p, what):
        try:
            return json.loads(p.stdout)
        except ValueError:
            check(False, "%s: --json output parses (%r)" % (what, p.stdout[:200]))
            return {}

    try:
        # ---- --help everywhere, no network
        nowhere = dict(env, FAIRMATCH_SERVER="127.0.0.1:1")
        helps = [[], ["help"], ["solve"], ["token"], ["token", "create"], ["status"],
                 ["health"], ["import"], ["withdraw"], ["round"], ["round", "run"],
                 ["round", "rerun"], ["round", "show"], ["round", "list"], ["round", "cancel"],
                 ["round", "export"], ["round", "assignments"], ["round", "confirm"],
                 ["round", "decline"]]
        for cmd in helps:
            p = run(*(cmd + ["--help"] if cmd != ["help"] else cmd), e=nowhere)
            check(p.returncode == 0 and p.stdout.startswith("usage: fairmatch") and
                  not p.stderr, "'fairmatch %s --help' prints its usage, exit 0 (rc %d)" %
                  (" ".join(cmd), p.returncode))

        # ---- a daemon, a token, the sample region
        db = os.path.join(tmp, "fm.db")
        p = run("token", "create", "--db", db, "--role", "coordinator", "--json")
        tok = js(p, "token create")
        check(p.returncode == 0 and tok.get("role") == "coordinator" and
              tok.get("token", "").startswith("fm_") and tok.get("id") == 1,
              "token create --json: id, role and token")
        coord = tok.get("token", "")
        run("token", "create", "--db", db, "--role", "school", "--scope", "SCH0001")
        p_text, p_json = run("token", "list", "--db", db), run("--json", "token", "list",
                                                                "--db", db)
        text_ids = [int(l.split()[0]) for l in p_text.stdout.splitlines()[1:]]
        check([t["id"] for t in js(p_json, "token list").get("tokens", [])] == text_ids == [1, 2],
              "token list --json has the ids of the text")
        daemon = Daemon(args.fairmatchd, db, tmp)
        port = daemon.port
        if not check(port is not None, "fairmatchd starts (%s)" % daemon.log()[-300:]):
            return 1
        env.update(FAIRMATCH_SERVER="127.0.0.1:%d" % port, FAIRMATCH_TOKEN=coord)
        for kind in ("schools", "students", "placements", "mentors"):
            path = os.path.join(data, kind + ".csv")
            if kind == "schools":
                t, j = run("import", kind, path), run("import", kind, path, "--json")
                n = int(re.search(r"^imported (\d+) schools", t.stdout).group(1))
                check(js(j, "import").get("rows") == n == 3,
                      "import --json has the rows of the text (%d)" % n)
            else:
                check(run("import", kind, path).returncode == 0, "import " + kind)

        # status
        t, j = run("status"), run("status", "--json")
        m = re.search(r"rows +(\d+) schools, (\d+) students, (\d+) placements, (\d+) mentors",
                      t.stdout)
        c = js(j, "status").get("counts", {})
        check(m and [c.get(k) for k in ("schools", "students", "placements", "mentors")] ==
              [int(x) for x in m.groups()], "status --json counts = the text's (%s)" % c)
        check(js(j, "status").get("role") == "coordinator", "status --json role")

        # round run, text then json: the same region gives the same vectors
        t = run("round", "run", "--date", DATE)
        check(t.returncode == 0 and not t.stderr, "round run (stderr not a terminal) exits 0 "
              "and draws no progress on stderr")
        phases = [l for l in t.stdout.splitlines() if l.startswith("round 1: ")]
        check(phases and all(re.fullmatch(r"round 1: ((queued|loading|solving|saving)"
                                          r"( \(date .*\))?|done after [0-9.]+ s)", l) for l in phases)
              and phases[-1].startswith("round 1: done after") and "\r" not in t.stdout,
              "... and prints each phase it sees as a plain line (%s)" % phases)
        j = run("--json", "round", "run", "--date", DATE)
        jr = js(j, "round run")
        vec = {}
        for side in ("placements", "mentors"):
            m = re.search(r"^%s +n1=(\d+) n2=(\d+) n3=(\d+) utility=(\d+) \((\d+) asked, "
                          r"(\d+) matched, (\d+) candidate" % side, t.stdout, re.M)
            v = jr.get(side, {})
            vec[side] = [int(x) for x in m.groups()] if m else None
            check(m and [v.get(k) for k in ("n1", "n2", "n3", "utility", "asked", "matched",
                                             "candidates")] == vec[side],
                  "round run --json %s = the text's %s" % (side, vec[side]))
        check(jr.get("round") == 2 and jr.get("phase") == "done" and len(j.stdout.splitlines())
              == 1, "round run --json: one line, round 2, done")

        # round show
        t, j = run("round", "show", "1"), run("round", "show", "1", "--json")
        s = js(j, "round show")
        for side in ("placements", "mentors"):
            v = s.get(side, {})
            check([v.get(k) for k in ("n1", "n2", "n3", "utility", "asked", "matched",
                                      "candidates")] == vec[side],
                  "round show --json %s = round run's text" % side)
        m = re.search(r"^region +(\d+) students, (\d+) placements, (\d+) mentors", t.stdout, re.M)
        r = s.get("region", {})
        check(m and [r.get("students"), r.get("placements"), r.get("mentors")] ==
              [int(x) for x in m.groups()], "round show --json region = the text's")
        check(s.get("date") == DATE and s.get("timings", {}).get("total_s", -1) >= 0,
              "round show --json date and timings")

        # round list
        t, j = run("round", "list"), run("round", "list", "--json")
        text_rounds = [(int(l.split()[0]), l.split()[1]) for l in t.stdout.splitlines()[1:]]
        check([(x["round"], x["phase"]) for x in js(j, "round list").get("rounds", [])] ==
              text_rounds == [(2, "done"), (1, "done")], "round list --json = the text's")

        # round assignments
        t, j = run("round", "assignments", "1", "--unmatched"), \
            run("round", "assignments", "1", "--unmatched", "--json")
        rows = list(csv.DictReader(io.StringIO(t.stdout)))
        check(rows and js(j, "assignments").get("assignments") == rows,
              "round assignments --json = its CSV, row by row (%d)" % len(rows))

        # round export
        t = run("round", "export", "1", "--out", os.path.join(tmp, "a"))
        j = run("round", "export", "1", "--out", os.path.join(tmp, "b"), "--json")
        n = int(re.search(r"(\d+) rows\)", t.stdout).group(1))
        e = js(j, "export")
        check(e.get("rows") == n and e.get("view") == "coordinator" and
              sorted(e.get("files", [])) == sorted(os.listdir(os.path.join(tmp, "b"))),
              "round export --json: rows and files = the text's and the directory's")

        # confirm
        first = next(r for r in rows if r["side"] == "placements" and r["target_ref"])
        j = run("round", "confirm", "1", "placements", first["student_ref"], "--json")
        check(js(j, "confirm") == {"round": 1, "side": "placements",
                                   "student_ref": first["student_ref"], "state": "confirmed"},
              "round confirm --json")
        t = run("round", "confirm", "1", "placements", first["student_ref"])
        check(t.stdout.strip().endswith(": confirmed"), "round confirm text says confirmed")

        # health, version, solve
        t, j = run("health"), run("health", "--json")
        h = js(j, "health")
        check(t.returncode == 0 and h.get("healthy") is True and
              ("fairmatchd %s " % h.get("version")) in t.stdout, "health --json = the text")
        check(js(run("--version", "--json"), "version").get("version") in
              run("--version").stdout, "--version --json")
        sargs = ["solve", "--students", os.path.join(data, "students.csv"), "--placements",
                 os.path.join(data, "placements.csv"), "--mentors",
                 os.path.join(data, "mentors.csv"), "--date", DATE]
        t = run(*sargs, "--out", os.path.join(tmp, "s1"))
        j = run(*sargs, "--out", os.path.join(tmp, "s2"), "--json")
        sj = js(j, "solve")
        m = re.search(r"^placements +n1=(\d+) n2=(\d+) n3=(\d+) utility=(\d+)", t.stdout, re.M)
        v = sj.get("placements", {})
        check(m and [v.get(k) for k in ("n1", "n2", "n3", "utility")] ==
              [int(x) for x in m.groups()], "solve --json = the text's vector")

        # withdraw and token revoke (last: they change things)
        j = run("withdraw", "mentors", "M00001", "--json")
        check(js(j, "withdraw") == {"kind": "mentors", "withdrawn": 1, "not_found": []},
              "withdraw --json")
        j = run("token", "revoke", "--db", db, "2", "--json")
        check(js(j, "revoke") == {"id": 2, "revoked": True}, "token revoke --json")

        # ---- exit codes and messages
        codes = [
            (["nonsense"], 2, "Run 'fairmatch --help'"),
            (["round", "show"], 2, "--help"),
            (["round", "run", "--bogus"], 2, "--help"),
            (["round", "run", "--date", "2027-02-30"], 2, "--help"),
            (["import", "pupils", "x.csv"], 2, "--help"),
            (["health", "--wait", "soon"], 2, "--help"),
            (["round", "show", "999"], 1, "no round 999"),
            (["round", "export", "999", "--out", "x"], 1, "'fairmatch round list' shows"),
        ]
        for argv, want, hint in codes:
            for extra in ([], ["--json"]):
                p = run(*(argv + extra))
                check(p.returncode == want and p.stderr.startswith("fairmatch: error: ") and
                      hint in p.stderr, "'fairmatch %s' exits %d with a hint (rc %d: %s)" %
                      (" ".join(argv + extra), want, p.returncode, p.stderr.strip()[:160]))
        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("school_ref,name,lat,lon\nSCH9,Nine,north,1\n")
        p = run("import", "schools", bad)
        check(p.returncode == 2 and "bad.csv:2:3: lat" in p.stderr,
              "a bad CSV exits 2 naming file, line, column and field (%s)" % p.stderr.strip())
        p = run("status", e=dict(env, FAIRMATCH_TOKEN="fm_nope"))
        check(p.returncode == 1 and "'fairmatch token create'" in p.stderr,
              "a bad token exits 1 and says where tokens come from (%d)" % p.returncode)
        p = run("round", "run", e=dict(env, FAIRMATCH_TOKEN=""))
        check(p.returncode == 2 and "fairmatch token create" in p.stderr,
              "no token exits 2 and says where a token comes from")

        # ---- progress only on a terminal
        master, slave = pty.openpty()
        p = subprocess.Popen([fm, "round", "run", "--date", DATE], env=env,
                             stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        term = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            term += chunk
        out = p.stdout.read()
        p.wait(timeout=60)
        os.close(master)
        check(p.returncode == 0, "round run with stderr on a terminal exits 0")
        check(b"\r\x1b[K" in term and b"round 3: " in term,
              "... redraws its progress line on the terminal (%r)" % term[:80])
        # The first line is the phase the round was in when it was accepted
        # (queued, or already loading on a fast machine), then only the end.
        check(re.fullmatch(r"round 3: (queued|loading) \(date %s\)\nround 3: done after [0-9.]+ s\n"
                           r"placements .*\nmentors .*\n" % DATE, out) is not None,
              "... and prints no intermediate phases on stdout (%r)" % out[:200])
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    # A daemon that is gone: exit 1, and the message says what to do.
    p = subprocess.run([fm, "status"], env=dict(env), capture_output=True, text=True)
    check(p.returncode == 1 and "is fairmatchd running?" in p.stderr,
          "no daemon: exit 1 asking whether fairmatchd runs (%s)" % p.stderr.strip())
    if FAILS:
        print("test_cli_manners: %d check(s) failed" % len(FAILS), file=sys.stderr)
        return 1
    print("test_cli_manners: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
