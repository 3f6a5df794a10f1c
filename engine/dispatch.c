/*
 * dispatch.c - Request in, handler, Response out (dispatch.h).
 *
 * Normal case: decode, check the token, look the method up in the table,
 * call its handler; fm_call_finish packs the Response with the echoed id,
 * logs one line (conn, request id, method, role, code, milliseconds) and
 * frees the request, the arena and the call.
 * Failure cases: see dispatch.h.  A frame that does not decode is answered
 * with the id read from its bytes when a varint field 1 can be found before
 * the first malformed field, else id 0; one that did not decode because
 * memory ran out is answered RESOURCE_EXHAUSTED instead.  Out of memory
 * while building an answer turns it into an INTERNAL error without a
 * result; handlers that write allocate their answer before writing, so
 * that a committed write is never answered with an error.
 */
#include "dispatch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "jobs.h"
#include "log.h"

typedef struct method {
    Fairmatch__V1__Request__MethodCase which;
    const char *name;
    void (*handler)(fm_call *call);
    int needs_token;
} method;

#define M(CASE, name, fn, tok) {FAIRMATCH__V1__REQUEST__METHOD_##CASE, name, fn, tok}
static const method methods[] = {
    M(STATUS, "status", fm_handle_status, 0),
    M(UPSERT_SCHOOLS, "upsert_schools", fm_handle_upsert, 1),
    M(UPSERT_STUDENTS, "upsert_students", fm_handle_upsert, 1),
    M(UPSERT_PLACEMENTS, "upsert_placements", fm_handle_upsert, 1),
    M(UPSERT_MENTORS, "upsert_mentors", fm_handle_upsert, 1),
    M(IMPORT_CSV, "import_csv", fm_handle_import_csv, 1),
    M(WITHDRAW, "withdraw", fm_handle_withdraw, 1),
    M(LIST, "list", fm_handle_list, 1),
    M(RUN_ROUND, "run_round", fm_handle_run_round, 1),
    M(ROUND_STATUS, "round_status", fm_handle_round_status, 1),
    M(SHOW_ROUND, "show_round", fm_handle_show_round, 1),
    M(LIST_ASSIGNMENTS, "list_assignments", fm_handle_list_assignments, 1),
    M(DECIDE_ASSIGNMENT, "decide_assignment", fm_handle_decide_assignment, 1),
    M(RERUN_ROUND, "rerun_round", fm_handle_rerun_round, 1),
    M(LIST_ROUNDS, "list_rounds", fm_handle_list_rounds, 1),
    M(CANCEL_ROUND, "cancel_round", fm_handle_cancel_round, 1),
    M(EXPORT_ROUND, "export_round", fm_handle_export_round, 1),
};
#undef M

const char *fm_code_name(fm_code code)
{
    switch (code) {
    case FM_CODE(OK): return "OK";
    case FM_CODE(INVALID_ARGUMENT): return "INVALID_ARGUMENT";
    case FM_CODE(UNAUTHENTICATED): return "UNAUTHENTICATED";
    case FM_CODE(PERMISSION_DENIED): return "PERMISSION_DENIED";
    case FM_CODE(NOT_FOUND): return "NOT_FOUND";
    case FM_CODE(FAILED_PRECONDITION): return "FAILED_PRECONDITION";
    case FM_CODE(RESOURCE_EXHAUSTED): return "RESOURCE_EXHAUSTED";
    case FM_CODE(INTERNAL): return "INTERNAL";
    case FM_CODE(UNAVAILABLE): return "UNAVAILABLE";
    case FM_CODE(CANCELLED): return "CANCELLED";
    case FM_CODE(DEADLINE_EXCEEDED): return "DEADLINE_EXCEEDED";
    case FM_CODE(UNIMPLEMENTED): return "UNIMPLEMENTED";
    default: return "UNKNOWN";
    }
}

size_t fm_page_size(uint32_t asked, size_t def, size_t max)
{
    if (asked == 0)
        return def;
    return asked > max ? max : asked;
}

static void set_error(fm_call *call, fm_code code, const char *msg)
{
    Fairmatch__V1__Error *e = &call->error;
    fairmatch__v1__error__init(e);
    e->code = code;
    e->message = fm_arena_str(&call->arena, msg);
    if (!e->message)
        e->message = "out of memory";
    call->resp.error = e;
}

fm_code fm_call_fail(fm_call *call, fm_code code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(call, code, msg);
    return code;
}

fm_code fm_code_of(int rc, const fm_error *err)
{
    switch (rc) {
    case FM_EINVAL:
        return err && strcmp(err->field, "scope") == 0 ? FM_CODE(PERMISSION_DENIED)
                                                       : FM_CODE(INVALID_ARGUMENT);
    case FM_ENOMEM: return FM_CODE(RESOURCE_EXHAUSTED);
    case FM_ELIMIT: return FM_CODE(DEADLINE_EXCEEDED);
    case FM_ECANCELLED: return FM_CODE(CANCELLED);
    case FM_EINFEASIBLE: return FM_CODE(FAILED_PRECONDITION);
    case FM_EFULL: return FM_CODE(RESOURCE_EXHAUSTED);
    case FM_EREADONLY: return FM_CODE(FAILED_PRECONDITION);
    default: return FM_CODE(INTERNAL);
    }
}

void fm_call_fail_err(fm_call *call, const fm_error *err, int with_place)
{
    int rc = err->code ? err->code : FM_EINTERNAL;
    fm_code code = fm_code_of(rc, err);
    if (code == FM_CODE(INTERNAL)) {
        /* Database and internal details stay in the log (without values). */
        fm_logf(FM_LOG_ERROR, "internal_error", "conn=%" PRIu64 " req=%" PRIu64
                " method=%s fm_code=%s", call->conn->id, call->id,
                call->method ? call->method : "-", fm_error_code_name(rc));
        set_error(call, code, rc == FM_EIO
                  ? "the daemon's database could not be read or written; see its log"
                  : "internal error; see the daemon's log");
        return;
    }
    if (rc == FM_EFULL || rc == FM_EREADONLY) {
        /* The store's message names the database path: the client gets a
         * fixed text, the log the event. */
        fm_logf(FM_LOG_WARN, rc == FM_EFULL ? "store_full" : "store_readonly",
                "conn=%" PRIu64 " req=%" PRIu64 " method=%s", call->conn->id, call->id,
                call->method ? call->method : "-");
        set_error(call, code, rc == FM_EFULL
                  ? "the daemon's disk is full: nothing of this request was stored; "
                    "reads still work"
                  : "the daemon's database is read-only: nothing of this request was "
                    "stored; reads still work");
        return;
    }
    set_error(call, code, err->message[0] ? err->message : fm_error_code_name(rc));
    Fairmatch__V1__Error *e = &call->error;
    if (err->field[0])
        e->field = fm_arena_str(&call->arena, err->field);
    if (err->id[0])
        e->ref = fm_arena_str(&call->arena, err->id);
    if (with_place) {
        if (err->file[0])
            e->file = fm_arena_str(&call->arena, err->file);
        e->line = err->line;
        e->column = err->column;
    }
    if (!e->field || !e->ref || !e->file) {
        e->field = e->field ? e->field : (char *)"";
        e->ref = e->ref ? e->ref : (char *)"";
        e->file = e->file ? e->file : (char *)"";
    }
}

uint64_t fm_dispatch_scan_id(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t key = 0, v = 0;
        int shift = 0;
        for (;;) {
            if (i >= len || shift > 63)
                return 0;
            key |= (uint64_t)(p[i] & 0x7f) << shift;
            shift += 7;
            if (!(p[i++] & 0x80))
                break;
        }
        unsigned wt = (unsigned)(key & 7);
        uint64_t field = key >> 3;
        if (wt == 0) {
            shift = 0;
            for (;;) {
                if (i >= len || shift > 63)
                    return 0;
                v |= (uint64_t)(p[i] & 0x7f) << shift;
                shift += 7;
                if (!(p[i++] & 0x80))
                    break;
            }
            if (field == 1)
                return v;
        } else if (wt == 1) {
            if (len - i < 8)
                return 0;
            i += 8;
        } else if (wt == 5) {
            if (len - i < 4)
                return 0;
            i += 4;
        } else if (wt == 2) {
            shift = 0;
            for (;;) {
                if (i >= len || shift > 63)
                    return 0;
                v |= (uint64_t)(p[i] & 0x7f) << shift;
                shift += 7;
                if (!(p[i++] & 0x80))
                    break;
            }
            if (v > len - i)
                return 0;
            i += (size_t)v;
        } else {
            return 0;
        }
    }
    return 0;
}

static const char *role_name(const fm_store_scope *who)
{
    const char *n = fm_store_role_name(who->role);
    return n && *n ? n : "none";
}

void fm_call_finish(fm_call *call)
{
    fm_conn *c = call->conn;
    if (fm_arena_failed(&call->arena)) {
        call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT__NOT_SET;
        fm_call_fail(call, FM_CODE(INTERNAL), "out of memory while building the answer");
    }
    if (call->resp.error)
        call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT__NOT_SET;
    call->resp.id = call->id;
    fm_code code = call->resp.error ? call->resp.error->code : FM_CODE(OK);
    int refused = code == FM_CODE(UNAUTHENTICATED) || code == FM_CODE(PERMISSION_DENIED);
    fm_logf(refused ? FM_LOG_WARN : FM_LOG_DEBUG, refused ? "refused" : "request",
            "conn=%" PRIu64 " req=%" PRIu64 " method=%s role=%s code=%s ms=%.1f%s",
            c->id, call->id, call->method ? call->method : "-", role_name(&call->who),
            fm_code_name(code), (fm_server_now() - call->started) * 1000.0,
            c->closing ? " dropped=1" : "");
    /* Any other method may have changed what status counts. */
    if (!call->method || strcmp(call->method, "status") != 0)
        memset(call->srv->status_cache, 0, sizeof call->srv->status_cache);
    fm_conn_send(c, &call->resp);
    if (call->req)
        fairmatch__v1__request__free_unpacked(call->req, NULL);
    fm_arena_free(&call->arena);
    free(call);
    c->inflight--;
    fm_conn_call_done(c);
    fm_conn_unref(c);
}

/* Seconds a token confirmed by the store is trusted on its connection. */
#define AUTH_RECHECK_S 1.0

static int authenticate(fm_call *call, const method *m)
{
    fm_conn *c = call->conn;
    fm_server *s = call->srv;
    const char *tok = call->req->token;
    int from_conn = 0;
    if (!tok || !*tok) {
        if (!c->authed) {
            if (!m->needs_token)
                return 0;
            fm_call_fail(call, FM_CODE(UNAUTHENTICATED),
                         "%s needs a token (fairmatch --token, or FAIRMATCH_TOKEN)", m->name);
            return -1;
        }
        tok = c->token;
        from_conn = 1;
    }
    /* The store confirmed this connection's token less than a second ago:
     * a revocation still takes effect within a second, and a stream of
     * requests does not cost a database lookup each. */
    if (c->authed && (from_conn || strcmp(tok, c->token) == 0) &&
        fm_server_now() - c->auth_checked_at < AUTH_RECHECK_S) {
        call->who = c->who;
        return 0;
    }
    fm_token_info info;
    fm_error err;
    fm_error_clear(&err);
    int rc = strlen(tok) <= FM_STORE_TOKEN_LEN
                 ? fm_store_token_check(s->store, tok, &info, &err)
                 : FM_EINVAL;
    if (rc == FM_EINVAL) {
        if (from_conn || (c->authed && strcmp(tok, c->token) == 0))
            fm_conn_clear_auth(c);
        fm_call_fail(call, FM_CODE(UNAUTHENTICATED),
                     "the token is not valid (unknown, revoked or malformed)");
        return -1;
    }
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        return -1;
    }
    fm_conn_set_auth(c, tok, &info.scope);
    c->auth_checked_at = fm_server_now();
    call->who = info.scope;
    return 0;
}

/* protobuf-c's allocator for requests: malloc and free (so the request is
 * freed with the default allocator), noting a failed allocation -- a frame
 * that did not decode for want of memory is not the client's mistake. */
static void *unpack_alloc(void *failed, size_t n)
{
    void *p = malloc(n);
    if (!p)
        *(int *)failed = 1;
    return p;
}

static void unpack_free(void *failed, void *p)
{
    (void)failed;
    free(p);
}

void fm_dispatch_frame(fm_conn *c, uint8_t *frame, size_t len)
{
    fm_call *call = calloc(1, sizeof(*call));
    if (!call) {
        free(frame);
        fm_conn_close(c, "out_of_memory");
        return;
    }
    call->srv = c->srv;
    call->conn = c;
    call->started = fm_server_now();
    fm_arena_init(&call->arena);
    fairmatch__v1__response__init(&call->resp);
    fm_conn_ref(c);
    c->inflight++;

    int unpack_failed = 0;
    ProtobufCAllocator noting = {unpack_alloc, unpack_free, &unpack_failed};
    call->req = fairmatch__v1__request__unpack(&noting, len, frame);
    if (!call->req) {
        call->id = fm_dispatch_scan_id(frame, len);
        free(frame);
        if (unpack_failed) {
            fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED),
                         "out of memory while decoding the request; try again");
        } else {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT),
                         "the frame (%zu bytes) does not decode as a fairmatch.v1.Request", len);
            call->error.field = "frame";
        }
        fm_call_finish(call);
        return;
    }
    free(frame);
    call->id = call->req->id;

    const method *m = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].which == call->req->method_case)
            m = &methods[i];
    if (!m) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT),
                     "the request names no method this daemon knows");
        call->error.field = "method";
        fm_call_finish(call);
        return;
    }
    call->method = m->name;
    if (authenticate(call, m) != 0) {
        fm_call_finish(call);
        return;
    }
    if (c->srv->shutting_down && m->which != FAIRMATCH__V1__REQUEST__METHOD_STATUS) {
        fm_call_fail(call, FM_CODE(UNAVAILABLE), "the daemon is shutting down");
        fm_call_finish(call);
        return;
    }
    m->handler(call);
}
