#!/usr/bin/python3
"""Checks report.html as headless Chromium rendered it (report_page_test.sh).

    report_page_check.py dom DOM.html OUTDIR STUDENTS.csv
        the DOM Chromium dumped, against OUTDIR/summary.json and the CSVs:
        every section, the CSP, nothing that could fetch, every chart with
        its title and the right number of bars and values, the headline and
        the evidence equal to summary.json, the unmatched groups adding up
        to the summary's reasons, every listed pupil really unmatched for
        that reason, and no birth date or coordinate of any pupil.
    report_page_check.py netlog NETLOG.json [--expect-page-request]
        requests the page made (initiator other than the browser's own):
        none, or (for the control page) at least one.
    report_page_check.py pdf FILE.pdf
        a PDF of a few pages.

Prints one line per failed check and exits 1 if any failed.
"""
import csv
import json
import re
import sys
from html.parser import HTMLParser

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.parts = [], []  # parts: text and children in document order

    def all_text(self):
        if self.tag == "br":  # a line break between the pupils of a cell
            return "\n"
        return "".join(p if isinstance(p, str) else p.all_text() for p in self.parts)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, tag=None, **attrs):
        for n in self.walk():
            if (tag is None or n.tag == tag) and all(
                    n.attrs.get(k.rstrip("_").replace("_", "-")) == v
                    for k, v in attrs.items()):
                yield n

    def has_class(self, c):
        return c in self.attrs.get("class", "").split()


VOID = {"meta", "br", "img", "link", "input", "hr", "col", "area", "base", "source", "wbr"}


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.cur.parts.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.cur.parts.append(n)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.parts.append(data)


def by_fm(root, key):
    hits = list(root.find(data_fm=key))
    check(len(hits) == 1, f"one element data-fm={key} (found {len(hits)})")
    return hits[0].all_text().strip() if hits else None


def bar_values(svg):
    """The bars of a chart: (title text, count) from each rect.bar's <title>."""
    out = []
    for r in svg.find("rect"):
        if not r.has_class("bar"):
            continue
        titles = [c for c in r.children if c.tag == "title"]
        t = titles[0].all_text() if titles else ""
        m = re.search(r": (\d+)$", t) or re.search(r"\((\d+) of \d+\)$", t)
        out.append((t, int(m.group(1)) if m else None))
    return out


def check_dom(dom_path, outdir, students_path):
    text = open(dom_path, encoding="utf-8").read()
    tree = Tree()
    tree.feed(text)
    root = tree.root
    summary = json.load(open(f"{outdir}/summary.json"))

    # The page as a whole: sections, CSP, nothing that can fetch.
    for sid in ("headline", "placements-charts", "placements-unmatched", "mentors-charts",
                "mentors-unmatched", "policy", "evidence", "timings"):
        check(len(list(root.find("section", id=sid))) == 1, f"section #{sid}")
    csp = [m for m in root.find("meta") if m.attrs.get("http-equiv", "").lower()
           == "content-security-policy"]
    check(len(csp) == 1, "one Content-Security-Policy meta")
    if csp:
        policy = csp[0].attrs.get("content", "")
        check("default-src 'none'" in policy, f"CSP forbids every fetch: {policy}")
        check(csp[0].parent.tag == "head", "CSP meta in <head>")
    for tag in ("script", "link", "img", "iframe", "object", "embed", "base", "form"):
        check(not list(root.find(tag)), f"no <{tag}>")
    for n in root.walk():
        for a in ("src", "srcset", "action", "formaction", "poster", "data"):
            check(a not in n.attrs, f"no {a}= attribute (<{n.tag}>)")
        href = n.attrs.get("href") or n.attrs.get("xlink:href")
        if href is not None:
            check(href.startswith("#"), f"links only inside the page: {href}")
    for st in root.find("style"):
        css = st.all_text()
        check("url(" not in css and "@import" not in css, "no url() or @import in CSS")
    check(not re.search(r"(?i)https?://", text), "no http(s) address anywhere")

    # Offline round: no previous round, and the page says why.
    prev = list(root.find("p", id="previous"))
    check(prev and "offline" in prev[0].all_text(), "headline says there is no previous round")

    sides = ("placements", "mentors")
    for side in sides:
        s = summary[side]
        obj = s["objective"]
        # Headline numbers are summary.json's objective.
        for k in ("n1", "n2", "n3", "utility"):
            check(by_fm(root, f"{side}-{k}") == str(obj[k]),
                  f"headline {side} {k} = summary objective {obj[k]}")
        check(by_fm(root, f"{side}-placed") == str(obj["n1"] + obj["n2"] + obj["n3"]),
              f"headline {side} total placed")
        check(s["matched"] == obj["n1"] + obj["n2"] + obj["n3"], f"{side} matched = n1+n2+n3")

        # Charts: accessible, the right number of bars, the right values.
        want = {
            "tier": 3,
            "school": len(s["by_school"]) if len(s["by_school"]) <= 40 else 10,
            "gender-sector": sum(len(v) for v in s["by_gender_sector"].values()),
            "rank": 5,
            "distance": 9,
        }
        for chart, n in want.items():
            cid = f"{side}-{chart}"
            svgs = list(root.find("svg", id=cid))
            check(len(svgs) == 1, f"one chart #{cid}")
            if not svgs:
                continue
            svg = svgs[0]
            check(svg.attrs.get("role") == "img", f"#{cid} role=img")
            for ref in svg.attrs.get("aria-labelledby", "").split():
                el = list(root.find(id=ref))
                check(el and el[0].all_text().strip(), f"#{cid} aria-labelledby {ref} has text")
            check(len(svg.attrs.get("aria-labelledby", "").split()) == 2,
                  f"#{cid} has a title and a desc")
            bars = bar_values(svg)
            check(len(bars) == n, f"#{cid}: {len(bars)} bars, want {n}")
            check(all(v is not None for _, v in bars), f"#{cid}: every bar says its value")
            fig = svg.parent
            check(fig.tag == "figure" and any(c.tag == "figcaption" for c in fig.children),
                  f"#{cid} in a figure with a caption")
            if chart == "tier":
                for t in ("1", "2", "3"):
                    g = s["by_tier"][t]
                    check(any(f"({g['placed']} of {g['asked']})" in b for b, _ in bars),
                          f"#{cid}: tier {t} bar {g['placed']} of {g['asked']}")
            if chart == "rank":
                check([v for _, v in bars] == [s["rank_histogram"][k] for k in "12345"],
                      f"#{cid}: ranks {bars}")
            if chart == "distance":
                check(sum(v or 0 for _, v in bars) == s["matched"],
                      f"#{cid}: bars add up to the {s['matched']} matched")
            if chart == "school" and len(s["by_school"]) <= 40:
                for ref, g in s["by_school"].items():
                    label = g.get("name") or ref
                    check(any(b.startswith(label + ":") and f"({g['placed']} of {g['asked']})"
                              in b for b, _ in bars), f"#{cid}: bar of {ref}")
        # Every chart has its numbers as a table.
        tables = [t for t in root.find("table")
                  if t.attrs.get("aria-label", "").startswith("Data of the chart")]
        section = list(root.find("section", id=f"{side}-charts"))[0]
        in_section = [t for t in tables if t in list(section.walk())]
        check(len(in_section) == 4, f"{side}: four chart data tables (+ the schools table)")
        check(list(root.find("table", id=f"{side}-schools")), f"{side}: the schools table")

        # Evidence equals the summary's proof.
        for lvl in s["proof"]["levels"]:
            n = lvl["level"]
            check(by_fm(root, f"{side}-level{n}-value") == str(lvl["value"]),
                  f"{side} level {n} value")
            check(by_fm(root, f"{side}-level{n}-bound") == str(lvl["bound"]),
                  f"{side} level {n} bound")
        check("Proven best possible" in (by_fm(root, f"{side}-optimal") or ""),
              f"{side} proven optimal")

        # Unmatched: counts add up to the summary, listed pupils are right.
        reasons = s["reasons"]
        check(by_fm(root, f"{side}-outcompeted") == str(reasons["outcompeted"]),
              f"{side} outcompeted count")
        check(by_fm(root, f"{side}-no-eligible") == str(reasons["no_eligible"]),
              f"{side} no eligible count")
        rows = {r["student_ref"]: r for r in csv.DictReader(open(f"{outdir}/{side}.csv"))}
        # Nearest misses, when the round kept them: as explanations.csv says.
        misses = None
        if s.get("explanations"):
            misses = {r["student_ref"]: r["target_ref"] for r in
                      csv.DictReader(open(f"{outdir}/explanations.csv")) if r["side"] == side}
        if isinstance(s.get("envy"), dict):
            check(by_fm(root, f"{side}-envy") == str(s["envy"]["pairs"]), f"{side} envy pairs")
        sec = list(root.find("section", id=f"{side}-unmatched"))[0]
        total = 0
        for t in sec.find("table"):
            if not t.has_class("unmatched"):
                continue
            reason = t.attrs["data-reason"]
            want_reason = "outcompeted" if reason == "outcompeted" else f"no_eligible:{reason}"
            for tr in t.find("tr"):
                tds = [c for c in tr.children if c.tag == "td"]
                if not tds:
                    continue
                school = tds[0].all_text().strip()
                tiers = [int(tds[i].all_text()) for i in (2, 3, 4)]
                n = int(tds[5].all_text())
                check(sum(tiers) == n, f"{side} {reason} {school}: tiers add up")
                total += n
                listed = re.findall(r"([A-Za-z0-9_.-]+) \(T([123])\)", tds[6].all_text())
                check(len(listed) <= 12, f"{side} {reason} {school}: at most 12 listed")
                check(len(listed) == n or "more in" in tds[6].all_text()
                      or "pupils in" in tds[6].all_text(), f"{side} {school}: rest pointed to")
                if misses is not None:
                    named = re.findall(r"([A-Za-z0-9_.-]+) \(T[123]\): (?:best choice|nearest "
                                       r"ruled out) ([A-Za-z0-9_.-]+) \(", tds[6].all_text())
                    check(len(named) == len(listed), f"{side} {school}: a miss for each pupil")
                    for ref, target in named:
                        check(misses.get(ref) == target,
                              f"{side}: {ref}'s nearest miss {target} is explanations.csv's")
                for ref, tier in listed:
                    r = rows.get(ref)
                    check(r is not None and r["reason"] == want_reason and r["tier"] == tier
                          and r["school_ref"] == school,
                          f"{side}: listed {ref} is unmatched for {want_reason} at {school}")
        check(total == reasons["outcompeted"] + reasons["no_eligible"],
              f"{side}: unmatched groups add up to {total}")

    # No personal field of any pupil (birth dates, coordinates) on the page.
    for st in csv.DictReader(open(students_path)):
        for field in ("birth_date", "lat", "lon"):
            v = st.get(field, "")
            if v and len(v) >= 6:
                check(v not in text, f"pupil {st['student_ref']}'s {field} is not on the page")


def check_netlog(path, expect_request):
    log = json.load(open(path))
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page = []
    for e in log["events"]:
        p = e.get("params", {})
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
            # The browser's own background requests have no origin; anything
            # the page asks for carries the page's (opaque, "null") origin.
            if p.get("initiator") != "not an origin":
                page.append(p["url"])
    if expect_request:
        check(page, "the control page's request shows in the net log")
    else:
        check(not page, f"the page made no request: {page}")


def check_pdf(path):
    data = open(path, "rb").read()
    check(data.startswith(b"%PDF-"), "a PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    check(pages >= 3, f"a PDF of several pages ({pages})")


def main(argv):
    if argv[1] == "dom":
        check_dom(argv[2], argv[3], argv[4])
    elif argv[1] == "netlog":
        check_netlog(argv[2], "--expect-page-request" in argv[3:])
    elif argv[1] == "pdf":
        check_pdf(argv[2])
    else:
        sys.exit(f"unknown check {argv[1]}")
    for f in failures:
        print(f"FAIL: {argv[1]}: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
