/*
 * report_html.c - the report of a round for a person: OUT/report.html.
 *
 * Normal case: fm_report_html_write() renders a summary built by
 * fm_summary_json_new() (summary_json.c) as one self-contained HTML page:
 * inline CSS, no script, no image, no link to anything outside, so it reads
 * offline in any browser.  It shows the region's size, then for placements
 * and for mentors the headline vector (n1, n2, n3, U), the tables per tier,
 * per school and per gender x sector with rates drawn as bars, the rank
 * histogram and utility, why students are unmatched, and the proof levels;
 * last the timings.  Rendering from the summary means the page and
 * summary.json never disagree.  Every string taken from the summary (refs,
 * school names, sector codes, even our own labels) goes through html_put(),
 * which escapes & < > " '.  The summary holds only aggregates, so no
 * personal field can reach the page.  A key missing from the summary renders
 * as 0 or blank, so an older stored summary still renders.
 *
 * Failure: FM_EIO when the stream fails (the caller discards what was
 * written; round_files.c writes to a temporary file).
 */
#include "round_output.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

static const char css[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "margin:2em auto;max-width:64em;padding:0 1em;color:#222;}\n"
    "h1{font-size:1.6em;}h2{margin-top:2em;border-bottom:1px solid #ccc;}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.5em;}\n"
    "th,td{padding:.25em .75em;border-bottom:1px solid #e4e4e4;"
    "text-align:right;}\n"
    "th:first-child,td:first-child,td.text{text-align:left;}\n"
    "th{background:#f4f4f4;}\n"
    ".bar{display:inline-block;height:.8em;background:#4a7fb0;"
    "vertical-align:middle;margin-left:.5em;}\n"
    ".headline td{font-size:1.3em;font-weight:bold;}\n"
    ".ok{color:#1a7f37;}.bad{color:#b00020;}\n";

/* Writes s with & < > " ' escaped. */
static void html_put(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

static long long jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static double jnum(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void put_rate(FILE *f, double rate)
{
    if (rate < 0)
        rate = 0;
    if (rate > 1)
        rate = 1;
    fprintf(f, "<td>%.1f%%<span class=\"bar\" style=\"width:%.1fem\">"
               "</span></td>", rate * 100.0, rate * 6.0);
}

/* The cells asked, eligible, placed, rate of one group. */
static void put_group_cells(FILE *f, const json_t *g)
{
    fprintf(f, "<td>%lld</td><td>%lld</td><td>%lld</td>",
            jint(g, "asked"), jint(g, "eligible"), jint(g, "placed"));
    put_rate(f, jnum(g, "rate"));
}

static void put_group_header(FILE *f, const char *first, const char *second,
                             const char *placed)
{
    fputs("<table>\n<tr><th>", f);
    html_put(f, first);
    fputs("</th>", f);
    if (second) {
        fputs("<th>", f);
        html_put(f, second);
        fputs("</th>", f);
    }
    fputs("<th>Asked</th><th>Eligible</th><th>", f);
    html_put(f, placed);
    fputs("</th><th>Rate</th></tr>\n", f);
}

static void put_side(FILE *f, const json_t *side, const char *title,
                     const char *placed)
{
    const json_t *obj = json_object_get(side, "objective");
    const json_t *tiers = json_object_get(side, "by_tier");
    const json_t *schools = json_object_get(side, "by_school");
    const json_t *gs = json_object_get(side, "by_gender_sector");
    const json_t *util = json_object_get(side, "utility");
    const json_t *hist = json_object_get(side, "rank_histogram");
    const json_t *reasons = json_object_get(side, "reasons");
    const json_t *by_rule = json_object_get(reasons, "no_eligible_by_rule");
    const json_t *proof = json_object_get(side, "proof");
    const json_t *levels = json_object_get(proof, "levels");
    const char *key, *key2;
    json_t *v, *v2;
    size_t i;

    fputs("<h2>", f);
    html_put(f, title);
    fputs("</h2>\n", f);

    fputs("<table class=\"headline\">\n<tr><th>Tier 1 placed (n1)</th>"
          "<th>Tier 2 placed (n2)</th><th>Tier 3 placed (n3)</th>"
          "<th>Total utility (U)</th></tr>\n", f);
    fprintf(f, "<tr><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
               "</tr>\n</table>\n",
            jint(obj, "n1"), jint(obj, "n2"), jint(obj, "n3"),
            jint(obj, "utility"));
    fprintf(f, "<p>%lld students asked, %lld had at least one eligible "
               "choice, %lld were matched; %lld eligible pairs.</p>\n",
            jint(side, "asked"), jint(side, "eligible"),
            jint(side, "matched"), jint(side, "candidates"));

    fputs("<h3>By tier</h3>\n", f);
    put_group_header(f, "Tier", NULL, placed);
    json_object_foreach((json_t *)tiers, key, v) {
        fputs("<tr><td>", f);
        html_put(f, key);
        fputs("</td>", f);
        put_group_cells(f, v);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h3>By school</h3>\n", f);
    put_group_header(f, "School", "Name", placed);
    json_object_foreach((json_t *)schools, key, v) {
        fputs("<tr><td>", f);
        html_put(f, key);
        fputs("</td><td class=\"text\">", f);
        html_put(f, jstr(v, "name"));
        fputs("</td>", f);
        put_group_cells(f, v);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h3>By gender and sector</h3>\n", f);
    put_group_header(f, "Gender", "Sector", placed);
    json_object_foreach((json_t *)gs, key, v) {
        json_object_foreach(v, key2, v2) {
            fputs("<tr><td>", f);
            html_put(f, key);
            fputs("</td><td class=\"text\">", f);
            html_put(f, key2);
            fputs("</td>", f);
            put_group_cells(f, v2);
            fputs("</tr>\n", f);
        }
    }
    fputs("</table>\n", f);

    fputs("<h3>Rank of the match and utility</h3>\n<table>\n"
          "<tr><th>Rank</th><th>Students</th></tr>\n", f);
    json_object_foreach((json_t *)hist, key, v) {
        fputs("<tr><td>", f);
        html_put(f, key);
        fprintf(f, "</td><td>%lld</td></tr>\n",
                (long long)json_integer_value(v));
    }
    fprintf(f, "</table>\n<p>Total utility %lld, mean %.1f per matched "
               "student.</p>\n", jint(util, "total"), jnum(util, "mean"));

    fputs("<h3>Why students are unmatched</h3>\n<table>\n"
          "<tr><th>Reason</th><th>Students</th></tr>\n", f);
    fprintf(f, "<tr><td>outcompeted (every eligible choice full or "
               "reserved)</td><td>%lld</td></tr>\n",
            jint(reasons, "outcompeted"));
    fprintf(f, "<tr><td>no eligible choice</td><td>%lld</td></tr>\n",
            jint(reasons, "no_eligible"));
    json_object_foreach((json_t *)by_rule, key, v) {
        fputs("<tr><td>&nbsp;&nbsp;ruled out mostly by ", f);
        html_put(f, key);
        fprintf(f, "</td><td>%lld</td></tr>\n",
                (long long)json_integer_value(v));
    }
    fputs("</table>\n", f);

    fputs("<h3>Proof of optimality</h3>\n<p>Method: ", f);
    html_put(f, jstr(proof, "method"));
    fputs(".</p>\n<table>\n<tr><th>Level</th><th>What</th><th>Achieved</th>"
          "<th>Proven bound</th></tr>\n", f);
    json_array_foreach(levels, i, v) {
        fprintf(f, "<tr><td>%lld</td><td class=\"text\">", jint(v, "level"));
        html_put(f, jstr(v, "name"));
        fprintf(f, "</td><td>%lld</td><td>%lld</td></tr>\n",
                jint(v, "value"), jint(v, "bound"));
    }
    fputs("</table>\n<p>", f);
    if (json_is_true(json_object_get(proof, "optimal")))
        fputs("<span class=\"ok\">Optimal: every level reaches its bound."
              "</span>", f);
    else
        fputs("<span class=\"bad\">Not proven optimal: some level is below "
              "its bound.</span>", f);
    if (json_is_true(json_object_get(proof, "certificate_checked")))
        fputs(" The certificate was checked independently.", f);
    else
        fputs(" <span class=\"bad\">The certificate was not checked."
              "</span>", f);
    fputs("</p>\n", f);
}

int fm_report_html_write(FILE *f, const json_t *summary, fm_error *err)
{
    const json_t *counts = json_object_get(summary, "counts");
    const json_t *t = json_object_get(summary, "timings");
    const char *date = jstr(summary, "date");

    assert(f && summary);
    errno = 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n"
          "<title>fairmatch round ", f);
    html_put(f, date);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
    fputs("<h1>fairmatch round ", f);
    html_put(f, date);
    fputs("</h1>\n<p>Policy: ", f);
    html_put(f, jstr(summary, "policy"));
    fputs("</p>\n", f);

    fputs("<h2>Region</h2>\n<table>\n<tr><th>Students</th><th>Schools</th>"
          "<th>Placements</th><th>Seats</th><th>Mentors</th></tr>\n", f);
    fprintf(f, "<tr><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
               "<td>%lld</td></tr>\n</table>\n",
            jint(counts, "students"), jint(counts, "schools"),
            jint(counts, "placements"), jint(counts, "seats"),
            jint(counts, "mentors"));

    put_side(f, json_object_get(summary, "placements"), "Placements",
             "Placed");
    put_side(f, json_object_get(summary, "mentors"), "Mentors", "Matched");

    fputs("<h2>Timings</h2>\n", f);
    if (json_is_object(t)) {
        fputs("<table>\n<tr><th>Read</th><th>Candidates</th><th>Solve</th>"
              "<th>Check</th><th>Write</th><th>Total</th>"
              "<th>Peak memory</th></tr>\n", f);
        fprintf(f, "<tr><td>%.3f s</td><td>%.3f s</td><td>%.3f s</td>"
                   "<td>%.3f s</td><td>%.3f s</td><td>%.3f s</td>"
                   "<td>%.1f MiB</td></tr>\n</table>\n",
                jnum(t, "read_s"), jnum(t, "candidates_s"),
                jnum(t, "solve_s"), jnum(t, "check_s"), jnum(t, "write_s"),
                jnum(t, "total_s"), jnum(summary, "peak_rss_mb"));
    } else {
        fputs("<p>Not recorded.</p>\n", f);
    }
    fputs("</body>\n</html>\n", f);

    if (fflush(f) != 0 || ferror(f))
        return fm_error_set(err, FM_EIO, "cannot write: %s",
                            strerror(errno ? errno : EIO));
    return 0;
}
