/*
 * handlers_assignments.c - a round's assignments: list_assignments (pages,
 * scoped by role), export_round (the same pages as each party's typed
 * export rows) and decide_assignment (confirm / decline).
 *
 * Normal case: list_assignments checks that the round exists and is done,
 * then reads one page with fm_store_assignment_page, which applies the
 * token's scope row by row: a school sees its own pupils' rows (both
 * sides), an employer the matched placement rows of its own placements,
 * the coordinator everything.  An employer's rows carry only side,
 * target_ref, employer_ref and state, and of the pupil only what the store
 * gives an employer: pupil_ref (a keyed pseudonym), age_band, needs_access
 * and school_name -- never the student_ref, school_ref, birth date or
 * location.  Unmatched rows are left out unless include_unmatched.  The page
 * token is "<side>:<student_ref>" of the last row the store returned, or
 * for an employer "0:<pupil_ref>" (opaque to clients).  decide_assignment
 * sets confirmed / declined through the store, which checks scope and the
 * transition (an employer may name the pupil by its pupil_ref).
 * export_round reads the same pages and answers a coordinator or school
 * with ResultRow (the result files' columns and the state, unmatched rows
 * included) and an employer with EmployerRow (pseudonym, age band, access
 * needs, school name, placement and state: nothing else of the pupil).
 *
 * Failure cases: unknown round (NOT_FOUND), round not done
 * (FAILED_PRECONDITION), bad side / decision / ref / page token
 * (INVALID_ARGUMENT), a row outside the token's scope (PERMISSION_DENIED),
 * a transition the store refuses, e.g. an unmatched row or declined ->
 * confirmed (FAILED_PRECONDITION with the store's message), database
 * failures (INTERNAL).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "handlers.h"
#include "log.h"

#define PAGE_DEFAULT 500
#define PAGE_MAX 10000

static Fairmatch__V1__AssignmentState state_of(fm_assignment_status s)
{
    switch (s) {
    case FM_ASSIGNMENT_PROPOSED: return FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_PROPOSED;
    case FM_ASSIGNMENT_CONFIRMED: return FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_CONFIRMED;
    case FM_ASSIGNMENT_DECLINED: return FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_DECLINED;
    default: return FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_UNMATCHED;
    }
}

static Fairmatch__V1__Side side_of(fm_store_side s)
{
    return s == FM_SIDE_MENTOR ? FAIRMATCH__V1__SIDE__SIDE_MENTORS
                               : FAIRMATCH__V1__SIDE__SIDE_PLACEMENTS;
}

/* Round round_id must exist (for this token) and be done. */
static int round_done(fm_call *call, int64_t id)
{
    fm_store_round r;
    fm_store_round_init(&r);
    fm_error err;
    fm_error_clear(&err);
    int ok = -1;
    if (id <= 0) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "round_id is not set");
        call->error.field = "round_id";
        goto out;
    }
    int rc = fm_store_round_get(call->srv->store, &call->who, id, &r, &err);
    if (rc == FM_EINVAL && strcmp(err.field, "scope") != 0) {
        fm_call_fail(call, FM_CODE(NOT_FOUND), "no round %" PRId64, id);
        call->error.field = "round_id";
        goto out;
    }
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        goto out;
    }
    if (r.status != FM_ROUND_DONE) {
        fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "round %" PRId64 " has no results: "
                     "it is %s", id, fm_round_status_name(r.status));
        call->error.field = "round_id";
        goto out;
    }
    ok = 0;
out:
    fm_store_round_free(&r);
    return ok;
}

/* "<0|1>:<student_ref>" -> after row; 0 or -1. */
static int parse_token(const char *tok, fm_store_assignment *after)
{
    if ((tok[0] != '0' && tok[0] != '1') || tok[1] != ':' || !fm_ref_valid(tok + 2))
        return -1;
    memset(after, 0, sizeof(*after));
    after->side = tok[0] == '1' ? FM_SIDE_MENTOR : FM_SIDE_PLACEMENT;
    snprintf(after->student_ref, sizeof after->student_ref, "%s", tok + 2);
    snprintf(after->pupil_ref, sizeof after->pupil_ref, "%.15s", tok + 2);
    return 0;
}

static Fairmatch__V1__Assignment *row_out(fm_arena *a, const fm_store_assignment *row,
                                          int limited)
{
    Fairmatch__V1__Assignment *w = fm_arena_alloc(a, sizeof(*w));
    if (!w)
        return NULL;
    fairmatch__v1__assignment__init(w);
    w->side = side_of(row->side);
    w->target_ref = fm_arena_str(a, row->target_ref);
    w->employer_ref = fm_arena_str(a, row->employer_ref);
    w->state = state_of(row->status);
    if (limited) {
        /* student_ref and school_ref stay "" (the init value). */
        w->pupil_ref = fm_arena_str(a, row->pupil_ref);
        w->age_band = fm_arena_str(a, row->age_band);
        w->needs_access = row->needs_access != 0;
        w->school_name = fm_arena_str(a, row->school_name);
        return w;
    }
    w->student_ref = fm_arena_str(a, row->student_ref);
    w->school_ref = fm_arena_str(a, row->school_ref);
    w->tier = row->tier;
    w->rank = row->rank;
    w->distance_km = row->distance_km;
    w->utility = row->utility;
    const char *colon = strchr(row->reason, ':');
    if (colon) {
        w->reason = fm_arena_printf(a, "%.*s", (int)(colon - row->reason), row->reason);
        w->rule = fm_arena_str(a, colon + 1);
    } else {
        w->reason = fm_arena_str(a, row->reason);
    }
    return w;
}

/* The side of a request as a store query side; -1 (failed) if unknown. */
static int query_side(fm_call *call, Fairmatch__V1__Side side, int *out)
{
    switch (side) {
    case FAIRMATCH__V1__SIDE__SIDE_UNSPECIFIED: *out = -1; return 0;
    case FAIRMATCH__V1__SIDE__SIDE_PLACEMENTS: *out = FM_SIDE_PLACEMENT; return 0;
    case FAIRMATCH__V1__SIDE__SIDE_MENTORS: *out = FM_SIDE_MENTOR; return 0;
    default:
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "side is not a known value");
        call->error.field = "side";
        return -1;
    }
}

/* One page of round_id's rows for the caller (list_assignments and
 * export_round): *rows (free it) gets *n rows; *next the page token of the
 * page after, "" at the end.  -1 after failing the call. */
static int read_page(fm_call *call, uint64_t round_id, Fairmatch__V1__Side side,
                     uint32_t page_size, const char *page_token, fm_store_assignment **rows,
                     size_t *n, char **next)
{
    fm_store_assignment after;
    fm_store_assignment_query query;
    memset(&query, 0, sizeof query);
    *rows = NULL;
    *n = 0;
    if (query_side(call, side, &query.side) != 0)
        return -1;
    if (page_token && *page_token) {
        if (parse_token(page_token, &after) != 0) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "page_token is not one this "
                         "daemon gave out");
            call->error.field = "page_token";
            return -1;
        }
        query.after = &after;
    }
    if (round_done(call, (int64_t)round_id) != 0)
        return -1;
    size_t cap = fm_page_size(page_size, PAGE_DEFAULT, PAGE_MAX);
    *rows = calloc(cap, sizeof(**rows));
    if (!*rows) {
        fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory");
        return -1;
    }
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_store_assignment_page(call->srv->store, &call->who, (int64_t)round_id,
                                      &query, *rows, cap, n, &err);
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        return -1;
    }
    const fm_store_assignment *last = *n ? &(*rows)[*n - 1] : NULL;
    *next = *n == cap && last
                ? fm_arena_printf(&call->arena, "%d:%s", last->side == FM_SIDE_MENTOR,
                                  call->who.role == FM_ROLE_EMPLOYER ? last->pupil_ref
                                                                     : last->student_ref)
                : (char *)"";
    return *next ? 0 : -1;
}

void fm_handle_list_assignments(fm_call *call)
{
    const Fairmatch__V1__ListAssignmentsRequest *q = call->req->list_assignments;
    fm_arena *a = &call->arena;
    fm_store_assignment *rows = NULL;
    size_t n = 0;
    char *next = NULL;
    if (read_page(call, q->round_id, q->side, q->page_size, q->page_token, &rows, &n,
                  &next) != 0)
        goto done;
    Fairmatch__V1__ListAssignmentsResponse *r = fm_arena_alloc(a, sizeof(*r));
    Fairmatch__V1__Assignment **list = fm_arena_array(a, n, sizeof(*list));
    if (!r || !list)
        goto done;
    fairmatch__v1__list_assignments_response__init(r);
    int limited = call->who.role == FM_ROLE_EMPLOYER;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].status == FM_ASSIGNMENT_UNMATCHED && !q->include_unmatched)
            continue;
        Fairmatch__V1__Assignment *w = row_out(a, &rows[i], limited);
        if (!w)
            goto done;
        list[r->n_assignments++] = w;
    }
    r->assignments = list;
    r->next_page_token = next;
    call->resp.list_assignments = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_LIST_ASSIGNMENTS;
done:
    free(rows);
    fm_call_finish(call);
}

/* A coordinator's or school's export row: the result file's columns. */
static Fairmatch__V1__ResultRow *result_row(fm_arena *a, const fm_store_assignment *row)
{
    Fairmatch__V1__ResultRow *w = fm_arena_alloc(a, sizeof(*w));
    if (!w)
        return NULL;
    fairmatch__v1__result_row__init(w);
    w->side = side_of(row->side);
    w->student_ref = fm_arena_str(a, row->student_ref);
    w->school_ref = fm_arena_str(a, row->school_ref);
    w->tier = row->tier;
    w->target_ref = fm_arena_str(a, row->target_ref);
    w->employer_ref = fm_arena_str(a, row->employer_ref);
    w->rank = row->rank;
    w->distance_km = row->distance_km;
    w->utility = row->utility;
    w->reason = fm_arena_str(a, row->reason);
    w->state = state_of(row->status);
    return w->student_ref && w->school_ref && w->target_ref && w->employer_ref && w->reason
               ? w : NULL;
}

/* An employer's export row: the pseudonym and what the employer may know. */
static Fairmatch__V1__EmployerRow *employer_row(fm_arena *a, const fm_store_assignment *row)
{
    Fairmatch__V1__EmployerRow *w = fm_arena_alloc(a, sizeof(*w));
    if (!w)
        return NULL;
    fairmatch__v1__employer_row__init(w);
    w->pupil_ref = fm_arena_str(a, row->pupil_ref);
    w->age_band = fm_arena_str(a, row->age_band);
    w->needs_access = row->needs_access != 0;
    w->school_name = fm_arena_str(a, row->school_name);
    w->placement_ref = fm_arena_str(a, row->target_ref);
    w->state = state_of(row->status);
    return w->pupil_ref && w->age_band && w->school_name && w->placement_ref ? w : NULL;
}

void fm_handle_export_round(fm_call *call)
{
    const Fairmatch__V1__ExportRoundRequest *q = call->req->export_round;
    fm_arena *a = &call->arena;
    fm_store_assignment *rows = NULL;
    size_t n = 0;
    char *next = NULL;
    if (read_page(call, q->round_id, q->side, q->page_size, q->page_token, &rows, &n,
                  &next) != 0)
        goto done;
    Fairmatch__V1__ExportRoundResponse *r = fm_arena_alloc(a, sizeof(*r));
    if (!r)
        goto done;
    fairmatch__v1__export_round_response__init(r);
    r->next_page_token = next;
    if (call->who.role == FM_ROLE_EMPLOYER) {
        /* The store gives an employer only matched rows of its placements. */
        r->view = FAIRMATCH__V1__ROLE__ROLE_EMPLOYER;
        if (!(r->matches = fm_arena_array(a, n, sizeof(*r->matches))))
            goto done;
        for (size_t i = 0; i < n; i++)
            if (!(r->matches[r->n_matches++] = employer_row(a, &rows[i])))
                goto done;
    } else {
        r->view = call->who.role == FM_ROLE_SCHOOL ? FAIRMATCH__V1__ROLE__ROLE_SCHOOL
                                                   : FAIRMATCH__V1__ROLE__ROLE_COORDINATOR;
        if (!(r->results = fm_arena_array(a, n, sizeof(*r->results))))
            goto done;
        for (size_t i = 0; i < n; i++)
            if (!(r->results[r->n_results++] = result_row(a, &rows[i])))
                goto done;
    }
    call->resp.export_round = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_EXPORT_ROUND;
done:
    free(rows);
    fm_call_finish(call);
}

void fm_handle_decide_assignment(fm_call *call)
{
    const Fairmatch__V1__DecideAssignmentRequest *q = call->req->decide_assignment;
    fm_store_side side;
    fm_assignment_status status;
    if (q->side == FAIRMATCH__V1__SIDE__SIDE_PLACEMENTS) {
        side = FM_SIDE_PLACEMENT;
    } else if (q->side == FAIRMATCH__V1__SIDE__SIDE_MENTORS) {
        side = FM_SIDE_MENTOR;
    } else {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "side must be SIDE_PLACEMENTS or "
                     "SIDE_MENTORS");
        call->error.field = "side";
        goto done;
    }
    if (q->decision == FAIRMATCH__V1__DECISION__DECISION_CONFIRM) {
        status = FM_ASSIGNMENT_CONFIRMED;
    } else if (q->decision == FAIRMATCH__V1__DECISION__DECISION_DECLINE) {
        status = FM_ASSIGNMENT_DECLINED;
    } else {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "decision must be DECISION_CONFIRM or "
                     "DECISION_DECLINE");
        call->error.field = "decision";
        goto done;
    }
    if (!fm_ref_valid(q->student_ref)) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "student_ref is not an id: 1 to 64 "
                     "characters of A-Z a-z 0-9 _ - .");
        call->error.field = "student_ref";
        goto done;
    }
    if (round_done(call, (int64_t)q->round_id) != 0)
        goto done;
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_store_assignment_set_status(call->srv->store, &call->who, (int64_t)q->round_id,
                                            side, q->student_ref, status, &err);
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        if (call->error.code == FM_CODE(INVALID_ARGUMENT))
            call->error.code = FM_CODE(FAILED_PRECONDITION);
        goto done;
    }
    Fairmatch__V1__Assignment *w = fm_arena_alloc(&call->arena, sizeof(*w));
    if (!w)
        goto done;
    fairmatch__v1__assignment__init(w);
    w->side = q->side;
    w->student_ref = fm_arena_str(&call->arena, q->student_ref);
    w->state = state_of(status);
    call->resp.decide_assignment = w;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_DECIDE_ASSIGNMENT;
done:
    fm_call_finish(call);
}
