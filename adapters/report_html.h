/*
 * report_html.h - OUT/report.html: the report of a round for people
 * (a coordinator forwards it to headteachers and funders).
 *
 * fm_report_html_write() renders one self-contained page: inline CSS and
 * SVG, no script, no font, no image, and a Content-Security-Policy that
 * forbids every fetch, so it opens offline and never calls out.  It holds
 * the headline (pupils placed by tier, against a previous round when one is
 * given), charts with their data tables, the unmatched pupils grouped by
 * reason and school, the policy in plain words, and the optimality
 * evidence.  Numbers come from the summary (fm_summary_json_new), so page
 * and summary.json agree; the distance histogram and the unmatched list
 * come from the rows (region + result), which hold no more than
 * placements.csv / mentors.csv do (refs, schools, tiers, reasons).
 *
 * The report module's files: report_html.c (the page: head, CSP, styles,
 * section order), report_headline.c, report_charts.c (a side's charts),
 * report_unmatched.c, report_policy.c (the policy and the round's options in
 * words), report_evidence.c (optimality), report_rows.c (counts from the
 * rows), report_svg.c (SVG drawing, escaping), report_previous.c (a previous
 * round's numbers); report_page.h is their shared internal header.
 */
#ifndef FM_REPORT_HTML_H
#define FM_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "region.h"
#include "solver.h"

/* Pupils who asked and who were placed, per tier (index 0 = tier 1). */
typedef struct fm_report_tiers {
    int64_t asked[3], placed[3];
} fm_report_tiers;

/* The round this one is compared with. */
typedef struct fm_report_previous {
    int64_t round_id;            /* 0: none known */
    int rerun;                   /* 1: this round is a re-run of round_id;
                                  * 0: round_id is the last finished round
                                  * before it */
    char date[16];               /* YYYY-MM-DD or "" */
    fm_report_tiers placements, mentors;
} fm_report_previous;

/* What the page knows beyond the summary and the rows. */
typedef struct fm_report_context {
    int64_t round_id;            /* the daemon's round id; 0: solved offline */
    fm_report_previous previous; /* previous.round_id 0: none */
} fm_report_context;

/* Fills *p from a previous round's summary (as summary.json holds it):
 * its by_tier tables.  Missing keys read as 0.  Returns 0, or FM_EINVAL
 * when summary is not an object (p is then cleared). */
int fm_report_previous_from_summary(fm_report_previous *p, int64_t round_id, int rerun,
                                    const char *date, const json_t *summary);

/* Writes the page.  summary is required; r and res (the rows) may be NULL,
 * and the sections that need them then say the rows were not available;
 * ctx may be NULL (offline, no previous round).  Every string from the
 * inputs is HTML-escaped.  FM_ENOMEM, FM_EIO (the stream failed; the
 * caller discards what was written). */
int fm_report_html_write(FILE *f, const json_t *summary, const fm_region *r,
                         const fm_result *res, const fm_report_context *ctx, fm_error *err);

#endif
