/*
 * handlers_status.c - the status method: is the daemon up, who am I.
 *
 * Normal case: answers the version, uptime, the connection's role and
 * scope, the frame maximum that applies now, whether a shutdown is under
 * way, and, with a valid token, the rounds running and the row counts the
 * token may see (fm_store_count; kept for up to a second per scope, since
 * counting a region's pupils takes milliseconds on the loop thread).  Works
 * without a token (then no counts), and during shutdown.
 * Failure case: the counts cannot be read -> INTERNAL (the log says why).
 */
#include "handlers.h"

#include <string.h>

#include "jobs.h"

#ifndef FM_VERSION
#define FM_VERSION "0.0.0"
#endif

#define COUNTS_TTL_S 1.0

static int same_scope(const fm_store_scope *a, const fm_store_scope *b)
{
    return a->role == b->role && strcmp(a->ref, b->ref) == 0;
}

/* The counts of who, from the cache when fresh, else from the store. */
static int counts_for(fm_server *s, const fm_store_scope *who, fm_store_counts *out,
                      fm_error *err)
{
    double now = fm_server_now();
    fm_status_cache *slot = &s->status_cache[0];
    for (int i = 0; i < FM_STATUS_CACHE; i++) {
        fm_status_cache *e = &s->status_cache[i];
        if (e->at > 0 && same_scope(&e->who, who)) {
            if (now - e->at < COUNTS_TTL_S) {
                *out = e->counts;
                return 0;
            }
            slot = e;
            break;
        }
        if (e->at < slot->at)
            slot = e; /* the oldest entry makes room */
    }
    int rc = fm_store_count(s->store, who, out, err);
    if (rc == 0) {
        slot->who = *who;
        slot->counts = *out;
        slot->at = now;
    }
    return rc;
}

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
    r->max_frame_bytes = call->conn->in.reader.max;
    r->shutting_down = s->shutting_down != 0;
    r->role = (Fairmatch__V1__Role)call->who.role;
    r->scope = fm_arena_str(a, call->who.ref);
    if (call->who.role != FM_ROLE_NONE) {
        r->rounds_running = s->n_rounds;
        fm_store_counts counts;
        fm_error err;
        fm_error_clear(&err);
        int rc = counts_for(s, &call->who, &counts, &err);
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
