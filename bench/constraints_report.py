#!/usr/bin/python3
"""constraints_report.py - one row of constraints_bench.sh's table, and the
notes that say how to read it.

    constraints_report.py --header
    constraints_report.py --cpu RUN/time.txt          (user+sys seconds)
    constraints_report.py N NAME RC WALL PLAIN_CPU RUN NOTES

Normal case: reads RUN/time.txt (GNU time -v), RUN/load (1-minute load
averages sampled while the run lasted), RUN/out/summary.json and RUN/log,
prints one markdown table row (exit, wall s, CPU s = user+sys, CPU ratio to
the plain run, peak MiB, load, placements vector, per level method/gap,
model size, pairs in the model) and appends the row's notes to NOTES: a
constraint the plain optimum already meets (no GLPK ran, so its time is the
plain solve's, not a MIP's), a run stopped by its time limit (the level it
stopped in and the solver's last progress line), the cost against the plain
vector, per-level seconds, and the model's figures.
Failure cases: a missing or unreadable file leaves its cells empty ("-");
a failed run (exit not 0 or 3) gets a note with the tail of its log.
"""
import json
import re
import sys

COLS = ["students", "run", "exit", "wall s", "CPU s", "CPU ratio", "peak MiB", "load",
        "placements (n1,n2,n3,U)", "levels method/gap", "model rows/cols/nz",
        "pairs in model / all"]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def gnu_time(path):
    """(user+sys seconds, peak MiB) from GNU time -v output, None when absent."""
    text = read(path)
    got = {}
    for key, pat in (("user", r"User time \(seconds\): ([\d.]+)"),
                     ("sys", r"System time \(seconds\): ([\d.]+)"),
                     ("rss", r"Maximum resident set size \(kbytes\): (\d+)")):
        m = re.search(pat, text)
        got[key] = float(m.group(1)) if m else None
    cpu = got["user"] + got["sys"] if got["user"] is not None and got["sys"] is not None else None
    rss = got["rss"] / 1024 if got["rss"] is not None else None
    return cpu, rss


def load_range(path):
    vals = [float(v) for v in read(path).split() if re.fullmatch(r"[\d.]+", v)]
    if not vals:
        return "-"
    return f"{min(vals):.1f}-{max(vals):.1f}" if max(vals) - min(vals) >= 0.1 else f"{vals[0]:.1f}"


def last_progress(log):
    """The solver's last progress line (the log of a terminal: \\r-separated)."""
    lines = [re.sub(r"\x1b\[K", "", p).strip() for p in re.split(r"[\r\n]", log)]
    prog = [p for p in lines if re.match(r"(placements|mentors)\s.*\d\.\d s$", p)]
    # the placements side's search, rather than the mentors' phases after it
    search = [p for p in prog if re.match(r"placements\s+(level|feasibility)", p)]
    return (search or prog or [None])[-1]


def levels_cell(c):
    out = []
    for lv in c["levels"]:
        gap = "-" if lv["gap"] is None else f"{100 * lv['gap']:.2f}%"
        out.append(f"{lv['method']}/{gap}")
    return " ".join(out)


def vec(o):
    return f"({o['n1']},{o['n2']},{o['n3']},{o['utility']})"


def row(argv):
    n, name, rc, wall, plain_cpu, run, notes_path = argv
    cpu, rss = gnu_time(f"{run}/time.txt")
    plain_cpu = float(plain_cpu)
    ratio = f"{cpu / plain_cpu:.2f}" if cpu is not None and plain_cpu > 0 else (
        "1.00" if name == "plain" else "-")
    try:
        d = json.loads(read(f"{run}/out/summary.json"))
    except ValueError:
        d = None
    vector = levels = model = pairs = "-"
    notes = []
    side = d.get("placements") if d else None
    if d and d.get("status") == "infeasible":
        vector = "infeasible"
        levels = d.get("constraint", "-")
        notes.append(f"{name}: infeasible ({d.get('constraint')}, {d.get('who')}): "
                     f"{d.get('message')}")
    elif side:
        vector = vec(side["objective"])
        c = side.get("constrained")
        if c is None:
            levels = "network" if name == "plain" else "network (met by plain)"
            if name != "plain":
                notes.append(f"{name}: already met by the plain optimum: method network, "
                             "no GLPK ran; its time is the plain solve's, not a MIP's.")
        else:
            levels = levels_cell(c)
            m = c["model"]
            model = f"{m['rows']}/{m['cols']}/{m['nonzeros']}"
            share = 100 * m["pairs_in_model"] / m["pairs_total"] if m["pairs_total"] else 0
            pairs = f"{m['pairs_in_model']} / {m['pairs_total']} ({share:.1f}%)"
            if all(lv["method"] == "network" for lv in c["levels"]):
                notes.append(f"{name}: already met by the plain optimum: method network, "
                             "no GLPK ran (model 0/0/0); its time is the plain solve's, "
                             "not a MIP's.")
            else:
                secs = ", ".join(f"{lv['name']} {lv['seconds']:.1f} s" for lv in c["levels"])
                notes.append(
                    f"{name}: cost vs plain {vec(c['cost_vs_plain'])}; per level {secs}; "
                    f"{m['pricing_rounds']} pricing rounds, {m['mip_solves']} MIP solves, "
                    f"{m['stable_rows']} stability rows; plain had "
                    f"{c['envy_pairs_plain']} envy pairs.")
                if c.get("stopped_by_time_limit"):
                    stop = next((lv for lv in c["levels"] if lv["bound"] is None
                                 or lv["bound"] != lv["value"]), None)
                    where = (f"in level {stop['name']} (value {stop['value']}, bound "
                             f"{stop['bound'] if stop['bound'] is not None else 'unknown'})"
                             if stop else "")
                    notes.append(f"{name}: stopped by the time limit {where}; levels after "
                                 "it are not optimised.")
                    if m["mip_solves"] == 0:
                        # the stopped level is labelled MIP whatever it was doing
                        notes.append(
                            f"{name}: no branch and bound ran (0 MIP solves): the limit "
                            "stopped the LP relaxation's column generation / lazy rows "
                            f"with {m['pricing_rounds']} LP solves completed over all "
                            "levels (one pricing round each), at model size rows/cols/nz " + model + "; the bound is "
                            "the plain run's (no constrained assignment places more).")
        t = d.get("timings", {})
        if t:
            notes.append(f"{name}: timings read {t.get('read_s', 0):.1f} s, candidates "
                         f"{t.get('candidates_s', 0):.1f} s, solve {t.get('solve_s', 0):.1f} s,"
                         f" check {t.get('check_s', 0):.1f} s, write {t.get('write_s', 0):.1f}"
                         f" s (wall, in-process).")
        if d.get("mentors", {}).get("constrained"):
            notes.append(f"{name}: the mentors side is constrained too (not in the row).")
    log = read(f"{run}/log")
    if rc not in ("0", "3"):
        tail = [ln.strip() for ln in re.split(r"[\r\n]", log) if ln.strip()][-4:]
        notes.append(f"{name}: FAILED, exit {rc} (log {run}/log): " + " | ".join(tail))
    prog = last_progress(log)
    if prog and (rc not in ("0", "3") or (side and (side.get("constrained") or {})
                                          .get("stopped_by_time_limit"))):
        notes.append(f"{name}: last progress line: {prog}")
    cells = [n, name, rc, wall, "-" if cpu is None else f"{cpu:.2f}", ratio,
             "-" if rss is None else f"{rss:.0f}", load_range(f"{run}/load"), vector, levels,
             model, pairs]
    with open(notes_path, "a") as f:
        for line in notes:
            f.write(f"- {n} {line}\n")
    return "| " + " | ".join(cells) + " |"


def main():
    if sys.argv[1:] == ["--header"]:
        print("| " + " | ".join(COLS) + " |")
        print("|" + "|".join("---:" if c in ("exit", "wall s", "CPU s", "CPU ratio",
                                              "peak MiB") else "---" for c in COLS) + "|")
    elif len(sys.argv) == 3 and sys.argv[1] == "--cpu":
        cpu, _ = gnu_time(sys.argv[2])
        print(f"{cpu:.2f}" if cpu is not None else "0")
    elif len(sys.argv) == 8:
        print(row(sys.argv[1:]))
    else:
        sys.exit("usage: constraints_report.py --header | --cpu TIME | "
                 "N NAME RC WALL PLAIN_CPU RUN NOTES")


if __name__ == "__main__":
    main()
