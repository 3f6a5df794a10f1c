/*
 * jobs.c - thread-pool work (jobs.h): the generic job, the worker store
 * pool, rounds (load, solve, save) and the calls that wait on a round.
 *
 * Normal case: fm_job_submit links the job into the server's list and
 * queues it with uv_queue_work.  On the pool thread, work_cb takes a worker
 * store (opening one if none is idle) and runs the job's work function;
 * on the loop thread, after_work_cb unlinks the job, finishes a round's
 * bookkeeping (waiting calls are answered from the store's final state),
 * runs the job's done function and frees the job.  A round's work is:
 * round_start, load the region (coordinator scope), fm_solver_run with a
 * cancel hook and the time limit, build the summary and timings JSON,
 * round_finish, each phase posted to the loop with uv_async_send.
 *
 * Failure cases: a worker store that cannot be opened fails the job (a
 * round records the failure from the loop thread instead).  A round's
 * failure is written with fm_store_round_fail and a message of the form
 * "cancelled: ...", "time_limit: ...", "infeasible: <constraint>, <party>:
 * <why>" (the round's extra constraints cannot be met) or
 * "failed: <stage>: ..." (no
 * personal values: the store's and solver's messages name refs only).
 * A round uv_cancel()ed before it started is recorded as cancelled from
 * the loop thread.  Memory for the region and result is freed on every
 * path.
 */
#include "jobs.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <jansson.h>

#include "dispatch.h"
#include "fairmatch.pb-c.h"
#include "log.h"
#include "rerun.h"
#include "round_output.h"
#include "solver.h"

#define PHASE(x) FAIRMATCH__V1__PHASE__PHASE_##x

/* ---- worker stores ------------------------------------------------------- */

static int pool_take(fm_server *s, fm_store **out, fm_error *err)
{
    *out = NULL;
    uv_mutex_lock(&s->pool_lock);
    if (s->n_pool > 0)
        *out = s->pool[--s->n_pool];
    uv_mutex_unlock(&s->pool_lock);
    if (*out)
        return 0;
    int rc = fm_store_open(s->cfg.db_path, 0, out, err);
    if (rc == 0 && s->cfg.db_max_bytes &&
        (rc = fm_store_set_max_bytes(*out, s->cfg.db_max_bytes, err)) != 0) {
        fm_store_close(*out);
        *out = NULL;
    }
    return rc;
}

static void pool_give(fm_server *s, fm_store *st)
{
    uv_mutex_lock(&s->pool_lock);
    if (s->n_pool == s->cap_pool) {
        unsigned cap = s->cap_pool ? s->cap_pool * 2 : 8;
        fm_store **p = realloc(s->pool, cap * sizeof(*p));
        if (!p) {
            uv_mutex_unlock(&s->pool_lock);
            fm_store_close(st);
            return;
        }
        s->pool = p;
        s->cap_pool = cap;
    }
    s->pool[s->n_pool++] = st;
    uv_mutex_unlock(&s->pool_lock);
}

void fm_jobs_free_pool(fm_server *s)
{
    for (unsigned i = 0; i < s->n_pool; i++)
        fm_store_close(s->pool[i]);
    free(s->pool);
    s->pool = NULL;
    s->n_pool = s->cap_pool = 0;
}

/* ---- generic job ----------------------------------------------------------- */

static void set_phase(fm_job *j, int phase)
{
    atomic_store(&j->phase, phase);
    uv_async_send(&j->srv->wake);
}

static void work_cb(uv_work_t *w)
{
    fm_job *j = w->data;
    fm_store *st = NULL;
    fm_error_clear(&j->err);
    int rc = pool_take(j->srv, &st, &j->err);
    if (rc != 0) {
        j->rc = rc;
        if (j->is_round) {
            j->record_failure = 1;
            snprintf(j->failure, sizeof j->failure,
                     "failed: opening the database: %s", fm_error_code_name(rc));
            set_phase(j, PHASE(FAILED));
        }
        return;
    }
    j->work_fn(j, st);
    pool_give(j->srv, st);
}

static void answer_waiters(fm_server *s, fm_job *j, int all);

static void after_work_cb(uv_work_t *w, int status)
{
    fm_job *j = w->data;
    fm_server *s = j->srv;
    if (j->prev)
        j->prev->next = j->next;
    else
        s->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    s->n_jobs--;
    if (j->is_round) {
        s->n_rounds--;
        if (status == UV_ECANCELED) {
            j->uv_cancelled = 1;
            j->record_failure = 1;
            snprintf(j->failure, sizeof j->failure, "cancelled: %s",
                     j->cancel_reason ? j->cancel_reason : "before it started");
            atomic_store(&j->phase, PHASE(CANCELLED));
        }
        if (j->record_failure) {
            fm_error err;
            fm_error_clear(&err);
            if (fm_store_round_fail(s->store, j->round_id, j->failure, &err) != 0)
                fm_logf(FM_LOG_ERROR, "round_fail_record_failed", "round=%" PRId64 " fm_code=%s",
                        j->round_id, fm_error_code_name(err.code));
        }
        int phase = atomic_load(&j->phase);
        fm_logf(phase == PHASE(DONE) ? FM_LOG_INFO : FM_LOG_WARN, "round_end",
                "round=%" PRId64 " phase=%s seconds=%.3f", j->round_id,
                phase == PHASE(DONE) ? "done" : phase == PHASE(CANCELLED) ? "cancelled"
                                                                          : "failed",
                fm_server_now() - j->queued_at);
        answer_waiters(s, j, 1);
    }
    if (j->done_fn)
        j->done_fn(j);
    free(j);
    fm_server_check_done(s);
}

int fm_job_submit(fm_server *s, fm_job *j)
{
    j->srv = s;
    j->work.data = j;
    j->next = s->jobs;
    j->prev = NULL;
    if (s->jobs)
        s->jobs->prev = j;
    s->jobs = j;
    s->n_jobs++;
    if (j->is_round)
        s->n_rounds++;
    int rc = uv_queue_work(s->loop, &j->work, work_cb, after_work_cb);
    if (rc != 0) {
        if (j->prev)
            j->prev->next = j->next;
        else
            s->jobs = j->next;
        if (j->next)
            j->next->prev = j->prev;
        s->n_jobs--;
        if (j->is_round)
            s->n_rounds--;
        return FM_EINTERNAL;
    }
    return 0;
}

/* ---- rounds ---------------------------------------------------------------- */

static int round_cancel_cb(void *arg)
{
    fm_job *j = arg;
    return atomic_load(&j->cancel);
}

/* The solver's progress, kept for round_status (jobs.h). */
static void round_progress_cb(const fm_progress *p, void *arg)
{
    fm_job *j = arg;
    atomic_store(&j->progress_bound, p->bound);
    atomic_store(&j->progress_incumbent, p->incumbent);
    atomic_store(&j->progress_gap, p->gap);
    atomic_store(&j->progress_level, p->level);
    atomic_store(&j->progress_side, p->side);
    atomic_store(&j->progress_phase, p->phase);
}

void fm_jobs_progress_status(fm_job *j, Fairmatch__V1__RoundStatus *st)
{
    const char *side = atomic_load(&j->progress_side), *phase = atomic_load(&j->progress_phase);
    if (!side || !phase)
        return;
    /* Static strings of the solver: no copy needed for the answer. */
    st->progress_side = (char *)side;
    st->progress_phase = (char *)phase;
    st->progress_level = (uint32_t)atomic_load(&j->progress_level);
    double b = atomic_load(&j->progress_bound), inc = atomic_load(&j->progress_incumbent);
    double gap = atomic_load(&j->progress_gap);
    if (isfinite(b) && isfinite(inc)) {
        st->has_bound = 1;
        st->bound = b;
        st->incumbent = inc;
        st->gap = isfinite(gap) ? gap : 0.0;
    }
}

static double now_s(void)
{
    return fm_server_now();
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* The summary as summary.json holds it, into *out (malloc). */
static int summary_text(const fm_region *r, const fm_round_params *p, const fm_result *res,
                        const fm_round_timing *t, char **out, fm_error *err)
{
    json_t *js = NULL;
    *out = NULL;
    int rc = fm_summary_json_new(r, p, res, t, &js, err);
    if (rc != 0)
        return rc;
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    if (!f) {
        json_decref(js);
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    }
    rc = fm_summary_json_write(f, js, err);
    if (fclose(f) != 0 && rc == 0)
        rc = fm_error_set(err, FM_ENOMEM, "out of memory");
    json_decref(js);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* Threads for a solve: one per CPU but one, so the loop keeps a core. */
static int solver_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 2 ? (int)cpus - 1 : 1;
}

static void round_work(fm_job *j, fm_store *st)
{
    fm_error *err = &j->err;
    double t0 = now_s(), t_loaded = t0;
    fm_region region;
    fm_region_init(&region);
    fm_result res;
    fm_result_init(&res);
    char *summary = NULL;
    fm_rerun keep;
    fm_rerun_init(&keep);
    const char *stage = "starting";
    int rc = 0;

    if (atomic_load(&j->cancel)) {
        rc = FM_ECANCELLED;
        goto fail;
    }
    if ((rc = fm_store_round_start(st, j->round_id, err)) != 0)
        goto fail;
    set_phase(j, PHASE(LOADING));
    stage = "loading the region";
    fm_store_scope coordinator;
    memset(&coordinator, 0, sizeof coordinator);
    coordinator.role = FM_ROLE_COORDINATOR;
    if ((rc = fm_store_load_region(st, &coordinator, &region, err)) != 0)
        goto fail;
    fm_region_sort_by_ref(&region); /* the same order as `fairmatch solve` */
    if (j->source_round_id > 0) {
        stage = "reading the confirmed assignments";
        if ((rc = fm_rerun_prepare(&keep, st, j->source_round_id, &region, err)) != 0)
            goto fail;
        fm_logf(FM_LOG_INFO, "round_rerun", "round=%" PRId64 " source=%" PRId64 " kept=%zu",
                j->round_id, j->source_round_id, keep.n_fixed);
    }
    t_loaded = now_s();
    fm_logf(FM_LOG_INFO, "round_loaded", "round=%" PRId64 " students=%zu placements=%zu "
            "mentors=%zu seconds=%.3f", j->round_id, region.n_students, region.n_placements,
            region.n_mentors, t_loaded - t0);

    set_phase(j, PHASE(SOLVING));
    stage = "solving";
    fm_round_params params;
    memset(&params, 0, sizeof params);
    params.date = j->date;
    params.time_limit_seconds = j->time_limit;
    params.threads = solver_threads(); /* leave a core to the event loop */
    params.cancel = round_cancel_cb;
    params.cancel_arg = j;
    params.constraints = j->constraints;
    params.progress = round_progress_cb;
    params.progress_arg = j;
    if ((rc = fm_solver_run(&region, &params, &res, err)) != 0)
        goto fail;
    fm_rerun_merge(&keep, &region, &res); /* the union, with its vectors */

    set_phase(j, PHASE(SAVING));
    stage = "saving";
    double t_solved = now_s();
    fm_round_timing tm;
    memset(&tm, 0, sizeof tm);
    const fm_side_result *sp = &res.placements, *sm = &res.mentors;
    tm.read_s = t_loaded - t0;
    tm.candidates_s = sp->seconds_candidates + sm->seconds_candidates;
    tm.solve_s = sp->seconds_counts + sp->seconds_utility + sm->seconds_counts +
                 sm->seconds_utility;
    tm.check_s = sp->seconds_check + sm->seconds_check;
    tm.total_s = t_solved - t0;
    tm.peak_rss_mb = peak_rss_mb();
    double t_w = now_s();
    if ((rc = summary_text(&region, &params, &res, &tm, &summary, err)) != 0)
        goto fail;
    tm.write_s = now_s() - t_w;
    tm.total_s = now_s() - t0;
    char timings[512];
    snprintf(timings, sizeof timings,
             "{\"read_s\": %.6f, \"candidates_s\": %.6f, \"solve_s\": %.6f, "
             "\"check_s\": %.6f, \"write_s\": %.6f, \"total_s\": %.6f, \"peak_rss_mb\": %.1f}",
             tm.read_s, tm.candidates_s, tm.solve_s, tm.check_s, tm.write_s, tm.total_s,
             tm.peak_rss_mb);
    const uint8_t *const kept[2] = {keep.confirmed[0], keep.confirmed[1]};
    if ((rc = fm_store_round_finish_kept(st, j->round_id, &region, &res,
                                         j->source_round_id > 0 ? kept : NULL, timings,
                                         summary, err)) != 0)
        goto fail;
    fm_logf(FM_LOG_INFO, "round_done",
            "round=%" PRId64 " placements_n1=%" PRId64 " placements_n2=%" PRId64
            " placements_n3=%" PRId64 " placements_u=%" PRId64 " mentors_n1=%" PRId64
            " mentors_n2=%" PRId64 " mentors_n3=%" PRId64 " mentors_u=%" PRId64
            " seconds=%.3f", j->round_id, sp->vector.n1, sp->vector.n2, sp->vector.n3,
            sp->vector.utility, sm->vector.n1, sm->vector.n2, sm->vector.n3,
            sm->vector.utility, now_s() - t0);
    set_phase(j, PHASE(DONE));
    goto out;

fail:
    if (rc == FM_ECANCELLED)
        snprintf(j->failure, sizeof j->failure, "cancelled: %s",
                 j->cancel_reason ? j->cancel_reason : "on request");
    else if (rc == FM_EINFEASIBLE)
        snprintf(j->failure, sizeof j->failure, "infeasible: %.60s%s%.90s: %.330s", err->field,
                 err->id[0] ? ", " : "", err->id, err->message);
    else if (rc == FM_ELIMIT)
        snprintf(j->failure, sizeof j->failure, "time_limit: the time limit of %g s was "
                 "reached while %s", j->time_limit, stage);
    else
        snprintf(j->failure, sizeof j->failure, "failed: %s: %s: %.400s", stage,
                 fm_error_code_name(rc), err->message);
    fm_logf(FM_LOG_WARN, "round_failed", "round=%" PRId64 " stage=\"%s\" fm_code=%s",
            j->round_id, stage, fm_error_code_name(rc));
    {
        fm_error e2;
        fm_error_clear(&e2);
        if (fm_store_round_fail(st, j->round_id, j->failure, &e2) != 0)
            j->record_failure = 1;
    }
    set_phase(j, rc == FM_ECANCELLED ? PHASE(CANCELLED) : PHASE(FAILED));
out:
    j->rc = rc;
    free(summary);
    fm_rerun_free(&keep);
    fm_result_free(&res);
    fm_region_free(&region);
}

int fm_jobs_start_round(fm_server *s, int64_t round_id, int32_t date, double time_limit,
                        const fm_constraints *cons, fm_error *err)
{
    return fm_jobs_start_rerun(s, round_id, 0, date, time_limit, cons, err);
}

int fm_jobs_start_rerun(fm_server *s, int64_t round_id, int64_t source, int32_t date,
                        double time_limit, const fm_constraints *cons, fm_error *err)
{
    fm_job *j = calloc(1, sizeof(*j));
    if (!j)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    j->is_round = 1;
    j->round_id = round_id;
    j->source_round_id = source;
    j->date = date;
    j->time_limit = time_limit;
    if (cons)
        j->constraints = *cons;
    j->queued_at = fm_server_now();
    atomic_init(&j->phase, PHASE(QUEUED));
    atomic_init(&j->cancel, 0);
    j->notified_phase = PHASE(QUEUED);
    j->work_fn = round_work;
    if (fm_job_submit(s, j) != 0) {
        free(j);
        return fm_error_set(err, FM_EINTERNAL, "the round could not be queued");
    }
    fm_logf(FM_LOG_INFO, "round_queued", "round=%" PRId64 " date=%d time_limit=%g",
            round_id, (int)date, time_limit);
    return 0;
}

fm_job *fm_jobs_find_round(fm_server *s, int64_t round_id)
{
    for (fm_job *j = s->jobs; j; j = j->next)
        if (j->is_round && j->round_id == round_id)
            return j;
    return NULL;
}

static void cancel_job(fm_job *j, const char *reason)
{
    if (!j->cancel_reason)
        j->cancel_reason = reason;
    atomic_store(&j->cancel, 1);
    uv_cancel((uv_req_t *)&j->work); /* succeeds only if it has not started */
}

int fm_jobs_cancel_round(fm_server *s, int64_t round_id, const char *reason)
{
    fm_job *j = fm_jobs_find_round(s, round_id);
    if (!j)
        return FM_EINVAL;
    fm_logf(FM_LOG_INFO, "round_cancel", "round=%" PRId64, round_id);
    cancel_job(j, reason);
    return 0;
}

int fm_jobs_recover_queued(fm_store *st, size_t *n_failed, fm_error *err)
{
    enum { PAGE = 100 };
    fm_store_round rows[PAGE];
    int64_t before = 0;
    int rc = 0;
    *n_failed = 0;
    for (size_t i = 0; i < PAGE; i++)
        fm_store_round_init(&rows[i]);
    for (;;) {
        size_t n = 0;
        if ((rc = fm_store_round_list(st, before, rows, PAGE, &n, err)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (rows[i].status != FM_ROUND_QUEUED)
                continue;
            if ((rc = fm_store_round_fail(st, rows[i].id, FM_STORE_INTERRUPTED, err)) == 0)
                (*n_failed)++;
        }
        if (rc != 0 || n < PAGE)
            break;
        before = rows[n - 1].id;
        for (size_t i = 0; i < PAGE; i++) {
            fm_store_round_free(&rows[i]);
            fm_store_round_init(&rows[i]);
        }
    }
    for (size_t i = 0; i < PAGE; i++)
        fm_store_round_free(&rows[i]);
    return rc;
}

/* ---- waiting round-status calls ---------------------------------------------- */

static void answer_waiters(fm_server *s, fm_job *j, int all)
{
    double now = fm_server_now();
    int phase = atomic_load(&j->phase);
    fm_call **pp = &j->waiters;
    while (*pp) {
        fm_call *c = *pp;
        if (all || phase != c->wait_known_phase || now >= c->wait_deadline ||
            c->conn->closing) {
            *pp = c->wait_next;
            s->n_waiters--;
            c->wait_job = NULL;
            c->wait_next = NULL;
            fm_round_status_answer(c, j->round_id);
        } else {
            pp = &c->wait_next;
        }
    }
    if (s->n_waiters == 0)
        uv_timer_stop(&s->ticker);
}

static void on_tick(uv_timer_t *t)
{
    fm_server *s = t->data;
    fm_job *next;
    for (fm_job *j = s->jobs; j; j = next) {
        next = j->next;
        if (j->is_round && j->waiters)
            answer_waiters(s, j, 0);
    }
    if (s->n_waiters == 0)
        uv_timer_stop(&s->ticker);
}

void fm_jobs_wait(fm_server *s, fm_job *j, fm_call *call, int known_phase, uint32_t wait_ms)
{
    call->wait_job = j;
    call->wait_known_phase = known_phase;
    call->wait_deadline = fm_server_now() + wait_ms / 1000.0;
    call->wait_next = j->waiters;
    j->waiters = call;
    s->n_waiters++;
    if (!uv_is_active((uv_handle_t *)&s->ticker))
        uv_timer_start(&s->ticker, on_tick, 100, 100);
}

void fm_jobs_on_wake(uv_async_t *h)
{
    fm_server *s = h->data;
    fm_job *next;
    for (fm_job *j = s->jobs; j; j = next) {
        next = j->next;
        if (!j->is_round)
            continue;
        int phase = atomic_load(&j->phase);
        if (phase != j->notified_phase) {
            j->notified_phase = phase;
            fm_logf(FM_LOG_DEBUG, "round_phase", "round=%" PRId64 " phase=%d", j->round_id,
                    phase);
            if (j->waiters)
                answer_waiters(s, j, 0);
        }
    }
}

void fm_jobs_shutdown(fm_server *s)
{
    fm_job *next;
    for (fm_job *j = s->jobs; j; j = next) {
        next = j->next;
        if (!j->is_round)
            continue;
        cancel_job(j, "the daemon shut down");
        if (j->waiters)
            answer_waiters(s, j, 1);
    }
}
