/*
 * report_page.h - the sections of report.html (internal to the report
 * module; the public face is report_html.h).  Each writer renders one
 * <section> from the summary JSON (and the rows where named); a key missing
 * from the summary reads as 0 or "", so an older stored summary still
 * renders.  Writers only write; the page checks the stream at the end.
 */
#ifndef FM_REPORT_PAGE_H
#define FM_REPORT_PAGE_H

#include <stdio.h>

#include <jansson.h>

#include "report_html.h"
#include "report_rows.h"

/* Pupils listed by name per unmatched group, and per side at most. */
enum { FM_REPORT_LIST_PER_GROUP = 12, FM_REPORT_LIST_PER_SIDE = 600 };

/* Schools drawn one bar each; above this, a histogram of schools by rate. */
enum { FM_REPORT_SCHOOL_BARS_MAX = 40 };

/* One side of the round, as the sections need it. */
typedef struct fm_report_side {
    const char *key;             /* "placements" / "mentors": ids, data-fm */
    const char *title;           /* "Placements" / "Mentors" */
    const char *noun;            /* "placement" / "mentor" */
    const char *placed;          /* "placed" / "matched" */
    const char *placed_title;    /* "Placed" / "Matched" */
    const json_t *json;          /* summary[key] */
    const fm_report_tiers *before; /* the previous round's, or NULL */
    const fm_region *r;          /* the rows, or NULL */
    const fm_side_result *res;
    const fm_report_side_rows *rows; /* NULL with r */
} fm_report_side;

static inline long long fm_report_jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static inline const char *fm_report_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* "Tier 1", and who that is. */
extern const char *const fm_report_tier_who[3];

/* A percentage of num in den, "0.0%" when den is 0. */
double fm_report_pct(long long num, long long den);

void fm_report_headline_write(FILE *f, const json_t *summary, const fm_report_context *ctx,
                              const fm_report_side *sides, int n_sides);
void fm_report_charts_write(FILE *f, const fm_report_side *s);
void fm_report_unmatched_write(FILE *f, const fm_report_side *s);
void fm_report_policy_write(FILE *f, const json_t *summary);
void fm_report_evidence_write(FILE *f, const fm_report_side *sides, int n_sides);

#endif
