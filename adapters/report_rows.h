/*
 * report_rows.h - what report.html counts from the pupils' result rows
 * (the rows of placements.csv / mentors.csv, as fm_region + fm_result),
 * beyond the summary: the travel distance of the matched, and the
 * unmatched grouped by reason and school, with the first few pupils of each
 * group (tier 1 first, then tier 2, then tier 3, each by ref).
 *
 * Only refs, tiers, schools, reasons and distances are read: what
 * placements.csv already holds.  Internal to the report (report_*.c).
 */
#ifndef FM_REPORT_ROWS_H
#define FM_REPORT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "region.h"
#include "solver.h"

/* Travel distance bands of matched pupils: [0,2) [2,5) [5,10) [10,15)
 * [15,20) [20,30) [30,40) [40,inf) km, then virtual / online. */
enum { FM_REPORT_DIST_BANDS = 9 };
extern const char *const fm_report_dist_labels[FM_REPORT_DIST_BANDS];

/* Reason keys: 0 outcompeted, then FM_RULE_* for "no eligible, mostly
 * ruled out by that rule" (FM_RULE_NONE: no rule recorded). */
enum { FM_REPORT_KEY_OUTCOMPETED = 0, FM_REPORT_KEYS = FM_RULE_DISTANCE + 2 };

typedef struct fm_report_group {
    int key;                /* reason key */
    int32_t school;         /* region school index; -1: none */
    int64_t n;              /* unmatched pupils in the group */
    int64_t by_tier[3];
    int32_t *listed;        /* the first n_listed pupils (student indices) */
    size_t n_listed;
} fm_report_group;

typedef struct fm_report_side_rows {
    int64_t dist[FM_REPORT_DIST_BANDS];
    int64_t unmatched;
    int64_t by_key[FM_REPORT_KEYS];
    fm_report_group *groups; /* by key, then school ref; NULL when none */
    size_t n_groups;
} fm_report_side_rows;

/* Counts one side; lists at most per_group pupils per group.  res must
 * fit r (one fm_match per student).  FM_ENOMEM; on failure *out is empty
 * (fm_report_rows_free is still safe). */
int fm_report_rows_count(fm_report_side_rows *out, const fm_region *r,
                         const fm_side_result *side, size_t per_group, fm_error *err);

void fm_report_rows_free(fm_report_side_rows *rows);

/* The reason key of an unmatched match (0..FM_REPORT_KEYS-1). */
int fm_report_rows_key(const fm_match *m);

#endif
