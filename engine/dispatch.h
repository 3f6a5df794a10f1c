/*
 * dispatch.h - from a frame to a handler and back: decoding the Request,
 * checking its token, routing by method, and answering with a Response
 * that echoes the request's id.  Private to engine/.
 *
 * Normal case: fm_dispatch_frame decodes the frame as a
 * fairmatch.v1.Request, checks the token (the request's, else the one the
 * connection presented before) with fm_store_token_check, and calls the
 * method's handler with a new fm_call.  A handler answers by filling
 * call->resp's result (memory from call->arena) and calling fm_call_finish,
 * at once or later from a job; fm_call_finish sends the Response (unless
 * the connection has gone), writes one log line and frees the call.
 *
 * Failure cases, each answered with an Error and the connection kept: a
 * frame that does not decode (INVALID_ARGUMENT; the id is recovered from the
 * bytes when field 1 is readable; RESOURCE_EXHAUSTED when it failed for
 * want of memory), no method (INVALID_ARGUMENT), a method
 * that needs a token without one, or a bad or revoked token
 * (UNAUTHENTICATED), the daemon shutting down (UNAVAILABLE).  Handlers
 * report with fm_call_fail / fm_call_fail_err; a store refusal of scope
 * becomes PERMISSION_DENIED.  Refusals are logged with the method, role and
 * code, never with refs, tokens or values.
 */
#ifndef FM_DISPATCH_H
#define FM_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "fairmatch.pb-c.h"
#include "server.h"
#include "store.h"

typedef Fairmatch__V1__Error__Code fm_code;
#define FM_CODE(x) FAIRMATCH__V1__ERROR__CODE__##x

struct fm_call {
    fm_server *srv;
    fm_conn *conn;                    /* referenced until the call ends */
    Fairmatch__V1__Request *req;      /* owned; NULL if the frame did not decode */
    Fairmatch__V1__Response resp;     /* result parts live in arena */
    Fairmatch__V1__Error error;
    fm_arena arena;
    fm_store_scope who;               /* role NONE without a token */
    uint64_t id;
    const char *method;               /* for logs */
    double started;
    /* round-status calls waiting for a phase change (jobs.c) */
    fm_job *wait_job;
    double wait_deadline;
    int wait_known_phase;
    struct fm_call *wait_next;
};

/* Takes ownership of frame (len bytes, from malloc). */
void fm_dispatch_frame(fm_conn *c, uint8_t *frame, size_t len);

/* Best effort, for a frame that did not decode: the value of varint field 1
 * (the request id) found before the first malformed field, else 0. */
uint64_t fm_dispatch_scan_id(const uint8_t *p, size_t len);

/* Sends the answer and frees the call.  Exactly once per call. */
void fm_call_finish(fm_call *call);

/* Sets the call's error (message printf-style); returns code. */
fm_code fm_call_fail(fm_call *call, fm_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the call's error from an fm_error: FM_EINVAL -> INVALID_ARGUMENT
 * (PERMISSION_DENIED when err->field is "scope"), FM_ENOMEM ->
 * RESOURCE_EXHAUSTED, FM_ELIMIT -> DEADLINE_EXCEEDED, FM_ECANCELLED ->
 * CANCELLED, FM_EIO and FM_EINTERNAL -> INTERNAL with a fixed message (the
 * details go to the log, without values).  with_place copies file, line and
 * column (CSV errors). */
void fm_call_fail_err(fm_call *call, const fm_error *err, int with_place);

/* The Error.Code for an FM_E* code. */
fm_code fm_code_of(int fm_rc, const fm_error *err);

/* Short name of a code for logs: "INVALID_ARGUMENT", ... */
const char *fm_code_name(fm_code code);

/* The page size a request asked for: 0 -> def, capped at max. */
size_t fm_page_size(uint32_t asked, size_t def, size_t max);

#endif
