/*
 * report_html.c - the page of report.html (report_html.h): its head (a
 * Content-Security-Policy that forbids every fetch, the screen and print
 * stylesheets), the order of its sections, and the timings at the end.
 *
 * Normal case: count the rows of both sides (report_rows.c) when they are
 * given, then write the title, a table of contents, the headline, for each
 * side its charts and its unmatched pupils, the policy in words, the
 * optimality evidence and the timings.  Nothing is fetched by the page:
 * the CSP allows only inline styles (default-src 'none'), there is no
 * script, font or image, and the only links are to anchors of the page.
 *
 * Failure: FM_ENOMEM counting the rows (nothing written); FM_EIO when the
 * stream fails (the caller discards what was written; round_files.c writes
 * to a temporary file).
 */
#include "report_html.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "report_page.h"
#include "report_svg.h"

/* Screen first, then print: the charts shrink to the page, tables keep
 * their rows whole and repeat their headers, figures are not split, and
 * the table of contents is dropped. */
static const char css[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
    "margin:1.5em auto;max-width:60em;padding:0 1em;color:#1b1b1b;line-height:1.45;}\n"
    "h1{font-size:1.7em;margin-bottom:.2em;}h2{margin-top:2em;border-bottom:2px solid #0072B2;"
    "padding-bottom:.15em;}h3{margin-top:1.6em;}h4{margin:1.2em 0 .3em;}\n"
    ".sub{color:#555;margin-top:0;}\n"
    "nav ul{columns:2;padding-left:1.2em;}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.95em;}\n"
    "caption{text-align:left;font-weight:bold;padding:.3em 0;}\n"
    "th,td{padding:.2em .6em;border-bottom:1px solid #e1e1e1;text-align:right;"
    "vertical-align:top;}\n"
    "th:first-child,td:first-child,.text,th.text{text-align:left;}\n"
    "thead th{background:#f1f4f8;white-space:nowrap;}\n"
    "table.data{font-size:.85em;}\n"
    "table.headline td.num{font-size:1.25em;font-weight:bold;}\n"
    "figure{margin:1em 0 1.5em;}figcaption{font-weight:bold;margin-bottom:.3em;}\n"
    "svg.chart{max-width:100%;height:auto;display:block;}\n"
    ".note{color:#555;font-size:.9em;}\n"
    "details.data{margin:-.8em 0 1.2em;}details.data summary{cursor:pointer;color:#0b5394;"
    "font-size:.9em;}\n"
    ".up{color:#1a7f37;}.down{color:#b00020;}\n"
    ".ok{color:#1a7f37;font-weight:bold;}.bad{color:#b00020;font-weight:bold;}\n"
    ".refs{font-family:ui-monospace,monospace;font-size:.85em;text-align:left;}\n"
    ".kpi{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0;}\n"
    ".kpi div{border:1px solid #d5dde6;border-radius:6px;padding:.6em 1em;min-width:11em;}\n"
    ".kpi strong{display:block;font-size:1.6em;}\n"
    "@media print{\n"
    "body{max-width:none;margin:0;padding:0;font-size:10.5pt;color:#000;}\n"
    "nav,details.data summary{display:none;}\n"
    "details.data::details-content{content-visibility:visible;display:block;}\n"
    "h2{break-before:page;}h2.first{break-before:auto;}\n"
    "h2,h3,h4,figcaption,caption{break-after:avoid;}\n"
    "figure,.kpi,table.small{break-inside:avoid;}\n"
    "tr,td,th{break-inside:avoid;}thead{display:table-header-group;}\n"
    "svg.chart{width:100%;max-height:24cm;}\n"
    "a{color:inherit;text-decoration:none;}\n"
    "}\n"
    "@page{margin:1.5cm;}\n";

/* Everything a fetch could use is 'none'; inline styles are the only
 * thing allowed. */
static const char csp[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; "
    "connect-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'";

static void put_head(FILE *f, const json_t *summary)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"", f);
    fputs(csp, f);
    fputs("\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n"
          "<title>fairmatch round ", f);
    fm_report_escape(f, fm_report_jstr(summary, "date"));
    fputs(": work experience and mentoring</title>\n<style>\n", f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n", f);
}

static void put_title(FILE *f, const json_t *summary, const fm_report_context *ctx)
{
    const char *date = fm_report_jstr(summary, "date");
    fputs("<header>\n<h1>Work experience and mentoring: the round of ", f);
    fm_report_escape(f, *date ? date : "(no date)");
    fputs("</h1>\n<p class=\"sub\">", f);
    if (ctx && ctx->round_id > 0) {
        fprintf(f, "Round %lld", (long long)ctx->round_id);
        if (ctx->previous.round_id > 0 && ctx->previous.rerun)
            fprintf(f, ", a re-run of round %lld that kept its confirmed matches",
                    (long long)ctx->previous.round_id);
        fputs(". ", f);
    } else {
        fputs("Solved offline with <code>fairmatch solve</code>. ", f);
    }
    fputs("Policy: ", f);
    fm_report_escape(f, fm_report_jstr(summary, "policy"));
    fputs(". Every pupil is named only by the reference the school gave; the full results "
          "are in placements.csv and mentors.csv beside this page.</p>\n</header>\n", f);
}

static const char *const toc[][2] = {
    {"headline", "Headline"},
    {"placements-charts", "Placements: charts"},
    {"placements-unmatched", "Placements: pupils without one"},
    {"mentors-charts", "Mentors: charts"},
    {"mentors-unmatched", "Mentors: pupils without one"},
    {"policy", "The policy in plain words"},
    {"evidence", "Evidence that the result is the best possible"},
    {"timings", "How long it took"},
};

static void put_toc(FILE *f)
{
    fputs("<nav aria-label=\"Contents\"><ul>\n", f);
    for (size_t i = 0; i < sizeof toc / sizeof toc[0]; i++)
        fprintf(f, "<li><a href=\"#%s\">%s</a></li>\n", toc[i][0], toc[i][1]);
    fputs("</ul></nav>\n", f);
}

static void put_timings(FILE *f, const json_t *summary)
{
    static const char *const keys[][2] = {
        {"read_s", "Reading"}, {"candidates_s", "Finding eligible pairs"},
        {"solve_s", "Solving"}, {"check_s", "Checking the proof"},
        {"write_s", "Writing the results"}, {"total_s", "Total"}};
    const json_t *t = json_object_get(summary, "timings");
    const json_t *rss = json_object_get(summary, "peak_rss_mb");

    fputs("<section id=\"timings\">\n<h2>How long it took</h2>\n", f);
    if (!json_is_object(t)) {
        fputs("<p>No timings were recorded for this round.</p>\n</section>\n", f);
        return;
    }
    fputs("<table class=\"small\">\n<thead><tr><th>Step</th><th>Seconds</th></tr></thead>"
          "\n<tbody>\n", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        fprintf(f, "<tr><td>%s</td><td>%.3f</td></tr>\n", keys[i][1],
                json_number_value(json_object_get(t, keys[i][0])));
    fputs("</tbody>\n</table>\n", f);
    if (json_is_number(rss))
        fprintf(f, "<p class=\"note\">Peak memory: %.0f MiB.</p>\n", json_number_value(rss));
    fputs("</section>\n", f);
}

int fm_report_html_write(FILE *f, const json_t *summary, const fm_region *r,
                         const fm_result *res, const fm_report_context *ctx, fm_error *err)
{
    fm_report_side_rows rows[2];
    fm_report_side sides[2] = {
        {"placements", "Placements", "placement", "placed", "Placed", NULL, NULL, NULL, NULL,
         NULL},
        {"mentors", "Mentors", "mentor", "matched", "Matched", NULL, NULL, NULL, NULL, NULL},
    };
    int rc = 0;

    assert(f && summary);
    memset(rows, 0, sizeof rows);
    for (int k = 0; k < 2; k++) {
        fm_report_side *s = &sides[k];
        s->json = json_object_get(summary, s->key);
        if (ctx && ctx->previous.round_id > 0)
            s->before = k == 0 ? &ctx->previous.placements : &ctx->previous.mentors;
        if (r && res) {
            s->r = r;
            s->res = k == 0 ? &res->placements : &res->mentors;
            rc = fm_report_rows_count(&rows[k], r, s->res, FM_REPORT_LIST_PER_GROUP, err);
            if (rc != 0)
                goto done;
            s->rows = &rows[k];
        }
    }

    errno = 0;
    put_head(f, summary);
    put_title(f, summary, ctx);
    put_toc(f);
    fm_report_headline_write(f, summary, ctx, sides, 2);
    for (int k = 0; k < 2; k++) {
        fm_report_charts_write(f, &sides[k]);
        fm_report_unmatched_write(f, &sides[k]);
    }
    fm_report_policy_write(f, summary);
    fm_report_evidence_write(f, sides, 2);
    put_timings(f, summary);
    fputs("<footer><p class=\"note\">Made by fairmatch. This page is self-contained: it "
          "loads nothing from anywhere.</p></footer>\n</body>\n</html>\n", f);
    if (fflush(f) != 0 || ferror(f))
        rc = fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
done:
    fm_report_rows_free(&rows[0]);
    fm_report_rows_free(&rows[1]);
    return rc;
}
