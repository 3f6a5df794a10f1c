/*
 * jobs.h - work that runs on libuv's thread pool (uv_queue_work) so that
 * the loop keeps answering: rounds (load the region from the store, solve,
 * save the results), and the heavy part of imports (parse, validate,
 * write).  Private to engine/.
 *
 * Normal case: fm_job_submit queues a job; its work function runs on a pool
 * thread with a store connection of its own (a small pool of them is kept,
 * opened on demand without FM_STORE_DAEMON: one SQLite connection per
 * thread at a time); its done function then runs on the loop thread, where
 * it may answer a call.  A round job is detached from any connection: the
 * run_round call is answered as soon as the round is queued, and the round
 * moves through QUEUED, LOADING, SOLVING, SAVING to DONE / FAILED /
 * CANCELLED.  Phase changes are posted to the loop with uv_async_send;
 * round-status calls that wait (wait_ms) are answered on a change, at their
 * deadline, or at shutdown.
 *
 * Failure cases: a job whose worker store cannot be opened fails with that
 * error.  A round that fails (load, solve, limit, save) is recorded in the
 * store as failed, with a message that names no personal value; if even
 * that write fails it is retried from the loop thread.  Cancelling (a
 * coordinator's cancel_round, or shutdown) sets a flag the solver polls
 * through fm_round_params.cancel, or, for a round not started yet,
 * uv_cancel()s it; either way the round is recorded as failed with a
 * message starting "cancelled:" (shown as PHASE_CANCELLED).  At shutdown
 * running imports are let finish; rounds are cancelled.
 */
#ifndef FM_JOBS_H
#define FM_JOBS_H

#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "error.h"
#include "region.h"
#include "server.h"
#include "solver.h"
#include "store.h"

typedef void (*fm_job_work_fn)(fm_job *job, fm_store *st);
typedef void (*fm_job_done_fn)(fm_job *job);

struct fm_job {
    uv_work_t work;
    fm_server *srv;
    fm_call *call;               /* answered by done; NULL for rounds */
    fm_job_work_fn work_fn;      /* pool thread */
    fm_job_done_fn done_fn;      /* loop thread; frees the job's data */
    void *data;
    int rc;                      /* set by work_fn */
    fm_error err;                /* set by work_fn */
    int uv_cancelled;            /* never ran (uv_cancel) */
    atomic_int cancel;           /* 1: stop as soon as possible */
    struct fm_job *prev, *next;
    /* rounds */
    int is_round;
    int64_t round_id;
    int64_t source_round_id;     /* rerun_round: keeps its confirmed rows; else 0 */
    int32_t date;
    double time_limit;
    double queued_at;            /* monotonic */
    atomic_int phase;            /* Fairmatch__V1__Phase */
    int notified_phase;          /* last phase the loop thread saw */
    const char *cancel_reason;   /* "by a coordinator", "the daemon shut down" */
    fm_call *waiters;            /* round-status calls waiting */
    int record_failure;          /* work_fn could not record the failure */
    fm_constraints constraints;  /* the round's extra constraints (zero: none) */
    /* The solver's last progress report (fm_round_params.progress), written
     * by the pool thread, read by round_status on the loop thread; the
     * strings are the solver's static names. */
    _Atomic(const char *) progress_side, progress_phase;
    atomic_int progress_level;
    _Atomic double progress_bound, progress_incumbent, progress_gap;
    char failure[512];
};

/* Queues job (fields work_fn, done_fn, data, call set by the caller; job
 * from calloc, freed after done_fn).  Returns 0 or FM_EINTERNAL. */
int fm_job_submit(fm_server *s, fm_job *job);

/* Queues round round_id (already created in the store as queued). */
int fm_jobs_start_round(fm_server *s, int64_t round_id, int32_t date,
                        double time_limit, const fm_constraints *cons, fm_error *err);

/* Queues round round_id as a re-run of round source (done): the rows
 * confirmed in source are kept, the rest is solved again (rerun.h). */
int fm_jobs_start_rerun(fm_server *s, int64_t round_id, int64_t source, int32_t date,
                        double time_limit, const fm_constraints *cons, fm_error *err);

/* Copies a solving round's last progress report into st. */
struct Fairmatch__V1__RoundStatus;
void fm_jobs_progress_status(fm_job *job, struct Fairmatch__V1__RoundStatus *st);

/* The live job of round id, or NULL. */
fm_job *fm_jobs_find_round(fm_server *s, int64_t round_id);

/* Asks a round to stop; 0, or FM_EINVAL if it is not live. */
int fm_jobs_cancel_round(fm_server *s, int64_t round_id, const char *reason);

/* Parks a round-status call until the phase differs from known_phase or
 * wait_ms pass; the answer is built by fm_round_status_answer(). */
void fm_jobs_wait(fm_server *s, fm_job *job, fm_call *call, int known_phase,
                  uint32_t wait_ms);

/* uv_async callback: phases changed. */
void fm_jobs_on_wake(uv_async_t *h);

/* Shutdown: cancel rounds, answer waiting calls. */
void fm_jobs_shutdown(fm_server *s);

/* Closes the idle worker stores (after the loop has finished). */
void fm_jobs_free_pool(fm_server *s);

/* At start, before serving: rounds a crash left queued will never run;
 * marks them failed with FM_STORE_INTERRUPTED (the store itself recovers
 * the running ones).  *n gets how many.  The store's error codes. */
int fm_jobs_recover_queued(fm_store *st, size_t *n, fm_error *err);

/* Answers a round-status call for round_id (handlers_rounds.c). */
void fm_round_status_answer(fm_call *call, int64_t round_id);

#endif
