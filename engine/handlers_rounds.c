/*
 * handlers_rounds.c - rounds: run_round, round_status (with waiting),
 * show_round, list_rounds, cancel_round, rerun_round.
 *
 * Normal case: run_round (coordinator) checks the date and options,
 * creates the round in the store (queued) and queues its job (jobs.h),
 * then answers at once with the round's id and PHASE_QUEUED; the client
 * follows it with round_status, which reports the live phase of a running
 * round (LOADING, SOLVING, SAVING) or the stored state of a finished one,
 * and with wait_ms > 0 holds the answer until the phase changes.
 * show_round gives the stored vectors to every role, and the options,
 * timings, counts, proof flags and (if asked) the summary.json text to the
 * coordinator.  list_rounds pages newest first.  cancel_round stops a
 * queued or running round.
 *
 * Failure cases: not a coordinator for run / cancel / summary
 * (PERMISSION_DENIED); a bad date, policy or time limit
 * (INVALID_ARGUMENT, field named); max_rounds already queued or running
 * (RESOURCE_EXHAUSTED); an unknown round (NOT_FOUND); cancelling a round
 * that is not live, or re-running a round that is not done
 * (FAILED_PRECONDITION); database failures (INTERNAL).  rerun_round
 * (coordinator) queues a new round, with the source's date and options
 * unless the request gives its own ("rerun_of" in its policy JSON gives
 * parent_round_id), that keeps the source's confirmed rows (rerun.h).  A stored failed round is reported with its phase (FAILED or
 * CANCELLED) and an Error whose code follows the message's prefix.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "convert.h"
#include "handlers.h"
#include "jobs.h"
#include "log.h"
#include "policy_file.h"

#define PHASE(x) FAIRMATCH__V1__PHASE__PHASE_##x
#define WAIT_MAX_MS 60000
#define ROUNDS_PAGE_DEFAULT 50
#define ROUNDS_PAGE_MAX 1000
#define POLICY_NAME "fair-access-v1"
#define POLICY_JSON_MAX 4096   /* a round's stored options, constraints included */

static char *iso_time(fm_arena *a, int64_t t)
{
    if (t <= 0)
        return (char *)"";
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    return fm_arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static Fairmatch__V1__Error *failure_error(fm_arena *a, const char *msg)
{
    Fairmatch__V1__Error *e = fm_arena_alloc(a, sizeof(*e));
    if (!e)
        return NULL;
    fairmatch__v1__error__init(e);
    e->message = fm_arena_str(a, msg && *msg ? msg : "failed");
    if (starts_with(e->message, "cancelled:"))
        e->code = FM_CODE(CANCELLED);
    else if (starts_with(e->message, "time_limit:"))
        e->code = FM_CODE(DEADLINE_EXCEEDED);
    else if (starts_with(e->message, "interrupted:"))
        e->code = FM_CODE(UNAVAILABLE);
    else if (starts_with(e->message, "infeasible:"))
        e->code = FM_CODE(FAILED_PRECONDITION); /* valid input, constraints unmeetable */
    else
        e->code = FM_CODE(INTERNAL);
    return e;
}

/* RoundStatus of a stored round, with the live phase if its job runs. */
static Fairmatch__V1__RoundStatus *status_of(fm_call *call, const fm_store_round *r)
{
    fm_arena *a = &call->arena;
    Fairmatch__V1__RoundStatus *st = fm_arena_alloc(a, sizeof(*st));
    if (!st)
        return NULL;
    fairmatch__v1__round_status__init(st);
    st->round_id = (uint64_t)r->id;
    char d[11];
    fm_date_format(r->date, d);
    st->date = fm_arena_str(a, d);
    st->created_at = iso_time(a, r->created_at);
    fm_job *j = fm_jobs_find_round(call->srv, r->id);
    const char *failure = r->error;
    if (j) {
        st->phase = (Fairmatch__V1__Phase)atomic_load(&j->phase);
        st->elapsed_seconds = fm_server_now() - j->queued_at;
        if (st->phase == PHASE(FAILED) || st->phase == PHASE(CANCELLED))
            failure = j->failure; /* written before the phase was set */
        if (st->phase == PHASE(SOLVING))
            fm_jobs_progress_status(j, st);
    } else {
        switch (r->status) {
        case FM_ROUND_QUEUED: st->phase = PHASE(QUEUED); break;
        case FM_ROUND_RUNNING: st->phase = PHASE(SOLVING); break;
        case FM_ROUND_DONE: st->phase = PHASE(DONE); break;
        default:
            st->phase = starts_with(r->error, "cancelled:") ? PHASE(CANCELLED) : PHASE(FAILED);
            break;
        }
        int64_t end = r->finished_at > 0 ? r->finished_at : (int64_t)time(NULL);
        st->elapsed_seconds = r->created_at > 0 ? (double)(end - r->created_at) : 0;
    }
    if (st->phase == PHASE(FAILED) || st->phase == PHASE(CANCELLED))
        st->error = failure_error(a, failure);
    if (r->policy_json && strstr(r->policy_json, "rerun_of")) {
        json_t *p = json_loads(r->policy_json, 0, NULL);
        json_t *v = json_object_get(p, "rerun_of");
        if (json_is_integer(v) && json_integer_value(v) > 0)
            st->parent_round_id = (uint64_t)json_integer_value(v);
        json_decref(p);
    }
    return st;
}

/* Reads round id; on failure the call's error is set and -1 returned. */
static int get_round(fm_call *call, int64_t id, fm_store_round *r)
{
    fm_error err;
    fm_error_clear(&err);
    if (id <= 0) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "round_id is not set");
        call->error.field = "round_id";
        return -1;
    }
    int rc = fm_store_round_get(call->srv->store, &call->who, id, r, &err);
    if (rc == FM_EINVAL && strcmp(err.field, "scope") != 0) {
        fm_call_fail(call, FM_CODE(NOT_FOUND), "no round %" PRId64, id);
        call->error.field = "round_id";
        return -1;
    }
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        return -1;
    }
    return 0;
}

static void set_status_result(fm_call *call, Fairmatch__V1__RoundStatus *st)
{
    if (!st)
        return;
    /* run_round, round_status, rerun_round and cancel_round share the type. */
    call->resp.round_status = st;
    call->resp.result_case = (Fairmatch__V1__Response__ResultCase)call->req->method_case;
}

void fm_round_status_answer(fm_call *call, int64_t round_id)
{
    fm_store_round r;
    fm_store_round_init(&r);
    if (get_round(call, round_id, &r) == 0)
        set_status_result(call, status_of(call, &r));
    fm_store_round_free(&r);
    fm_call_finish(call);
}

static int coordinator_only(fm_call *call, const char *what)
{
    if (call->who.role == FM_ROLE_COORDINATOR)
        return 0;
    fm_call_fail(call, FM_CODE(PERMISSION_DENIED), "only a coordinator may %s", what);
    return -1;
}

/* Checks date and options; fills *date, *limit, *cons (the extra
 * constraints of options.constraints_json) and the policy JSON stored with
 * the round: {"policy", "time_limit_seconds"[, "constraints": {...}]}. */
static int round_options(fm_call *call, const char *date_s,
                         const Fairmatch__V1__RoundOptions *o, int32_t *date, double *limit,
                         fm_constraints *cons, char *policy_json, size_t size)
{
    if (!date_s || !*date_s) {
        *date = fm_date_today();
    } else if (fm_date_parse(date_s, date) != 0) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "date \"%.20s\" is not a date "
                     "YYYY-MM-DD", date_s);
        call->error.field = "date";
        return -1;
    }
    const char *policy = o && o->policy ? o->policy : "";
    if (*policy && strcmp(policy, POLICY_NAME) != 0 && strcmp(policy, "fair-access v1") != 0) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "unknown policy \"%.60s\"; this daemon "
                     "offers \"" POLICY_NAME "\"", policy);
        call->error.field = "options.policy";
        return -1;
    }
    double t = o ? o->time_limit_seconds : 0;
    if (!isfinite(t) || t < 0 || t > 1e9) {
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "time_limit_seconds must be 0 (none) "
                     "or a positive number of seconds");
        call->error.field = "options.time_limit_seconds";
        return -1;
    }
    double cap = call->srv->cfg.max_round_seconds;
    if (cap > 0 && (t == 0 || t > cap))
        t = cap;
    *limit = t;
    memset(cons, 0, sizeof *cons);
    const char *cj = o && o->constraints_json ? o->constraints_json : "";
    if (*cj) {
        fm_round_params p;
        memset(&p, 0, sizeof p);
        fm_error err;
        fm_error_clear(&err);
        if (fm_policy_text_read(cj, &p, &err) != 0 || p.time_limit_seconds != 0) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "constraints_json: %s%s%.300s",
                         err.field, err.field[0] ? ": " : "",
                         err.code ? err.message : "time_limit_seconds goes in its own field");
            call->error.field = "options.constraints_json";
            return -1;
        }
        *cons = p.constraints;
    }
    json_t *pj = json_pack("{s:s, s:f}", "policy", POLICY_NAME, "time_limit_seconds", t);
    if (pj && (fm_constraints_active(cons, 0) || fm_constraints_active(cons, 1)))
        json_object_set_new(pj, "constraints", fm_policy_constraints_json(cons));
    char *text = pj ? json_dumps(pj, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    json_decref(pj);
    if (!text || strlen(text) >= size) {
        free(text);
        fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "the round's options are too long");
        call->error.field = "options.constraints_json";
        return -1;
    }
    snprintf(policy_json, size, "%s", text);
    free(text);
    return 0;
}

/* Records a new round and queues its job: a plain round, or with source > 0
 * a rerun of round source.  Returns the new round's id, or 0 with the call
 * failed (too many rounds, the store refused, the job could not start). */
static int64_t queue_round(fm_call *call, int32_t date, double limit, const char *policy,
                           const fm_constraints *cons, int64_t source)
{
    fm_server *s = call->srv;
    if (s->n_rounds >= s->cfg.max_rounds) {
        fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "%u round(s) already queued or "
                     "running (max_rounds %u); wait for one to end", s->n_rounds,
                     s->cfg.max_rounds);
        return 0;
    }
    fm_error err;
    fm_error_clear(&err);
    int64_t id = 0;
    int rc = fm_store_round_create(s->store, &call->who, date, policy, &id, &err);
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        return 0;
    }
    rc = source > 0 ? fm_jobs_start_rerun(s, id, source, date, limit, cons, &err)
                    : fm_jobs_start_round(s, id, date, limit, cons, &err);
    if (rc != 0) {
        fm_error e2;
        fm_error_clear(&e2);
        fm_store_round_fail(s->store, id, "failed: could not be queued", &e2);
        fm_call_fail_err(call, &err, 0);
        return 0;
    }
    return id;
}

void fm_handle_run_round(fm_call *call)
{
    const Fairmatch__V1__RunRoundRequest *q = call->req->run_round;
    int32_t date;
    double limit;
    fm_constraints cons;
    char policy[POLICY_JSON_MAX];
    if (coordinator_only(call, "run a round") != 0 ||
        round_options(call, q->date, q->options, &date, &limit, &cons, policy,
                      sizeof policy) != 0)
        goto done;
    int64_t id = queue_round(call, date, limit, policy, &cons, 0);
    if (!id)
        goto done;
    fm_round_status_answer(call, id);
    return;
done:
    fm_call_finish(call);
}

void fm_handle_round_status(fm_call *call)
{
    const Fairmatch__V1__RoundStatusRequest *q = call->req->round_status;
    fm_job *j = q->round_id ? fm_jobs_find_round(call->srv, (int64_t)q->round_id) : NULL;
    if (j && q->wait_ms > 0 && atomic_load(&j->phase) == (int)q->known_phase) {
        /* Checks scope and existence now; answers later. */
        fm_store_round r;
        fm_store_round_init(&r);
        int ok = get_round(call, (int64_t)q->round_id, &r) == 0;
        fm_store_round_free(&r);
        if (!ok) {
            fm_call_finish(call);
            return;
        }
        uint32_t ms = q->wait_ms > WAIT_MAX_MS ? WAIT_MAX_MS : q->wait_ms;
        fm_jobs_wait(call->srv, j, call, (int)q->known_phase, ms);
        return;
    }
    fm_round_status_answer(call, (int64_t)q->round_id);
}

/* ---- show ------------------------------------------------------------------ */

static json_int_t jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static double jreal(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static Fairmatch__V1__SideSummary *side_summary(fm_arena *a, const fm_vector *v, json_t *side)
{
    Fairmatch__V1__SideSummary *s = fm_arena_alloc(a, sizeof(*s));
    Fairmatch__V1__Vector *w = fm_arena_alloc(a, sizeof(*w));
    if (!s || !w)
        return NULL;
    fairmatch__v1__side_summary__init(s);
    fairmatch__v1__vector__init(w);
    w->n1 = v->n1;
    w->n2 = v->n2;
    w->n3 = v->n3;
    w->utility = v->utility;
    s->vector = w;
    if (json_is_object(side)) {
        s->asked = jint(side, "asked");
        s->matched = jint(side, "matched");
        s->candidates = jint(side, "candidates");
        json_t *proof = json_object_get(side, "proof");
        s->proven_optimal = json_is_true(json_object_get(proof, "optimal")) &&
                            json_is_true(json_object_get(proof, "certificate_checked"));
    }
    return s;
}

void fm_handle_show_round(fm_call *call)
{
    const Fairmatch__V1__ShowRoundRequest *q = call->req->show_round;
    fm_arena *a = &call->arena;
    fm_store_round r;
    fm_store_round_init(&r);
    json_t *summary = NULL, *timings = NULL, *policy = NULL;
    if (q->include_summary_json && coordinator_only(call, "read a round's summary") != 0)
        goto done;
    if (get_round(call, (int64_t)q->round_id, &r) != 0)
        goto done;
    Fairmatch__V1__RoundInfo *info = fm_arena_alloc(a, sizeof(*info));
    if (!info)
        goto done;
    fairmatch__v1__round_info__init(info);
    info->status = status_of(call, &r);
    int coord = call->who.role == FM_ROLE_COORDINATOR;
    if (coord && r.summary_json)
        summary = json_loads(r.summary_json, 0, NULL);
    if (coord && r.timings_json)
        timings = json_loads(r.timings_json, 0, NULL);
    if (coord && r.policy_json)
        policy = json_loads(r.policy_json, 0, NULL);
    if (policy) {
        Fairmatch__V1__RoundOptions *o = fm_arena_alloc(a, sizeof(*o));
        if (o) {
            fairmatch__v1__round_options__init(o);
            json_t *p = json_object_get(policy, "policy");
            o->policy = fm_arena_str(a, json_is_string(p) ? json_string_value(p) : POLICY_NAME);
            o->time_limit_seconds = jreal(policy, "time_limit_seconds");
            json_t *cj = json_object_get(policy, "constraints");
            if (json_is_object(cj)) {
                char *text = json_dumps(cj, JSON_PRESERVE_ORDER | JSON_COMPACT);
                if (text)
                    o->constraints_json = fm_arena_str(a, text);
                free(text);
            }
            info->options = o;
        }
    }
    if (r.status == FM_ROUND_DONE) {
        info->placements = side_summary(a, &r.placements, json_object_get(summary, "placements"));
        info->mentors = side_summary(a, &r.mentors, json_object_get(summary, "mentors"));
    }
    if (timings) {
        Fairmatch__V1__Timings *t = fm_arena_alloc(a, sizeof(*t));
        if (t) {
            fairmatch__v1__timings__init(t);
            t->read_s = jreal(timings, "read_s");
            t->candidates_s = jreal(timings, "candidates_s");
            t->solve_s = jreal(timings, "solve_s");
            t->check_s = jreal(timings, "check_s");
            t->write_s = jreal(timings, "write_s");
            t->total_s = jreal(timings, "total_s");
            t->peak_rss_mb = jreal(timings, "peak_rss_mb");
            info->timings = t;
        }
    }
    json_t *counts = json_object_get(summary, "counts");
    if (json_is_object(counts)) {
        Fairmatch__V1__Counts *c = fm_arena_alloc(a, sizeof(*c));
        if (c) {
            fairmatch__v1__counts__init(c);
            c->students = (uint64_t)jint(counts, "students");
            c->placements = (uint64_t)jint(counts, "placements");
            c->mentors = (uint64_t)jint(counts, "mentors");
            c->schools = (uint64_t)jint(counts, "schools");
            info->counts = c;
        }
    }
    if (q->include_summary_json && r.summary_json)
        info->summary_json = fm_arena_str(a, r.summary_json);
    call->resp.show_round = info;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_SHOW_ROUND;
done:
    json_decref(summary);
    json_decref(timings);
    json_decref(policy);
    fm_store_round_free(&r);
    fm_call_finish(call);
}

/* ---- list ------------------------------------------------------------------ */

void fm_handle_list_rounds(fm_call *call)
{
    const Fairmatch__V1__ListRoundsRequest *q = call->req->list_rounds;
    fm_arena *a = &call->arena;
    size_t cap = fm_page_size(q->page_size, ROUNDS_PAGE_DEFAULT, ROUNDS_PAGE_MAX);
    int64_t before = 0;
    fm_store_round *rows = NULL;
    size_t n = 0;
    if (q->page_token && *q->page_token) {
        char *end;
        long long v = strtoll(q->page_token, &end, 10);
        if (*end || v <= 0) {
            fm_call_fail(call, FM_CODE(INVALID_ARGUMENT), "page_token is not one this "
                         "daemon gave out");
            call->error.field = "page_token";
            goto done;
        }
        before = v;
    }
    rows = calloc(cap, sizeof(*rows));
    if (!rows) {
        fm_call_fail(call, FM_CODE(RESOURCE_EXHAUSTED), "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        fm_store_round_init(&rows[i]);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_store_round_list(call->srv->store, before, rows, cap, &n, &err);
    if (rc != 0) {
        fm_call_fail_err(call, &err, 0);
        goto done;
    }
    Fairmatch__V1__ListRoundsResponse *r = fm_arena_alloc(a, sizeof(*r));
    Fairmatch__V1__RoundStatus **list = fm_arena_array(a, n, sizeof(*list));
    if (!r || !list)
        goto done;
    fairmatch__v1__list_rounds_response__init(r);
    for (size_t i = 0; i < n; i++)
        if ((list[r->n_rounds] = status_of(call, &rows[i])) != NULL)
            r->n_rounds++;
    r->rounds = list;
    r->next_page_token = n == cap && n > 0 ? fm_arena_printf(a, "%" PRId64, rows[n - 1].id)
                                           : (char *)"";
    call->resp.list_rounds = r;
    call->resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_LIST_ROUNDS;
done:
    if (rows) {
        for (size_t i = 0; i < cap; i++)
            fm_store_round_free(&rows[i]);
        free(rows);
    }
    fm_call_finish(call);
}

/* ---- cancel, rerun ------------------------------------------------------------ */

void fm_handle_cancel_round(fm_call *call)
{
    int64_t id = (int64_t)call->req->cancel_round->round_id;
    if (coordinator_only(call, "cancel a round") != 0)
        goto done;
    if (fm_jobs_cancel_round(call->srv, id, "by a coordinator") != 0) {
        fm_store_round r;
        fm_store_round_init(&r);
        if (get_round(call, id, &r) == 0) {
            fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "round %" PRId64 " is not "
                         "queued or running (it is %s)", id, fm_round_status_name(r.status));
            call->error.field = "round_id";
        }
        fm_store_round_free(&r);
        goto done;
    }
    fm_round_status_answer(call, id);
    return;
done:
    fm_call_finish(call);
}

void fm_handle_rerun_round(fm_call *call)
{
    const Fairmatch__V1__RerunRoundRequest *q = call->req->rerun_round;
    fm_store_round src;
    fm_store_round_init(&src);
    json_t *pol = NULL;
    int32_t date;
    double limit;
    fm_constraints cons;
    char policy[POLICY_JSON_MAX];
    if (coordinator_only(call, "re-run a round") != 0 ||
        get_round(call, (int64_t)q->round_id, &src) != 0)
        goto done;
    if (src.status != FM_ROUND_DONE) {
        fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "round %" PRId64 " is %s; only a "
                     "done round can be re-run", src.id, fm_round_status_name(src.status));
        call->error.field = "round_id";
        goto done;
    }
    /* The source's date and options unless the request gives its own. */
    char src_date[11];
    fm_date_format(src.date, src_date);
    Fairmatch__V1__RoundOptions inherited;
    fairmatch__v1__round_options__init(&inherited);
    const Fairmatch__V1__RoundOptions *o = q->options;
    if (!o) {
        pol = src.policy_json ? json_loads(src.policy_json, 0, NULL) : NULL;
        inherited.time_limit_seconds = jreal(pol, "time_limit_seconds");
        o = &inherited;
    }
    if (round_options(call, q->date && *q->date ? q->date : src_date, o, &date, &limit,
                      &cons, policy, sizeof policy) != 0)
        goto done;
    /* A re-run solves only what was not confirmed: floors and the other
     * constraints of the whole round cannot be held on that part yet. */
    if (fm_constraints_active(&cons, 0) || fm_constraints_active(&cons, 1) ||
        (src.policy_json && strstr(src.policy_json, "\"constraints\""))) {
        fm_call_fail(call, FM_CODE(FAILED_PRECONDITION), "a round with extra constraints "
                     "cannot be re-run yet; run a new round instead");
        call->error.field = "options.constraints_json";
        goto done;
    }
    size_t len = strlen(policy);
    if (len > 0 && policy[len - 1] == '}')
        snprintf(policy + len - 1, sizeof policy - (len - 1), ", \"rerun_of\": %" PRId64 "}",
                 src.id);
    int64_t id = queue_round(call, date, limit, policy, &cons, src.id);
    if (!id)
        goto done;
    json_decref(pol);
    fm_store_round_free(&src);
    fm_round_status_answer(call, id);
    return;
done:
    json_decref(pol);
    fm_store_round_free(&src);
    fm_call_finish(call);
}
