/*
 * round_output.h - writing the result files of one round (files.md, "Result
 * files written by a round"): OUT/placements.csv, OUT/mentors.csv,
 * OUT/report.html and OUT/summary.json, and beside them OUT/certificate.csv
 * (certificate_csv.h; carried in the summary until written) and, when the
 * result kept nearest misses, OUT/explanations.csv (explanations_csv.h).
 *
 * fm_round_write() is the whole job: it creates OUT (mode 0755, parents too)
 * if missing, writes every file to a temporary name inside OUT, and only when
 * all four are complete and flushed to disk renames them into place,
 * summary.json last.  So a failure while writing leaves the previous contents
 * of OUT untouched and never a half file under a final name; a present
 * summary.json means the set beside it is complete.  Failure: FM_EIO (path and
 * strerror in err->file / err->message), FM_ENOMEM, FM_EINTERNAL (the result
 * breaks the solver's contract, e.g. a student who asked, got nothing and has
 * no reason).
 *
 * The per-file functions below write to a caller's FILE * (the daemon reuses
 * them to export a stored round).  Each returns 0 or a negative FM_E* code;
 * on FM_EIO the stream may hold part of the output, which the caller must
 * discard.  They flush the stream but never close it.
 *
 * The report is built once, as the summary JSON (fm_summary_json_new), and
 * the HTML page is rendered from that JSON, so the two always agree.
 * No personal field (birth date, coordinates, gender) is written: the CSVs
 * carry refs and match data, the reports only counts over groups.
 */
#ifndef FM_ROUND_OUTPUT_H
#define FM_ROUND_OUTPUT_H

#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "region.h"
#include "report_html.h"
#include "solver.h"

/* How long the phases of a round took, in seconds, and the peak resident
 * memory in MiB, as measured by the caller. */
typedef struct fm_round_timing {
    double read_s, candidates_s, solve_s, check_s, write_s, total_s;
    double peak_rss_mb;
} fm_round_timing;

/* Writes OUT/placements.csv, OUT/mentors.csv, OUT/explanations.csv,
 * OUT/certificate.csv, OUT/report.html and last OUT/summary.json into
 * directory outdir (created if missing, mode 0755).
 * Each file is written to a temporary name in outdir and renamed into place,
 * so a failure never leaves a half file under the final name.
 *
 * params may be NULL (the summary's date is then null).  timing may be NULL
 * (timings and peak_rss_mb are then null).  fm_round_write measures its own
 * writing: the summary's write_s is timing->write_s plus that time, and its
 * total_s is timing->total_s plus that time. */
int fm_round_write(const char *outdir, const fm_region *r,
                   const fm_round_params *params, const fm_result *res,
                   const fm_round_timing *timing, fm_error *err);

/* The same with a summary already made (e.g. stored by the daemon): writes
 * it as summary.json and renders report.html from it, r and res and ctx
 * (the round's id and the previous round; NULL: offline); with summary
 * NULL only placements.csv and mentors.csv.  Same guarantees as
 * fm_round_write. */
int fm_round_write_with_summary(const char *outdir, const fm_region *r,
                                const fm_result *res, const json_t *summary,
                                const fm_report_context *ctx, fm_error *err);

/* placements.csv: header, then one row per student who asked for a
 * placement, in region order.  LF line ends. */
int fm_result_csv_write_placements(FILE *f, const fm_region *r,
                                   const fm_result *res, fm_error *err);

/* mentors.csv, likewise. */
int fm_result_csv_write_mentors(FILE *f, const fm_region *r,
                                const fm_result *res, fm_error *err);

/* Writes one CSV field, RFC 4180 quoted when it holds a comma, a double
 * quote, CR or LF (quotes doubled).  Returns 0 or FM_EIO. */
int fm_result_csv_put_field(FILE *f, const char *s);

/* Builds the summary (policy.md, "What a round reports") as a new JSON
 * object in *out, owned by the caller (json_decref).  Every key is inserted
 * in a fixed order, so the serialised form is byte-for-byte the same for the
 * same round, timings aside.  params and timing may be NULL as for
 * fm_round_write; the timing is written as given.  FM_ENOMEM or
 * FM_EINTERNAL; *out is NULL on failure. */
int fm_summary_json_new(const fm_region *r, const fm_round_params *params,
                        const fm_result *res, const fm_round_timing *timing,
                        json_t **out, fm_error *err);

/* summary.json's "options": the time limit and the extra constraints that
 * are on, keyed as in the policy file; NULL on ENOMEM. */
json_t *fm_summary_options_json(const fm_round_params *params);

/* The "constrained" object of one side of summary.json (sides solved
 * under extra constraints; summary_constrained.c), or NULL on ENOMEM. */
json_t *fm_summary_constrained_json(const fm_side_result *sr);

/* summary.json of a round whose constraints cannot be met (why: the
 * solver's FM_EINFEASIBLE error; ev: its evidence, may be NULL):
 * status "infeasible", the constraint, who, the message and the evidence
 * (summary_infeasible.c); no other file.  FM_EIO, FM_ENOMEM. */
int fm_summary_infeasible_write(const char *outdir, const fm_round_params *params,
                                const fm_error *why, const fm_region *r,
                                const fm_infeasible_evidence *ev, fm_error *err);

/* The summary key that carries certificate.csv's text until the files are
 * written (summary_json.c, round_files.c). */
#define FM_SUMMARY_CERTIFICATE_KEY "certificate_csv"

/* Serialises a summary: 2-space indent, keys in insertion order, reals with
 * 10 significant digits, a final LF.  FM_EIO. */
int fm_summary_json_write(FILE *f, const json_t *summary, fm_error *err);

/* report.html: fm_report_html_write(), report_html.h. */

/* Writes one file, outdir/name, with the same guarantees as fm_round_write
 * (outdir created, a temporary name renamed into place only when write
 * returned 0 and the file is on disk): for files other than the four of a
 * round, such as an employer's export.  write returns 0 or an FM_E* code
 * with err set. */
typedef int (*fm_round_file_fn)(FILE *f, void *ctx, fm_error *err);
int fm_round_file_write(const char *outdir, const char *name, fm_round_file_fn write,
                        void *ctx, fm_error *err);

#endif
