/*
 * explanations_csv.c - writing OUT/explanations.csv (explanations_csv.h).
 *
 * Normal case: per side, the pupils holding each target are counted by
 * tier from the matches, then each unmatched pupil who asked gets one row
 * built from its reason and nearest miss.  Failure: FM_EIO when the stream
 * fails, FM_ENOMEM; the stream may then hold part of the file (the caller
 * writes to a temporary file).
 */
#include "explanations_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "round_output.h"

static void week_text(int32_t week, char *out, size_t n)
{
    if (week <= 0)
        out[0] = '\0';
    else
        snprintf(out, n, "%04d-W%02d", (int)(week / 100), (int)(week % 100));
}

static void weeks_text(const fm_region *r, const fm_student *s, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    if (s->n_weeks == 0) {
        snprintf(out, n, "any");
        return;
    }
    for (int32_t k = 0; k < s->n_weeks && at + 10 < n; k++) {
        char w[16];
        week_text(r->ints[s->weeks_off + k], w, sizeof w);
        at += (size_t)snprintf(out + at, n - at, "%s%s", k ? "|" : "", w);
    }
}

static void student_sectors(const fm_region *r, const fm_student *s, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (int k = 0; k < s->n_sectors && at < n; k++)
        at += (size_t)snprintf(out + at, n - at, "%s%s", k ? "|" : "", r->sectors[s->sectors[k]]);
}

static void mentor_sectors(const fm_region *r, const fm_mentor *m, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (int32_t k = 0; k < m->n_sectors && at < n; k++)
        at += (size_t)snprintf(out + at, n - at, "%s%s", k ? "|" : "",
                               r->sectors[r->ints[m->sectors_off + k]]);
}

static void date_text(int32_t d, char *out, size_t n)
{
    snprintf(out, n, "%04d-%02d-%02d", (int)(d / 10000), (int)(d / 100 % 100), (int)(d % 100));
}

/* "3 seats, all taken by tier-1 pupils" / "5 seats: 2 taken by tier-1 pupils,
 * 1 by tier-3 pupils, 2 reserved and empty". */
static void holders_text(const int32_t held[3], int32_t seats, int32_t reserved_empty,
                         char *out, size_t n)
{
    int32_t taken = held[0] + held[1] + held[2];
    size_t at = (size_t)snprintf(out, n, "%d seat%s", seats, seats == 1 ? "" : "s");
    int kinds = (held[0] > 0) + (held[1] > 0) + (held[2] > 0);
    if (taken == seats && kinds == 1) {
        for (int t = 0; t < 3; t++)
            if (held[t])
                snprintf(out + at, n - at, ", all taken by tier-%d pupils", t + 1);
        return;
    }
    at += (size_t)snprintf(out + at, n - at, ":");
    const char *sep = " ";
    for (int t = 0; t < 3 && at < n; t++) {
        if (!held[t])
            continue;
        at += (size_t)snprintf(out + at, n - at, "%s%d taken by tier-%d pupils", sep, held[t],
                               t + 1);
        sep = ", ";
    }
    if (reserved_empty > 0 && at < n)
        snprintf(out + at, n - at, "%s%d reserved and empty", sep, reserved_empty);
}

/* ": the nearest, law placement PL9 (31.0 km), is ruled out by distance
 * (limit 20 km)" for a pupil whose own sectors have targets, else "". */
static void own_text(const fm_region *r, int mentors, const fm_student *st,
                     const fm_miss *x, char *out, size_t n)
{
    out[0] = '\0';
    if (x->own_target < 0)
        return;
    int32_t t = x->own_target;
    char sector[256], km[32], limit[64] = "";
    if (mentors)
        mentor_sectors(r, &r->mentors[t], sector, sizeof sector);
    else
        snprintf(sector, sizeof sector, "%s", r->sectors[r->placements[t].sector]);
    if (x->own_distance_km >= 0)
        snprintf(km, sizeof km, "%.1f km", x->own_distance_km);
    else
        snprintf(km, sizeof km, "%s", mentors ? "online" : "virtual");
    if (x->own_rule == FM_RULE_DISTANCE) {
        double l = st->max_travel_km;
        if (mentors && r->mentors[t].max_travel_km < l)
            l = r->mentors[t].max_travel_km;
        snprintf(limit, sizeof limit, " (limit %g km)", l);
    }
    snprintf(out, n, ": the nearest, %s %s %s (%s), is ruled out by %s%s", sector,
             mentors ? "mentor" : "placement",
             mentors ? r->mentors[t].ref : r->placements[t].ref, km,
             fm_rule_name((fm_rule)x->own_rule), limit);
}

static int side_rows(FILE *f, const fm_region *r, int32_t date, const fm_side_result *sr,
                     int mentors, fm_error *err)
{
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    int32_t (*held)[3] = calloc(nt + 1, sizeof *held);
    if (!held)
        return fm_error_set(err, FM_ENOMEM, "out of memory writing explanations");
    for (size_t s = 0; s < r->n_students; s++)
        if (sr->match[s].target >= 0)
            held[sr->match[s].target][fm_student_tier(&r->students[s]) - 1]++;
    int bad = 0;
    for (size_t s = 0; s < r->n_students && !bad; s++) {
        const fm_student *st = &r->students[s];
        const fm_match *m = &sr->match[s];
        const fm_miss *x = &sr->miss[s];
        if (!m->asked || m->target >= 0)
            continue;
        int tier = fm_student_tier(st);
        char tier_s[4], dist[32] = "", week[16] = "", seats[16] = "", res_s[16] = "";
        char h[3][16] = { "", "", "" }, sector[256] = "", tv[256] = "", pv[256] = "";
        char sentence[2048], where[320], hold[200], own[400];
        const char *kind = fm_reason_name((fm_reason)m->reason);
        const char *cause = m->reason == FM_REASON_OUTCOMPETED
                            ? (x->reserved_open ? "reserved" : "full")
                            : fm_rule_name((fm_rule)m->rule);
        const char *ref = "", *employer = "", *noun = mentors ? "mentor" : "placement";
        snprintf(tier_s, sizeof tier_s, "%d", tier);
        int32_t t = x->target;
        if (t >= 0) {
            int32_t cap, reserved = 0;
            if (mentors) {
                const fm_mentor *mt = &r->mentors[t];
                ref = mt->ref;
                cap = mt->capacity;
                mentor_sectors(r, mt, sector, sizeof sector);
            } else {
                const fm_placement *p = &r->placements[t];
                ref = p->ref;
                employer = r->employers[p->employer];
                cap = p->capacity;
                reserved = (int32_t)((int64_t)cap * p->reserve_pct / 100);
                snprintf(sector, sizeof sector, "%s", r->sectors[p->sector]);
                week_text(p->week, week, sizeof week);
            }
            snprintf(seats, sizeof seats, "%d", cap);
            snprintf(res_s, sizeof res_s, "%d", reserved);
            if (x->distance_km >= 0)
                snprintf(dist, sizeof dist, "%.3f", x->distance_km);
            if (x->distance_km >= 0)
                snprintf(where, sizeof where, "%s %s %s (%.1f km%s%s)", sector, noun, ref,
                         x->distance_km, week[0] ? ", week " : "", week);
            else
                snprintf(where, sizeof where, "%s %s %s (%s%s%s)", sector, noun, ref,
                         mentors ? "online" : "virtual", week[0] ? ", week " : "", week);
            if (m->reason == FM_REASON_OUTCOMPETED) {
                int32_t taken_reserved = 0;
                for (int k = 0; k < 3; k++)
                    snprintf(h[k], sizeof h[k], "%d", held[t][k]);
                /* seats reserved and empty: reserved minus the disadvantaged
                 * holders beyond the general seats */
                int32_t general = cap - reserved;
                int32_t disadvantaged = held[t][0] + held[t][1];
                int32_t in_general = held[t][2];
                int32_t free_general = general - in_general;
                if (disadvantaged > free_general)
                    taken_reserved = disadvantaged - (free_general > 0 ? free_general : 0);
                int32_t reserved_empty = reserved - taken_reserved;
                if (reserved_empty < 0)
                    reserved_empty = 0;
                holders_text(held[t], cap, x->reserved_open ? reserved_empty : 0, hold,
                             sizeof hold);
                snprintf(sentence, sizeof sentence, "Best eligible %s: %s%s.", where, hold,
                         x->reserved_open ? "; the pupil is tier 3" : "");
            } else {
                int age = fm_geo_age(st->birth_date, date);
                switch (m->rule) {
                case FM_RULE_SECTOR:
                    student_sectors(r, st, pv, sizeof pv);
                    snprintf(tv, sizeof tv, "%s", sector);
                    own_text(r, mentors, st, x, own, sizeof own);
                    snprintf(sentence, sizeof sentence, "No %s of the pupil's sectors (%s) "
                             "is open to them%s; the nearest %s of another sector is %s.",
                             noun, pv, own, noun, where);
                    break;
                case FM_RULE_AGE:
                    snprintf(tv, sizeof tv, "%d", (int)r->placements[t].min_age);
                    snprintf(pv, sizeof pv, "%d", age);
                    snprintf(sentence, sizeof sentence, "Nearest %s needs age %s; the pupil "
                             "is %d on the round date.", where, tv, age);
                    break;
                case FM_RULE_WEEK:
                    snprintf(tv, sizeof tv, "%s", week);
                    weeks_text(r, st, pv, sizeof pv);
                    snprintf(sentence, sizeof sentence, "Nearest %s is in week %s; the pupil's "
                             "weeks are %s.", where, week, pv);
                    break;
                case FM_RULE_ACCESS:
                    snprintf(tv, sizeof tv, "not accessible");
                    snprintf(pv, sizeof pv, "needs access");
                    snprintf(sentence, sizeof sentence, "Nearest %s is not accessible; the "
                             "pupil needs an accessible workplace.", where);
                    break;
                case FM_RULE_SAFEGUARDING: {
                    char d[16] = "none", on[16];
                    if (r->mentors[t].dbs_valid_until)
                        date_text(r->mentors[t].dbs_valid_until, d, sizeof d);
                    date_text(date, on, sizeof on);
                    snprintf(tv, sizeof tv, "%s", d);
                    snprintf(pv, sizeof pv, "%d", age);
                    snprintf(sentence, sizeof sentence, "Nearest %s has no DBS check valid on "
                             "%s (valid until: %s); the pupil is %d.", where, on, d, age);
                    break;
                }
                case FM_RULE_DISTANCE: {
                    double limit = st->max_travel_km;
                    if (mentors && r->mentors[t].max_travel_km < limit)
                        limit = r->mentors[t].max_travel_km;
                    snprintf(tv, sizeof tv, "%.3f", x->distance_km);
                    snprintf(pv, sizeof pv, "%g", limit);
                    snprintf(sentence, sizeof sentence, "Nearest %s is %.1f km away; the "
                             "travel limit is %g km.", where, x->distance_km, limit);
                    break;
                }
                default:
                    snprintf(sentence, sizeof sentence, "Nearest %s.", where);
                }
            }
        } else if (m->reason == FM_REASON_NO_ELIGIBLE) {
            snprintf(sentence, sizeof sentence, "No %s at all could be considered (rule %s).",
                     noun, cause);
        } else {
            snprintf(sentence, sizeof sentence, "Outcompeted.");
        }
        const char *fields[] = { mentors ? "mentors" : "placements", st->ref, tier_s, kind,
                                 cause, ref, employer, sector, dist, week, seats, res_s,
                                 h[0], h[1], h[2], tv, pv, sentence };
        for (size_t k = 0; k < sizeof fields / sizeof *fields && !bad; k++)
            bad = (k && fputc(',', f) == EOF) || fm_result_csv_put_field(f, fields[k]) != 0;
        bad |= fputc('\n', f) == EOF;
    }
    free(held);
    if (bad)
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
    return 0;
}

int fm_explanations_csv_write(FILE *f, const fm_region *r, int32_t date,
                              const fm_result *res, fm_error *err)
{
    errno = 0;
    if (fputs("side,student_ref,tier,kind,cause,target_ref,employer_ref,sector,distance_km,"
              "week,seats,reserved,held_tier1,held_tier2,held_tier3,target_value,"
              "pupil_value,sentence\n", f) < 0)
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
    for (int mentors = 0; mentors < 2; mentors++) {
        const fm_side_result *sr = mentors ? &res->mentors : &res->placements;
        if (!sr->match || !sr->miss)
            continue;
        int rc = side_rows(f, r, date, sr, mentors, err);
        if (rc)
            return rc;
    }
    if (fflush(f) != 0 || ferror(f))
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
    return 0;
}
