/*
 * store_rounds.c - rounds and their assignments in the store.
 *
 * Normal case: the coordinator queues a round (fm_store_round_create: date
 * and policy JSON, status `queued`); the daemon moves it to `running`
 * (fm_store_round_start), solves, and finishes it in one transaction
 * (fm_store_round_finish): status `done`, the two objective vectors, the
 * timings and summary JSON texts, and one assignment row per student who
 * asked, per side, exactly the rows of the result files (files.md), matched
 * ones `proposed`.  Or it records why the round failed
 * (fm_store_round_fail).  Users read a round (fm_store_round_get, _list),
 * page through its assignments in result-file order (side, student_ref),
 * narrowed to their scope, and confirm or decline proposed assignments
 * (fm_store_assignment_set_status).  An employer's page is joined at read
 * time with the pupil, school and round rows for what it may know of each
 * matched pupil (a keyed pseudonym, age band, needs_access, school name; see
 * fm_store_assignment), ordered and paged by the pseudonym; an employer may
 * confirm or decline by that pseudonym.  A round a crash left running is
 * marked failed when the daemon next opens the store (store_open.c).
 *
 * Failure cases: a transition from the wrong state (finishing a round that
 * is not running, failing a done one) is FM_EINVAL naming the round; an
 * unknown round, a JSON text that does not parse, or a date that is not a
 * date is FM_EINVAL; a result that does not fit its region (a target out
 * of range, an unmatched student with no reason) is FM_EINTERNAL naming the
 * student and nothing of it is stored; a school or employer asking about
 * rows outside its scope gets FM_EINVAL with field "scope", or simply does
 * not see them in a page.  SQLite failures roll the transaction back.
 */
#include "store_private.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names -------------------------------------------------------------------- */

/* The names of the four values of a status enum, in order. */
typedef const char *const status_names[4];

static const status_names round_names = {"queued", "running", "done", "failed"};
static const status_names assignment_names = {"", "proposed", "confirmed", "declined"};

/* The name of value i, "" for none. */
static const char *name_of(const status_names names, unsigned i)
{
    return i < 4 ? names[i] : "";
}

/* The value whose name is t (from first on), -1 for none. */
static int name_parse(const status_names names, int first, const char *t)
{
    for (int i = first; i < 4; i++)
        if (t && strcmp(t, names[i]) == 0)
            return i;
    return -1;
}

const char *fm_round_status_name(fm_round_status s)
{
    return name_of(round_names, (unsigned)s);
}

static fm_round_status status_parse(const char *t)
{
    return (fm_round_status)name_parse(round_names, 0, t);
}

const char *fm_assignment_status_name(fm_assignment_status s)
{
    return name_of(assignment_names, (unsigned)s);
}

static fm_assignment_status assignment_parse(const char *t)
{
    int i = name_parse(assignment_names, 1, t);
    return i < 0 ? FM_ASSIGNMENT_UNMATCHED : (fm_assignment_status)i;
}

/* ---- helpers ------------------------------------------------------------------ */

static void round_id_text(fm_error *err, int64_t id)
{
    if (err)
        snprintf(err->id, sizeof err->id, "round %lld", (long long)id);
}

/* 0 if text is valid JSON (SQLite's json_valid), FM_EINVAL naming field. */
static int check_json(fm_store *st, const char *text, const char *field, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, "SELECT json_valid(?1)", &s, err);
    if (rc < 0)
        return rc;
    fm_store__bind_text(s, 1, text);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW)
        rc = fm_store__sql_fail(st, err, step, "checking JSON");
    else if (sqlite3_column_int(s, 0) != 1) {
        fm_store__set_row(err, field, NULL, NULL);
        rc = fm_store__fail(st, err, FM_EINVAL, "%s is not valid JSON", field);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Round id is not there (step SQLITE_DONE: FM_EINVAL), or reading it
 * failed with step. */
static int round_missing(const fm_store *st, int64_t id, int step, fm_error *err)
{
    if (step != SQLITE_DONE)
        return fm_store__sql_fail(st, err, step, "reading a round");
    round_id_text(err, id);
    return fm_store__fail(st, err, FM_EINVAL, "no round %lld", (long long)id);
}

/* The status of round id into *status; FM_EINVAL if there is none. */
static int round_status(fm_store *st, int64_t id, fm_round_status *status, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, "SELECT status FROM rounds WHERE id = ?1", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *status = status_parse((const char *)sqlite3_column_text(s, 0));
    else
        rc = round_missing(st, id, step, err);
    sqlite3_finalize(s);
    return rc;
}

/* Runs a one-shot write statement with id as ?1 and optional text ?2 and
 * integer ?3. */
static int write_round(fm_store *st, const char *sql, int64_t id, const char *text,
                       int64_t value, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, sql, &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    int np = sqlite3_bind_parameter_count(s);
    if (np >= 2)
        fm_store__bind_text(s, 2, text);
    if (np >= 3)
        sqlite3_bind_int64(s, 3, value);
    rc = fm_store__step_done(st, s, "updating a round", err);
    sqlite3_finalize(s);
    return rc;
}

/* The transition of round id from one of the states in `from` (a bit per
 * fm_round_status) by sql, in one write transaction. */
static int transition(fm_store *st, int64_t id, unsigned from, const char *to,
                      const char *sql, const char *text, fm_error *err)
{
    int rc = fm_store__begin_write(st, err);
    if (rc < 0)
        return rc;
    fm_round_status now;
    rc = round_status(st, id, &now, err);
    if (rc == 0 && ((unsigned)now >= 4 || !(from & (1u << now)))) {
        round_id_text(err, id);
        rc = fm_store__fail(st, err, FM_EINVAL, "round %lld is %s; it cannot become %s",
                            (long long)id, fm_round_status_name(now), to);
    }
    if (rc == 0)
        rc = write_round(st, sql, id, text, fm_store__now(), err);
    rc = fm_store__finish(st, rc, err);
    return rc;
}

/* ---- the round's lifecycle ----------------------------------------------------- */

void fm_store_round_init(fm_store_round *r)
{
    assert(r);
    memset(r, 0, sizeof *r);
}

void fm_store_round_free(fm_store_round *r)
{
    if (!r)
        return;
    sqlite3_free(r->policy_json);
    sqlite3_free(r->timings_json);
    sqlite3_free(r->summary_json);
    memset(r, 0, sizeof *r);
}

int fm_store_round_create(fm_store *st, const fm_store_scope *who, int32_t date,
                          const char *policy_json, int64_t *id, fm_error *err)
{
    assert(st);
    if (id)
        *id = 0;
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    if (who->role != FM_ROLE_COORDINATOR)
        return fm_store__deny(st, who, "creating a round", err);
    char date_text[16];
    if (fm_store__date_text(date, date_text, sizeof date_text) < 0) {
        fm_store__set_row(err, "date", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL, "the round date is not a date");
    }
    if (!policy_json)
        policy_json = "{}";
    rc = check_json(st, policy_json, "policy", err);
    if (rc < 0)
        return rc;

    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, "INSERT INTO rounds(created_at, date, policy, status)"
                           " VALUES (?1, ?2, ?3, 'queued')", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, fm_store__now());
    fm_store__bind_text(s, 2, date_text);
    fm_store__bind_text(s, 3, policy_json);
    rc = fm_store__step_done(st, s, "queuing a round", err);
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(s);
    return rc;
}

int fm_store_round_start(fm_store *st, int64_t id, fm_error *err)
{
    assert(st);
    if (err)
        fm_error_clear(err);
    return transition(st, id, 1u << FM_ROUND_QUEUED, "running",
                      "UPDATE rounds SET status = 'running', started_at = ?3 WHERE id = ?1"
                      " AND ?2 IS NULL", NULL, err);
}

int fm_store_round_fail(fm_store *st, int64_t id, const char *message, fm_error *err)
{
    assert(st);
    if (err)
        fm_error_clear(err);
    if (!message || !*message)
        message = "failed";
    char text[512];
    snprintf(text, sizeof text, "%s", message);
    /* A long message is cut at a character boundary, never inside a UTF-8
     * sequence: back off while the first byte cut off continues one. */
    size_t cut = strlen(text);
    if (message[cut] != '\0') {
        while (cut > 0 && ((unsigned char)message[cut] & 0xC0) == 0x80)
            cut--;
        text[cut] = '\0';
    }
    return transition(st, id, (1u << FM_ROUND_QUEUED) | (1u << FM_ROUND_RUNNING), "failed",
                      "UPDATE rounds SET status = 'failed', error = ?2, finished_at = ?3"
                      " WHERE id = ?1", text, err);
}

/* Checks that res fits region before anything is written. */
static int check_result(fm_store *st, const fm_region *r, const fm_result *res,
                        fm_error *err)
{
    const fm_side_result *sides[2] = {&res->placements, &res->mentors};
    size_t n_targets[2] = {r->n_placements, r->n_mentors};
    for (int k = 0; k < 2; k++) {
        if (r->n_students > 0 && !sides[k]->match)
            return fm_store__fail(st, err, FM_EINTERNAL,
                                  "the result has no %s matches for the region",
                                  k == 0 ? "placement" : "mentor");
        for (size_t i = 0; i < r->n_students; i++) {
            const fm_match *m = &sides[k]->match[i];
            if (!m->asked)
                continue;
            int bad = 0;
            if (m->target >= 0)
                bad = (size_t)m->target >= n_targets[k] || m->rank < 1 || m->rank > 5 ||
                      m->utility < 1 || m->utility > 500;
            else
                bad = m->reason != FM_REASON_OUTCOMPETED &&
                      m->reason != FM_REASON_NO_ELIGIBLE;
            if (bad) {
                fm_store__set_row(err, NULL, "student_ref", r->students[i].ref);
                return fm_store__fail(st, err, FM_EINTERNAL,
                                      "the %s result of this student does not fit the "
                                      "region", k == 0 ? "placement" : "mentor");
            }
        }
    }
    return 0;
}

static int put_assignments(fm_store *st, int64_t id, const fm_region *r,
                           const fm_result *res, const uint8_t *const confirmed[2],
                           fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st,
        "INSERT INTO assignments(round_id, side, student_ref, school_ref, tier, target_ref,"
        " employer_ref, rank, distance_km, utility, reason, status)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &s, err);
    for (int k = 0; rc == 0 && k < 2; k++) {
        const fm_side_result *side = k == 0 ? &res->placements : &res->mentors;
        for (size_t i = 0; rc == 0 && i < r->n_students; i++) {
            const fm_student *x = &r->students[i];
            const fm_match *m = &side->match[i];
            if (!m->asked)
                continue;
            char reason[40] = "";
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int(s, 2, k);
            fm_store__bind_text(s, 3, x->ref);
            fm_store__bind_text(s, 4, r->schools[x->school].ref);
            sqlite3_bind_int(s, 5, fm_student_tier(x));
            if (m->target >= 0) {
                if (k == 0) {
                    const fm_placement *p = &r->placements[m->target];
                    fm_store__bind_text(s, 6, p->ref);
                    fm_store__bind_text(s, 7, r->employers[p->employer]);
                } else {
                    fm_store__bind_text(s, 6, r->mentors[m->target].ref);
                }
                sqlite3_bind_int(s, 8, m->rank);
                if (m->distance_km >= 0)
                    sqlite3_bind_double(s, 9, m->distance_km);
                sqlite3_bind_int(s, 10, m->utility);
                fm_store__bind_text(s, 12, confirmed && confirmed[k] && confirmed[k][i]
                                               ? "confirmed" : "proposed");
            } else {
                const char *rule = fm_rule_name((fm_rule)m->rule);
                if (m->reason == FM_REASON_OUTCOMPETED)
                    snprintf(reason, sizeof reason, "outcompeted");
                else if (rule && rule[0])
                    snprintf(reason, sizeof reason, "no_eligible:%s", rule);
                else
                    snprintf(reason, sizeof reason, "no_eligible");
                fm_store__bind_text(s, 11, reason);
            }
            int step = sqlite3_step(s);
            if (step != SQLITE_DONE) {
                fm_store__set_row(err, NULL, "student_ref", x->ref);
                rc = fm_store__sql_fail(st, err, step, "storing an assignment");
            }
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int fm_store_round_finish(fm_store *st, int64_t id, const fm_region *region,
                          const fm_result *res, const char *timings_json,
                          const char *summary_json, fm_error *err)
{
    return fm_store_round_finish_kept(st, id, region, res, NULL, timings_json, summary_json,
                                      err);
}

int fm_store_round_finish_kept(fm_store *st, int64_t id, const fm_region *region,
                               const fm_result *res, const uint8_t *const confirmed[2],
                               const char *timings_json, const char *summary_json,
                               fm_error *err)
{
    assert(st && region && res);
    if (err)
        fm_error_clear(err);
    if (!timings_json)
        timings_json = "{}";
    if (!summary_json)
        summary_json = "{}";
    int rc = check_result(st, region, res, err);
    if (rc == 0)
        rc = check_json(st, timings_json, "timings", err);
    if (rc == 0)
        rc = check_json(st, summary_json, "summary", err);
    if (rc < 0)
        return rc;

    rc = fm_store__begin_write(st, err);
    if (rc < 0)
        return rc;
    fm_round_status now;
    rc = round_status(st, id, &now, err);
    if (rc == 0 && now != FM_ROUND_RUNNING) {
        round_id_text(err, id);
        rc = fm_store__fail(st, err, FM_EINVAL, "round %lld is %s, not running; its results "
                            "cannot be saved", (long long)id, fm_round_status_name(now));
    }
    if (rc == 0)
        rc = put_assignments(st, id, region, res, confirmed, err);
    if (rc == 0) {
        sqlite3_stmt *s = NULL;
        rc = fm_store__prepare(st,
            "UPDATE rounds SET status = 'done', finished_at = ?2, timings = ?3,"
            " summary = ?4, p_n1 = ?5, p_n2 = ?6, p_n3 = ?7, p_utility = ?8,"
            " m_n1 = ?9, m_n2 = ?10, m_n3 = ?11, m_utility = ?12 WHERE id = ?1", &s, err);
        if (rc == 0) {
            const fm_vector *p = &res->placements.vector, *m = &res->mentors.vector;
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int64(s, 2, fm_store__now());
            fm_store__bind_text(s, 3, timings_json);
            fm_store__bind_text(s, 4, summary_json);
            sqlite3_bind_int64(s, 5, p->n1);
            sqlite3_bind_int64(s, 6, p->n2);
            sqlite3_bind_int64(s, 7, p->n3);
            sqlite3_bind_int64(s, 8, p->utility);
            sqlite3_bind_int64(s, 9, m->n1);
            sqlite3_bind_int64(s, 10, m->n2);
            sqlite3_bind_int64(s, 11, m->n3);
            sqlite3_bind_int64(s, 12, m->utility);
            rc = fm_store__step_done(st, s, "saving a round's results", err);
        }
        sqlite3_finalize(s);
    }
    rc = fm_store__finish(st, rc, err);
    if (rc < 0)
        round_id_text(err, id);
    return rc;
}

/* ---- reading rounds -------------------------------------------------------------- */

#define SELECT_ROUND \
    "SELECT id, created_at, started_at, finished_at, date, status, error," \
    " p_n1, p_n2, p_n3, p_utility, m_n1, m_n2, m_n3, m_utility," \
    " policy, timings, summary FROM rounds"

/* A copy of column i from sqlite3_malloc, NULL for NULL; FM_ENOMEM. */
static int column_dup(sqlite3_stmt *s, int i, char **out)
{
    *out = NULL;
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        return sqlite3_errcode(sqlite3_db_handle(s)) == SQLITE_NOMEM ? FM_ENOMEM : 0;
    int n = sqlite3_column_bytes(s, i);
    *out = sqlite3_malloc64((sqlite3_uint64)n + 1);
    if (!*out)
        return FM_ENOMEM;
    memcpy(*out, t, (size_t)n + 1);
    return 0;
}

/* Fills r from the current row of a SELECT_ROUND statement; with_json also
 * copies the JSON texts. */
static int round_from_row(fm_store *st, sqlite3_stmt *s, int with_json, fm_store_round *r,
                          fm_error *err)
{
    fm_store_round_init(r);
    r->id = sqlite3_column_int64(s, 0);
    r->created_at = sqlite3_column_int64(s, 1);
    r->started_at = sqlite3_column_int64(s, 2);
    r->finished_at = sqlite3_column_int64(s, 3);
    r->status = status_parse((const char *)sqlite3_column_text(s, 5));
    if (fm_store__date_parse((const char *)sqlite3_column_text(s, 4), &r->date) != 0 ||
        (unsigned)r->status >= 4) {
        round_id_text(err, r->id);
        return fm_store__fail(st, err, FM_EINTERNAL, "a stored round cannot be read back");
    }
    fm_store__column_copy(s, 6, r->error, sizeof r->error);
    fm_vector *v[2] = {&r->placements, &r->mentors};
    for (int k = 0; k < 2; k++) {
        v[k]->n1 = sqlite3_column_int64(s, 7 + 4 * k);
        v[k]->n2 = sqlite3_column_int64(s, 8 + 4 * k);
        v[k]->n3 = sqlite3_column_int64(s, 9 + 4 * k);
        v[k]->utility = sqlite3_column_int64(s, 10 + 4 * k);
    }
    if (with_json && (column_dup(s, 15, &r->policy_json) < 0 ||
                      column_dup(s, 16, &r->timings_json) < 0 ||
                      column_dup(s, 17, &r->summary_json) < 0)) {
        fm_store_round_free(r);
        return fm_store__fail(st, err, FM_ENOMEM, "out of memory reading a round");
    }
    return 0;
}

int fm_store_round_get(fm_store *st, const fm_store_scope *who, int64_t id,
                       fm_store_round *out, fm_error *err)
{
    assert(st && out);
    fm_store_round_init(out);
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, SELECT_ROUND " WHERE id = ?1", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = round_from_row(st, s, who->role == FM_ROLE_COORDINATOR, out, err);
    else
        rc = round_missing(st, id, step, err);
    sqlite3_finalize(s);
    return rc;
}

int fm_store_round_list(fm_store *st, int64_t before_id, fm_store_round *rows,
                        size_t cap, size_t *n, fm_error *err)
{
    assert(st && n && (rows || cap == 0));
    sqlite3_stmt *s;
    int rc = fm_store__page_begin(st, SELECT_ROUND " WHERE ?1 <= 0 OR id < ?1"
                                  " ORDER BY id DESC LIMIT ?2", before_id, cap, n, &s, err);
    if (rc < 0 || !s)
        return rc;
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = round_from_row(st, s, 0, &rows[*n], err);
        if (rc == 0)
            ++*n;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fm_store__sql_fail(st, err, step, "listing rounds");
    sqlite3_finalize(s);
    if (rc < 0)
        *n = 0;
    return rc;
}

/* ---- assignments ------------------------------------------------------------------ */

/* The age band of a pupil born on birth (yyyymmdd) on the round date;
 * "" when the birth date is gone (withdrawn) or unreadable. */
static const char *age_band(const char *birth_text, const char *date_text)
{
    int32_t birth, date;
    if (!birth_text || !date_text || fm_store__date_parse(birth_text, &birth) != 0 ||
        fm_store__date_parse(date_text, &date) != 0)
        return "";
    int age = date / 10000 - birth / 10000 - (date % 10000 < birth % 10000 ? 1 : 0);
    if (age < 14)
        return "<14";
    if (age < 16)
        return "14-15";
    if (age < 18)
        return "16-17";
    return "18+";
}

/* Copies text into buf, cutting at a UTF-8 character boundary. */
static void copy_utf8(char *buf, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* The employer columns (11: pupil, 12: birth_date, 13: flags, 14: school
 * name, 15: round date) of an employer's page row into a. */
static void employer_fields(sqlite3_stmt *s, fm_store_assignment *a)
{
    fm_store__column_copy(s, 11, a->pupil_ref, sizeof a->pupil_ref);
    snprintf(a->age_band, sizeof a->age_band, "%s",
             age_band((const char *)sqlite3_column_text(s, 12),
                      (const char *)sqlite3_column_text(s, 15)));
    a->needs_access = (sqlite3_column_int(s, 13) & 8) != 0; /* FLAG_NEEDS_ACCESS */
    const char *name = (const char *)sqlite3_column_text(s, 14);
    copy_utf8(a->school_name, sizeof a->school_name,
              name && *name ? name : a->school_ref);
}

int fm_store_assignment_page(fm_store *st, const fm_store_scope *who, int64_t round_id,
                             const fm_store_assignment_query *q,
                             fm_store_assignment *rows, size_t cap, size_t *n,
                             fm_error *err)
{
    assert(st && q && n && (rows || cap == 0));
    *n = 0;
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    if (q->side < -1 || q->side > 1)
        return fm_store__fail(st, err, FM_EINVAL, "side must be placement, mentor or both");
    if (cap == 0)
        return 0;
    fm_round_status status;
    rc = round_status(st, round_id, &status, err);
    if (rc < 0)
        return rc;

    /* The scope narrows the coordinator's own filters, never widens them. */
    const char *school = q->school_ref, *employer = q->employer_ref;
    int side = q->side;
    if (who->role == FM_ROLE_SCHOOL) {
        school = who->ref;
    } else if (who->role == FM_ROLE_EMPLOYER) {
        employer = who->ref;
        if (side == FM_SIDE_MENTOR)
            return 0;
        side = FM_SIDE_PLACEMENT;
    }
    if ((q->school_ref && strcmp(q->school_ref, school) != 0) ||
        (q->employer_ref && strcmp(q->employer_ref, employer) != 0))
        return 0; /* asked for rows outside the scope: there are none to see */

    /* An employer's rows (placement side, matched) are joined with the
     * pupil, the school and the round for what the employer may know of the
     * pupil, and ordered by the pseudonym so that the page cursor is one. */
    int emp = who->role == FM_ROLE_EMPLOYER;
    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, emp ?
        "SELECT a.side, a.student_ref, a.school_ref, a.tier, a.target_ref, a.employer_ref,"
        " a.rank, a.distance_km, a.utility, a.reason, a.status,"
        " fm_pupil_ref(a.round_id, a.employer_ref, a.student_ref) AS pupil,"
        " p.birth_date, p.flags, k.name, r.date"
        " FROM assignments a JOIN rounds r ON r.id = a.round_id"
        " LEFT JOIN students p ON p.ref = a.student_ref"
        " LEFT JOIN schools k ON k.ref = a.school_ref"
        " WHERE a.round_id = ?1 AND a.side = ?2 AND a.employer_ref = ?4"
        " AND (?3 IS NULL OR a.school_ref = ?3)"
        " AND (?6 IS NULL OR pupil > ?6)"
        " ORDER BY pupil, a.student_ref LIMIT ?7"
        :
        "SELECT side, student_ref, school_ref, tier, target_ref, employer_ref, rank,"
        " distance_km, utility, reason, status FROM assignments"
        " WHERE round_id = ?1 AND (?2 < 0 OR side = ?2)"
        " AND (?3 IS NULL OR school_ref = ?3) AND (?4 IS NULL OR employer_ref = ?4)"
        " AND (?5 IS NULL OR (side, student_ref) > (?5, ?6))"
        " ORDER BY side, student_ref LIMIT ?7", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, round_id);
    sqlite3_bind_int(s, 2, side);
    fm_store__bind_text(s, 3, school);
    fm_store__bind_text(s, 4, employer);
    if (q->after) {
        if (!emp)
            sqlite3_bind_int(s, 5, (int)q->after->side);
        fm_store__bind_text(s, 6, emp ? q->after->pupil_ref : q->after->student_ref);
    }
    fm_store__bind_limit(s, 7, cap);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        fm_store_assignment *a = &rows[*n];
        memset(a, 0, sizeof *a);
        a->round_id = round_id;
        a->side = sqlite3_column_int(s, 0) ? FM_SIDE_MENTOR : FM_SIDE_PLACEMENT;
        fm_store__column_copy(s, 1, a->student_ref, sizeof a->student_ref);
        fm_store__column_copy(s, 2, a->school_ref, sizeof a->school_ref);
        a->tier = sqlite3_column_int(s, 3);
        fm_store__column_copy(s, 4, a->target_ref, sizeof a->target_ref);
        fm_store__column_copy(s, 5, a->employer_ref, sizeof a->employer_ref);
        a->rank = sqlite3_column_int(s, 6);
        a->distance_km = sqlite3_column_type(s, 7) == SQLITE_NULL
                             ? -1.0 : sqlite3_column_double(s, 7);
        a->utility = sqlite3_column_int(s, 8);
        fm_store__column_copy(s, 9, a->reason, sizeof a->reason);
        a->status = assignment_parse((const char *)sqlite3_column_text(s, 10));
        if (emp)
            employer_fields(s, a);
        ++*n;
    }
    if (step != SQLITE_DONE) {
        rc = fm_store__sql_fail(st, err, step, "reading assignments");
        *n = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

int fm_store_assignment_set_status(fm_store *st, const fm_store_scope *who,
                                   int64_t round_id, fm_store_side side,
                                   const char *student_ref, fm_assignment_status status,
                                   fm_error *err)
{
    assert(st);
    int rc = fm_store__enter(st, who, err);
    if (rc < 0)
        return rc;
    if (status != FM_ASSIGNMENT_CONFIRMED && status != FM_ASSIGNMENT_DECLINED)
        return fm_store__fail(st, err, FM_EINVAL,
                              "an assignment can only be confirmed or declined");
    if ((side != FM_SIDE_PLACEMENT && side != FM_SIDE_MENTOR) ||
        !fm_store__valid_ref(student_ref)) {
        fm_store__set_row(err, "student_ref", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL, "no such assignment");
    }

    rc = fm_store__begin_write(st, err);
    if (rc < 0)
        return rc;
    fm_round_status rs;
    rc = round_status(st, round_id, &rs, err);
    if (rc == 0 && rs != FM_ROUND_DONE) {
        round_id_text(err, round_id);
        rc = fm_store__fail(st, err, FM_EINVAL, "round %lld is %s; only the assignments "
                            "of a done round can change", (long long)round_id,
                            fm_round_status_name(rs));
    }
    sqlite3_stmt *s = NULL;
    /* An employer names a pupil by the student_ref or by the pupil_ref of
     * one of its own rows; a row of its own is preferred. */
    if (rc == 0)
        rc = fm_store__prepare(st, "SELECT school_ref, employer_ref, status, student_ref"
                               " FROM assignments"
                               " WHERE round_id = ?1 AND side = ?2 AND (student_ref = ?3"
                               " OR (?4 IS NOT NULL AND employer_ref = ?4"
                               " AND fm_pupil_ref(round_id, employer_ref, student_ref) = ?3))"
                               " ORDER BY employer_ref IS ?4 DESC LIMIT 1", &s, err);
    fm_assignment_status was = FM_ASSIGNMENT_UNMATCHED;
    char real_ref[FM_STORE_REF_MAX + 1] = "";
    if (rc == 0) {
        sqlite3_bind_int64(s, 1, round_id);
        sqlite3_bind_int(s, 2, (int)side);
        fm_store__bind_text(s, 3, student_ref);
        if (who->role == FM_ROLE_EMPLOYER)
            fm_store__bind_text(s, 4, who->ref);
        int step = sqlite3_step(s);
        int mine = 0;
        if (step == SQLITE_ROW) {
            fm_store__column_copy(s, 3, real_ref, sizeof real_ref);
            const char *school = (const char *)sqlite3_column_text(s, 0);
            const char *employer = (const char *)sqlite3_column_text(s, 1);
            mine = who->role == FM_ROLE_COORDINATOR ||
                   (who->role == FM_ROLE_SCHOOL && school && strcmp(school, who->ref) == 0) ||
                   (who->role == FM_ROLE_EMPLOYER && employer &&
                    strcmp(employer, who->ref) == 0);
            was = assignment_parse((const char *)sqlite3_column_text(s, 2));
        } else if (step != SQLITE_DONE) {
            rc = fm_store__sql_fail(st, err, step, "reading an assignment");
        }
        if (rc == 0 && !mine) {
            fm_store__set_row(err, who->role == FM_ROLE_COORDINATOR ? "student_ref" : "scope",
                              "student_ref", student_ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "no such assignment in round %lld",
                                (long long)round_id);
        }
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == 0 && was != status) {
        int ok = (was == FM_ASSIGNMENT_PROPOSED) ||
                 (was == FM_ASSIGNMENT_CONFIRMED && status == FM_ASSIGNMENT_DECLINED);
        if (!ok) {
            fm_store__set_row(err, "status", "student_ref", student_ref);
            rc = fm_store__fail(st, err, FM_EINVAL, "an assignment that is %s cannot "
                                "become %s", was == FM_ASSIGNMENT_UNMATCHED ? "unmatched"
                                : fm_assignment_status_name(was),
                                fm_assignment_status_name(status));
        }
        if (rc == 0)
            rc = fm_store__prepare(st, "UPDATE assignments SET status = ?4"
                                   " WHERE round_id = ?1 AND side = ?2 AND student_ref = ?3",
                                   &s, err);
        if (rc == 0) {
            sqlite3_bind_int64(s, 1, round_id);
            sqlite3_bind_int(s, 2, (int)side);
            fm_store__bind_text(s, 3, real_ref);
            fm_store__bind_text(s, 4, fm_assignment_status_name(status));
            rc = fm_store__step_done(st, s, "changing an assignment", err);
        }
        sqlite3_finalize(s);
    }
    rc = fm_store__finish(st, rc, err);
    return rc;
}
