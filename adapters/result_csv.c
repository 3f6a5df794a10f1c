/*
 * result_csv.c - the per-student result files of a round: placements.csv and
 * mentors.csv (files.md, "Result files written by a round").
 *
 * Normal case: a header row, then one row for every student who asked on
 * that side (fm_match.asked), in region order.  A matched row names the
 * target, its rank in the student's sectors, the distance with 3 decimals
 * (blank for a virtual placement or an online mentor) and the utility, with a
 * blank reason.  An unmatched row leaves the target columns blank and gives
 * the reason of policy.md: `outcompeted`, or `no_eligible:RULE` with RULE the
 * rule that ruled out the most candidates (fm_rule_name).  Fields are RFC
 * 4180 quoted where needed; lines end in LF.
 *
 * Failure: a write error on the stream gives FM_EIO with strerror; a match
 * that breaks the solver's contract (target out of range, or unmatched with
 * no reason) gives FM_EINTERNAL naming the student.  Either way the stream
 * may hold part of the file; the caller discards it (round_files.c writes to
 * a temporary file).
 */
#include "round_output.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

enum side { SIDE_PLACEMENTS, SIDE_MENTORS };

int fm_result_csv_put_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL)
        return fputs(s, f) < 0 ? FM_EIO : 0;
    if (fputc('"', f) == EOF)
        return FM_EIO;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && fputc('"', f) == EOF)
            return FM_EIO;
        if (fputc(*p, f) == EOF)
            return FM_EIO;
    }
    return fputc('"', f) == EOF ? FM_EIO : 0;
}

/* Writes the fields of one row, separated by commas, then LF. */
static int put_row(FILE *f, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && fputc(',', f) == EOF)
            return FM_EIO;
        if (fm_result_csv_put_field(f, fields[i]) != 0)
            return FM_EIO;
    }
    return fputc('\n', f) == EOF ? FM_EIO : 0;
}

static int write_side(FILE *f, const fm_region *r, const fm_result *res,
                      enum side side, fm_error *err)
{
    static const char *const placement_header[] = {
        "student_ref", "school_ref", "tier", "placement_ref", "employer_ref",
        "rank", "distance_km", "utility", "reason"};
    static const char *const mentor_header[] = {
        "student_ref", "school_ref", "tier", "mentor_ref",
        "rank", "distance_km", "utility", "reason"};
    const fm_side_result *sr = side == SIDE_PLACEMENTS ? &res->placements
                                                       : &res->mentors;
    const char *const *header = side == SIDE_PLACEMENTS ? placement_header
                                                        : mentor_header;
    size_t ncol = side == SIDE_PLACEMENTS ? 9 : 8;
    size_t n_targets = side == SIDE_PLACEMENTS ? r->n_placements : r->n_mentors;

    errno = 0;
    if (put_row(f, header, ncol) != 0)
        goto io_error;

    for (size_t i = 0; sr->match && i < r->n_students; i++) {
        const fm_student *s = &r->students[i];
        const fm_match *m = &sr->match[i];
        char tier[8], rank[8], dist[32], util[16], reason[64];
        const char *fields[9];
        size_t k = 0;

        if (!m->asked)
            continue;
        snprintf(tier, sizeof tier, "%d", fm_student_tier(s));
        fields[k++] = s->ref;
        fields[k++] = r->schools[s->school].ref;
        fields[k++] = tier;
        if (m->target >= 0) {
            if ((size_t)m->target >= n_targets)
                return fm_error_set(err, FM_EINTERNAL,
                                    "student %s: target %ld out of range",
                                    s->ref, (long)m->target);
            if (side == SIDE_PLACEMENTS) {
                const fm_placement *p = &r->placements[m->target];
                fields[k++] = p->ref;
                fields[k++] = r->employers[p->employer];
            } else {
                fields[k++] = r->mentors[m->target].ref;
            }
            snprintf(rank, sizeof rank, "%d", (int)m->rank);
            if (m->distance_km < 0)
                dist[0] = '\0';
            else
                snprintf(dist, sizeof dist, "%.3f", m->distance_km);
            snprintf(util, sizeof util, "%d", (int)m->utility);
            fields[k++] = rank;
            fields[k++] = dist;
            fields[k++] = util;
            fields[k++] = "";
        } else {
            if (m->reason == FM_REASON_OUTCOMPETED) {
                snprintf(reason, sizeof reason, "outcompeted");
            } else if (m->reason == FM_REASON_NO_ELIGIBLE) {
                const char *rule = fm_rule_name((fm_rule)m->rule);
                if (rule && rule[0])
                    snprintf(reason, sizeof reason, "no_eligible:%s", rule);
                else
                    snprintf(reason, sizeof reason, "no_eligible");
            } else {
                return fm_error_set(err, FM_EINTERNAL,
                                    "student %s asked, got nothing and has "
                                    "no reason", s->ref);
            }
            fields[k++] = "";                 /* target ref */
            if (side == SIDE_PLACEMENTS)
                fields[k++] = "";             /* employer_ref */
            fields[k++] = "";                 /* rank */
            fields[k++] = "";                 /* distance_km */
            fields[k++] = "";                 /* utility */
            fields[k++] = reason;
        }
        assert(k == ncol);
        if (put_row(f, fields, ncol) != 0)
            goto io_error;
    }
    if (fflush(f) != 0 || ferror(f))
        goto io_error;
    return 0;

io_error:
    return fm_error_set(err, FM_EIO, "cannot write: %s",
                        strerror(errno ? errno : EIO));
}

int fm_result_csv_write_placements(FILE *f, const fm_region *r,
                                   const fm_result *res, fm_error *err)
{
    assert(f && r && res);
    return write_side(f, r, res, SIDE_PLACEMENTS, err);
}

int fm_result_csv_write_mentors(FILE *f, const fm_region *r,
                                const fm_result *res, fm_error *err)
{
    assert(f && r && res);
    return write_side(f, r, res, SIDE_MENTORS, err);
}
