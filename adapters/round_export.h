/*
 * round_export.h - writing the result files of a round that was solved
 * elsewhere (by fairmatchd), from its assignment rows and its summary:
 * `fairmatch round export`.  The files come out byte for byte as
 * `fairmatch solve` writes them (round_output.h), because the rows are
 * turned back into the region and fm_result those writers take.
 *
 * Usage: fm_round_export_new(), one fm_round_export_add() per row (any
 * order, both sides), then fm_round_export_write(), fm_round_export_free().
 *
 * Students are written in bytewise student_ref order -- the order in which
 * fm_store_load_region() hands a round its region (store.h) -- so a round
 * on CSV files sorted by ref exports the same files as `fairmatch solve`.
 * This module does no networking: the caller fetches the rows.
 */
#ifndef FM_ROUND_EXPORT_H
#define FM_ROUND_EXPORT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "report_html.h"

/* One row of OUT/placements.csv or OUT/mentors.csv, as the daemon lists it.
 * Strings are borrowed for the call (copied); NULL reads as "". */
typedef struct fm_export_row {
    int mentor;                /* 0: placements side, 1: mentors side */
    const char *student_ref;
    const char *school_ref;
    int tier;                  /* 1..3 */
    const char *target_ref;    /* placement_ref / mentor_ref, "" if unmatched */
    const char *employer_ref;  /* placements only */
    int rank;                  /* 1..5 if matched */
    double distance_km;        /* < 0: virtual / online */
    int utility;
    const char *reason;        /* "", "outcompeted", "no_eligible" or "no_eligible:RULE" */
    const char *rule;          /* with "no_eligible": "sector", "age", ... or "" */
} fm_export_row;

typedef struct fm_round_export fm_round_export;

/* A new, empty export in *out (fm_round_export_free), or FM_ENOMEM. */
int fm_round_export_new(fm_round_export **out);

/* Adds a copy of row.  FM_EINVAL (naming the student) for a tier outside
 * 1..3, an unknown reason or rule, a matched row without a rank in 1..5, or
 * an unmatched row without a reason; FM_ENOMEM. */
int fm_round_export_add(fm_round_export *x, const fm_export_row *row, fm_error *err);

/* How many rows were added. */
size_t fm_round_export_count(const fm_round_export *x);

/* Writes outdir/placements.csv and outdir/mentors.csv from the rows, and,
 * when summary is not NULL, outdir/report.html and outdir/summary.json from
 * it (fm_report_html_write with the rows and ctx, which may be NULL;
 * fm_summary_json_write).  As fm_round_write():
 * outdir is created if missing (mode 0755, parents too), each file goes to
 * a temporary name and is renamed into place only when all are complete,
 * summary.json last.  FM_EINVAL for a student listed twice on one side or
 * with two different schools or tiers; FM_EIO (path in err->file),
 * FM_ENOMEM.  On failure no final name is touched. */
int fm_round_export_write(fm_round_export *x, const char *outdir, const json_t *summary,
                          const fm_report_context *ctx, fm_error *err);

void fm_round_export_free(fm_round_export *x);

#endif
