/*
 * handlers_rows.c - typed batches of rows (upsert_schools, upsert_students,
 * upsert_placements, upsert_mentors), withdraw and list.
 *
 * Normal case, upsert: the role is checked first (mentors: coordinator;
 * placements: coordinator or employer; students and schools: coordinator
 * or school), then a job on the thread pool converts the rows into a region
 * (convert.h: every field checked by the files.md rules) and writes them
 * with fm_store_put_region_rows in one transaction; the answer says how
 * many rows were written.  withdraw and list run on the loop thread: they
 * are single indexed statements over at most one page.
 *
 * Failure cases: a role that may not write this kind -> PERMISSION_DENIED
 * before any work; a bad row -> INVALID_ARGUMENT naming the row's
 * position, ref and field, nothing written; a row outside the token's scope
 * (another school's pupil, another employer's placement) -> the store's
 * refusal, PERMISSION_DENIED, nothing written; an unknown ref in withdraw
 * -> NOT_FOUND, nothing withdrawn; a bad page token -> INVALID_ARGUMENT;
 * database failures -> INTERNAL.
 */
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "handlers.h"
#include "jobs.h"
#include "log.h"

#define LIST_PAGE_DEFAULT 500
#define LIST_PAGE_MAX 10000
#define WITHDRAW_MAX 100000

static int may_write(const fm_store_scope *who, fm_store_kind kind)
{
    switch (who->role) {
    case FM_ROLE_COORDINATOR: return 1;
    case FM_ROLE_SCHOOL: return kind == FM_STORE_STUDENTS || kind == FM_STORE_SCHOOLS;
    case FM_ROLE_EMPLOYER: return kind == FM_STORE_PLACEMENTS;
    default: return 0;
    }
}

static const char *writers(fm_store_kind kind)
{
    switch (kind) {
    case FM_STORE_STUDENTS: return "a coordinator or the pupils' school";
    case FM_STORE_SCHOOLS: return "a coordinator or the school itself";
    case FM_STORE_PLACEMENTS: return "a coordinator or the placements' employer";
    default: return "a coordinator";
    }
}

/* ---- upsert ---------------------------------------------------------------- */

typedef struct upsert_job {
    fm_store_kind kind;
    fm_store_scope who;
    size_t rows;
    /* Allocated before the rows are written: once they are committed,
     * nothing may fail and turn the answer into an error. */
    Fairmatch__V1__UpsertResponse *answer;
} upsert_job;

static void upsert_work(fm_job *j, fm_store *st)
{
    upsert_job *u = j->data;
    const Fairmatch__V1__Request *req = j->call->req;
    fm_region region;
    fm_region_init(&region);
    int rc;
    switch (req->method_case) {
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_SCHOOLS:
        rc = fm_convert_schools_in(&region, req->upsert_schools->rows,
                                   req->upsert_schools->n_rows, &j->err);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_STUDENTS:
        rc = fm_convert_students_in(&region, req->upsert_students->rows,
                                    req->upsert_students->n_rows, &j->err);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_PLACEMENTS:
        rc = fm_convert_placements_in(&region, req->upsert_placements->rows,
                                      req->upsert_placements->n_rows, &j->err);
        break;
    default:
        rc = fm_convert_mentors_in(&region, req->upsert_mentors->rows,
                                   req->upsert_mentors->n_rows, &j->err);
        break;
    }
    if (rc == 0)
        rc = fm_store_put_region_rows(st, &u->who, &region, u->kind, &u->rows, &j->err);
    fm_region_free(&region);
    j->rc = rc;
}

static void upsert_done(fm_job *j)
{
    upsert_job *u = j->data;
    fm_call *call = j->call;
    if (j->rc != 0) {
        fm_call_fail_err(call, &j->err, 0);
    } else {
        Fairmatch__V1__UpsertResponse *r = u->answer;
        fairmatch__v1__upsert_response__init(r);
        r->rows = u->rows;
        call->resp.upsert_schools = r; /* same slot for the four cases */
        call->resp.result_case = (Fairmatch__V1__Response__ResultCase)call->req->method_case;
    }
    free(u);
    fm_call_finish(call);
}

void fm_handle_upsert(fm_call *call)
{
    fm_store_kind kind;
    switch (call->req->method_case) {
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_SCHOOLS: kind = FM_STORE_SCHOOLS; break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_STUDENTS: kind = FM_STORE_STUDENTS; break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_PLACEMENTS: kind = FM_STORE_PLACEMENTS; break;
    default: kind = FM_STORE_MENTORS; break;
    }
    if (!may_write(&call->who, kind)) {
        fm_call_fail(call, FM_CODE(PERMISSION_DENIED), "%s may be written only by %s",
                     fm_store_kind_name(kind), writers(kind));
        fm_call_finish(call);
        return;
    }
    upsert_job *u = calloc(1, sizeof(*u));
    fm_job *j = calloc(1, sizeof(*j));
    if (u)
        u->answer = fm_arena_alloc(&call->arena, sizeof(*u->answer));
    if (!u || !j || !u->answer) {
        free(u);
        free(j);
        fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory");
        fm_call_finish(call);
        return;
    }
    u->kind = kind;
    u->who = call->who;
    j->call = call;
    j->data = u;
    j->work_fn = upsert_work;
    j->done_fn = upsert_done;
    if (fm_job_submit(call->srv, j) != 0) {
        free(u);
        free(j);
        fm_call_fail(call, FM_CODE(INTERNAL), "the work could not be queued");
        fm_call_finish(call);
    }
}

/* ---- withdraw -------------------------------------------------------------- */

void fm_handle_withdraw(fm_call *call)
{
    const Fairmatch__V1__WithdrawRequest *w = call->req->withdraw;
    fm_store_kind kind = fm_convert_kind(w->kind);
    if (!kind) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "kind is not set");
        call->error.field = "kind";
        goto done;
    }
    if (!may_write(&call->who, kind)) {
        fm_call_fail(call, FM_CODE(PERMISSION_DENIED), "%s may be withdrawn only by %s",
                     fm_store_kind_name(kind), writers(kind));
        goto done;
    }
    if (w->n_refs == 0 || w->n_refs > WITHDRAW_MAX) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "refs must list 1 to %d refs",
                     WITHDRAW_MAX);
        call->error.field = "refs";
        goto done;
    }
    for (size_t i = 0; i < w->n_refs; i++) {
        if (!fm_ref_valid(w->refs[i])) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT),
                         "refs[%zu] is not an id: 1 to 64 characters of A-Z a-z 0-9 _ - .", i);
            call->error.field = "refs";
            goto done;
        }
    }
    /* The answer first: once the rows are withdrawn, nothing may fail. */
    Fairmatch__V1__WithdrawResponse *r = fm_arena_alloc(&call->arena, sizeof(*r));
    if (!r)
        goto done; /* arena failed: finish answers INTERNAL */
    fm_error err;
    fm_error_clear(&err);
    size_t n = 0;
    int rc = fm_store_withdraw(call->srv->store, &call->who, kind,
                               (const char *const *)w->refs, w->n_refs, &n, &err);
    if (rc == FM_EINVAL && strcmp(err.field, "scope") != 0) {
        fm_call_fail_err(call, &err, 0);
        call->error.code = FM_CODE(NOT_FOUND);
        goto done;
    }
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        goto done;
    }
    fairmatch__v1__withdraw_response__init(r);
    r->withdrawn = n;
    call->resp.withdraw = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_WITHDRAW;
done:
    fm_call_finish(call);
}

/* ---- list ------------------------------------------------------------------ */

void fm_handle_list(fm_call *call)
{
    const Fairmatch__V1__ListRequest *q = call->req->list;
    fm_store_kind kind = fm_convert_kind(q->kind);
    fm_region region;
    fm_region_init(&region);
    if (!kind) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "kind is not set");
        call->error.field = "kind";
        goto done;
    }
    if (kind == FM_STORE_MENTORS && call->who.role != FM_ROLE_COORDINATOR) {
        fm_call_fail(call, FM_CODE(PERMISSION_DENIED), "mentors are listed only to a "
                     "coordinator");
        goto done;
    }
    const char *after = q->page_token;
    if (after && *after && !fm_ref_valid(after)) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "page_token is not one this daemon "
                     "gave out");
        call->error.field = "page_token";
        goto done;
    }
    size_t limit = fm_page_size(q->page_size, LIST_PAGE_DEFAULT, LIST_PAGE_MAX);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_store_list(call->srv->store, &call->who, kind, after, limit, &region, &err);
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        goto done;
    }
    Fairmatch__V1__ListResponse *r = fm_arena_alloc(&call->arena, sizeof(*r));
    if (!r)
        goto done;
    fairmatch__v1__list_response__init(r);
    if (fm_convert_list_out(&region, kind, &call->arena, r) != 0)
        goto done; /* arena failed: finish answers INTERNAL */
    size_t got = r->n_schools + r->n_students + r->n_placements + r->n_mentors;
    r->next_page_token = got >= limit
                             ? fm_arena_str(&call->arena, fm_convert_last_ref(&region, kind))
                             : (char *)"";
    call->resp.list = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_LIST;
done:
    fm_region_free(&region);
    fm_call_finish(call);
}
