/*
 * handlers_status.c - the status method: is the daemon up, who am I.
 *
 * Normal case: answers the version, uptime, the connection's role and
 * scope, the frame maximum that applies now, whether a shutdown is under
 * way, and, with a valid token, the rounds running and the row counts the
 * token may see (fm_store_count).  Works without a token (then no counts),
 * and during shutdown.
 * Failure case: the counts cannot be read -> INTERNAL (the log says why).
 */
#include "handlers.h"

#include "jobs.h"

#ifndef FM_VERSION
#define FM_VERSION "0.0.0"
#endif

void fm_handle_status(fm_call *call)
{
    fm_server *s = call->srv;
    fm_arena *a = &call->arena;
    Fairmatch__V1__StatusResponse *r = fm_arena_alloc(a, sizeof(*r));
    if (!r) {
        fm_call_finish(call);
        return;
    }
    fairmatch__v1__status_response__init(r);
    r->version = FM_VERSION;
    r->uptime_seconds = fm_server_now() - s->started_at;
    r->max_frame_bytes = call->conn->reader.max;
    r->shutting_down = s->shutting_down != 0;
    r->role = (Fairmatch__V1__Role)call->who.role;
    r->scope = fm_arena_str(a, call->who.ref);
    if (call->who.role != FM_ROLE_NONE) {
        r->rounds_running = s->n_rounds;
        fm_store_counts counts;
        fm_error err;
        fm_error_clear(&err);
        int rc = fm_store_count(s->store, &call->who, &counts, &err);
        if (rc != 0) {
            fm_call_fail_err(call, &err, 0);
            fm_call_finish(call);
            return;
        }
        Fairmatch__V1__Counts *c = fm_arena_alloc(a, sizeof(*c));
        if (c) {
            fairmatch__v1__counts__init(c);
            c->schools = (uint64_t)counts.schools;
            c->students = (uint64_t)counts.students;
            c->placements = (uint64_t)counts.placements;
            c->mentors = (uint64_t)counts.mentors;
            c->rounds = (uint64_t)counts.rounds;
            r->counts = c;
        }
    }
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_STATUS;
    call->resp.status = r;
    fm_call_finish(call);
}
