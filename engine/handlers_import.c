/*
 * handlers_import.c - import_csv: a CSV file sent as text in chunks, parsed
 * by the same readers as `fairmatch solve` (fm_csv_read_*_mem) and stored
 * all-or-nothing.
 *
 * Normal case: the first chunk (upload_id 0, offset 0) opens an upload on
 * the connection and the answer gives its id; each further chunk must carry
 * that id, the same kind, and offset = the bytes received so far; its bytes
 * are appended (the buffer grows by doubling, never past max_upload_bytes).
 * The chunk with last = true detaches the upload and hands it to a job: the
 * CSV reader of the kind fills a fresh region (errors name the client's
 * file name, line and column), then fm_store_put_region_rows writes it in
 * one transaction.  The answer has the rows written and the reader's
 * warnings (unknown columns).
 *
 * Failure cases: no kind, a role that may not write the kind
 * (PERMISSION_DENIED), more than 4 uploads open on one connection or a
 * file over max_upload_bytes (RESOURCE_EXHAUSTED, the upload is dropped),
 * or all uploads together over 4 x max_upload_bytes (RESOURCE_EXHAUSTED),
 * an unknown upload id (NOT_FOUND), a wrong offset or kind
 * (FAILED_PRECONDITION; the upload stays as it was, so the client can
 * resend), a CSV error (INVALID_ARGUMENT with file, line, column, field,
 * ref; nothing stored), a scope refusal by the store (PERMISSION_DENIED).
 * Uploads still open when their connection closes are freed with it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "csv_input.h"
#include "handlers.h"
#include "jobs.h"
#include "log.h"

#define UPLOADS_PER_CONN 4
#define NAME_MAX_BYTES 200

struct fm_upload {
    uint64_t id;
    fm_store_kind kind;
    char name[NAME_MAX_BYTES + 1];
    char *data;
    size_t len, cap;
    fm_upload *next;
};

static uint64_t next_upload_id;

static void upload_free(fm_server *s, fm_upload *u)
{
    if (!u)
        return;
    s->upload_bytes -= u->cap;
    free(u->data);
    free(u);
}

void fm_uploads_free(fm_conn *c)
{
    fm_upload *u = c->uploads;
    while (u) {
        fm_upload *next = u->next;
        upload_free(c->srv, u);
        u = next;
    }
    c->uploads = NULL;
    c->n_uploads = 0;
}

static void detach(fm_conn *c, fm_upload *u)
{
    for (fm_upload **pp = &c->uploads; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            c->n_uploads--;
            u->next = NULL;
            return;
        }
}

static int may_write(const fm_store_scope *who, fm_store_kind kind)
{
    switch (who->role) {
    case FM_ROLE_COORDINATOR: return 1;
    case FM_ROLE_SCHOOL: return kind == FM_STORE_STUDENTS || kind == FM_STORE_SCHOOLS;
    case FM_ROLE_EMPLOYER: return kind == FM_STORE_PLACEMENTS;
    default: return 0;
    }
}

/* Appends n bytes; 0, or -1 over max, -2 out of memory, -3 over the
 * daemon's total for uploads. */
static int append(fm_server *s, fm_upload *u, const uint8_t *p, size_t n, size_t max)
{
    if (n > max || u->len > max - n)
        return -1;
    if (u->len + n + 1 > u->cap) {
        size_t cap = u->cap ? u->cap : 64 * 1024;
        while (cap < u->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        size_t total = max > SIZE_MAX / 4 ? SIZE_MAX : max * 4;
        if (s->upload_bytes - u->cap + cap > total)
            return -3;
        char *d = realloc(u->data, cap);
        if (!d)
            return -2;
        s->upload_bytes += cap - u->cap;
        u->data = d;
        u->cap = cap;
    }
    if (n)
        memcpy(u->data + u->len, p, n);
    u->len += n;
    u->data[u->len] = '\0';
    return 0;
}

/* ---- the job: parse and store ------------------------------------------------ */

typedef struct import_job {
    fm_upload *upload;
    fm_store_scope who;
    size_t rows;
    fm_csv_warnings warnings;
    /* The answer, allocated before the rows are written: once they are
     * committed, nothing may fail and make the answer an error. */
    Fairmatch__V1__ImportCsvResponse *answer;
    Fairmatch__V1__UpsertResponse *result;
    char **warning_lines;     /* FM_CSV_WARNINGS_MAX slots, into warnings */
} import_job;

static void import_work(fm_job *j, fm_store *st)
{
    import_job *im = j->data;
    fm_upload *u = im->upload;
    fm_region region;
    fm_region_init(&region);
    fm_csv_warnings_clear(&im->warnings);
    const char *data = u->data ? u->data : "";
    int rc;
    switch (u->kind) {
    case FM_STORE_STUDENTS:
        rc = fm_csv_read_students_mem(&region, u->name, data, u->len, &im->warnings, &j->err);
        break;
    case FM_STORE_PLACEMENTS:
        rc = fm_csv_read_placements_mem(&region, u->name, data, u->len, &im->warnings, &j->err);
        break;
    case FM_STORE_MENTORS:
        rc = fm_csv_read_mentors_mem(&region, u->name, data, u->len, &im->warnings, &j->err);
        break;
    default:
        rc = fm_csv_read_schools_mem(&region, u->name, data, u->len, &im->warnings, &j->err);
        break;
    }
    if (rc == 0) {
        rc = fm_store_put_region_rows(st, &im->who, &region, u->kind, &im->rows, &j->err);
        /* The store names its database; the client should see its own file
         * (and never the server's paths). */
        if (rc != 0)
            snprintf(j->err.file, sizeof j->err.file, "%s", u->name);
    }
    fm_region_free(&region);
    j->rc = rc;
}

static Fairmatch__V1__ImportCsvResponse *new_answer(fm_call *call, uint64_t id,
                                                    uint64_t received)
{
    Fairmatch__V1__ImportCsvResponse *r = fm_arena_alloc(&call->arena, sizeof(*r));
    if (!r)
        return NULL;
    fairmatch__v1__import_csv_response__init(r);
    r->upload_id = id;
    r->received = received;
    call->resp.import_csv = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_IMPORT_CSV;
    return r;
}

static void import_done(fm_job *j)
{
    import_job *im = j->data;
    fm_call *call = j->call;
    fm_upload *u = im->upload;
    if (j->rc != 0) {
        fm_call_fail_err(call, &j->err, 1);
        fm_logf(FM_LOG_INFO, "import_failed", "conn=%llu req=%llu kind=%s line=%ld column=%ld",
                (unsigned long long)call->conn->id, (unsigned long long)call->id,
                fm_store_kind_name(u->kind), j->err.line, j->err.column);
    } else {
        Fairmatch__V1__UpsertResponse *res = im->result;
        size_t nw = im->warnings.count < FM_CSV_WARNINGS_MAX ? im->warnings.count
                                                              : FM_CSV_WARNINGS_MAX;
        fairmatch__v1__upsert_response__init(res);
        res->rows = im->rows;
        res->warning_count = im->warnings.count;
        for (size_t i = 0; i < nw; i++)
            im->warning_lines[i] = im->warnings.text[i];
        res->warnings = im->warning_lines;
        res->n_warnings = nw;
        im->answer->received = u->len;
        im->answer->done = 1;
        im->answer->result = res;
    }
    upload_free(call->srv, u);
    fm_call_finish(call); /* packs the answer: the warnings are still here */
    free(im);
}

/* ---- the handler ------------------------------------------------------------- */

void fm_handle_import_csv(fm_call *call)
{
    const Fairmatch__V1__ImportCsvRequest *q = call->req->import_csv;
    fm_conn *c = call->conn;
    size_t max = call->srv->cfg.max_upload;
    fm_store_kind kind = fm_convert_kind(q->kind);
    fm_upload *u = NULL;
    if (!kind) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "kind is not set");
        call->error.field = "kind";
        goto answer;
    }
    if (!may_write(&call->who, kind)) {
        fm_call_fail(call, FM_CODE(PERMISSION_DENIED), "this token may not import %s",
                     fm_store_kind_name(kind));
        goto answer;
    }
    if (q->upload_id == 0) {
        if (q->offset != 0) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "the first chunk of an upload "
                         "has offset 0");
            call->error.field = "offset";
            goto answer;
        }
        if (c->n_uploads >= UPLOADS_PER_CONN) {
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "%d uploads are already open on "
                         "this connection; finish one first", UPLOADS_PER_CONN);
            goto answer;
        }
        const char *name = q->file_name && *q->file_name ? q->file_name : NULL;
        if (name && (strlen(name) > NAME_MAX_BYTES || !fm_utf8_valid(name, strlen(name)))) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "file_name must be valid UTF-8 of "
                         "at most %d bytes", NAME_MAX_BYTES);
            call->error.field = "file_name";
            goto answer;
        }
        u = calloc(1, sizeof(*u));
        if (!u) {
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory");
            goto answer;
        }
        u->id = ++next_upload_id;
        u->kind = kind;
        snprintf(u->name, sizeof u->name, "%s", name ? name : fm_store_kind_name(kind));
        if (!name)
            strncat(u->name, ".csv", sizeof u->name - strlen(u->name) - 1);
        u->next = c->uploads;
        c->uploads = u;
        c->n_uploads++;
    } else {
        for (u = c->uploads; u && u->id != q->upload_id; u = u->next)
            ;
        if (!u) {
            fm_call_fail(call, FM_CODE(NOT_FOUND), "no upload %llu is open on this "
                         "connection", (unsigned long long)q->upload_id);
            call->error.field = "upload_id";
            goto answer;
        }
        if (u->kind != kind) {
            fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "upload %llu imports %s, not %s",
                         (unsigned long long)u->id, fm_store_kind_name(u->kind),
                         fm_store_kind_name(kind));
            call->error.field = "kind";
            goto answer;
        }
        if (q->offset != u->len) {
            fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "upload %llu has %zu bytes; "
                         "this chunk says offset %llu", (unsigned long long)u->id, u->len,
                         (unsigned long long)q->offset);
            call->error.field = "offset";
            goto answer;
        }
    }
    int a = append(call->srv, u, q->data.data, q->data.len, max);
    if (a != 0) {
        if (a == -1)
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "the file is over this daemon's "
                         "limit of %zu bytes (max_upload_bytes); the upload is dropped", max);
        else if (a == -3)
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "the daemon holds too many "
                         "uploads right now; the upload is dropped, try again later");
        else
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory; the upload is "
                         "dropped");
        detach(c, u);
        upload_free(call->srv, u);
        goto answer;
    }
    if (!q->last) {
        if (!new_answer(call, u->id, u->len)) {
            /* The client could not learn the upload's id: drop it. */
            detach(c, u);
            upload_free(call->srv, u);
        }
        goto answer;
    }
    detach(c, u);
    import_job *im = calloc(1, sizeof(*im));
    fm_job *j = calloc(1, sizeof(*j));
    if (im) {
        im->answer = new_answer(call, u->id, u->len);
        im->result = fm_arena_alloc(&call->arena, sizeof(*im->result));
        im->warning_lines = fm_arena_array(&call->arena, FM_CSV_WARNINGS_MAX, sizeof(char *));
    }
    if (!im || !j || !im->answer || !im->result || !im->warning_lines) {
        free(im);
        free(j);
        upload_free(call->srv, u);
        fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory");
        goto answer;
    }
    im->upload = u;
    im->who = call->who;
    j->call = call;
    j->data = im;
    j->work_fn = import_work;
    j->done_fn = import_done;
    if (fm_job_submit(call->srv, j) != 0) {
        free(im);
        free(j);
        upload_free(call->srv, u);
        fm_call_fail(call, FM_CODE(INTERNAL), "the work could not be queued");
        goto answer;
    }
    return;
answer:
    fm_call_finish(call);
}
