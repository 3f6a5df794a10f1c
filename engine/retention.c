/*
 * retention.c - the daemon's purges (retention.h): at start on the loop
 * thread's store, daily as a job on the thread pool with a worker store.
 * Both log the counts and the time; a failure is logged and the store has
 * rolled it back.
 */
#include "retention.h"

#include <stdlib.h>
#include <time.h>

#include "jobs.h"
#include "log.h"

typedef struct purge_job {
    unsigned days;
    fm_store_purge_counts counts;
    double seconds;
} purge_job;

static double now_s(void)
{
    return (double)uv_hrtime() / 1e9;
}

static void log_purge(unsigned days, int rc, const fm_error *err,
                      const fm_store_purge_counts *c, double seconds)
{
    if (rc != 0) {
        fm_logf(FM_LOG_ERROR, "retention_failed", "retention_days=%u fm_code=%s", days,
                fm_error_code_name(err->code ? err->code : rc));
        return;
    }
    fm_logf(FM_LOG_INFO, "retention_purge",
            "retention_days=%u pupils_purged=%lld rows_anonymised=%lld pupils_kept=%lld "
            "seconds=%.3f", days, (long long)c->pupils, (long long)c->assignments,
            (long long)c->kept, seconds);
}

void fm_retention_run(fm_store *st, unsigned retention_days)
{
    if (retention_days == 0 || fm_store_read_only(st))
        return;
    fm_store_purge_counts c;
    fm_error err;
    fm_error_clear(&err);
    double t0 = now_s();
    int rc = fm_store_purge(st, (int64_t)time(NULL), retention_days, &c, &err);
    log_purge(retention_days, rc, &err, &c, now_s() - t0);
}

static void purge_work(fm_job *j, fm_store *st)
{
    purge_job *p = j->data;
    double t0 = now_s();
    j->rc = fm_store_purge(st, (int64_t)time(NULL), p->days, &p->counts, &j->err);
    p->seconds = now_s() - t0;
}

static void purge_done(fm_job *j)
{
    purge_job *p = j->data;
    log_purge(p->days, j->rc, &j->err, &p->counts, p->seconds);
    free(p);
}

void fm_retention_on_timer(uv_timer_t *t)
{
    fm_server *s = t->data;
    if (s->shutting_down)
        return;
    fm_job *j = calloc(1, sizeof *j);
    purge_job *p = calloc(1, sizeof *p);
    if (!j || !p) {
        free(j);
        free(p);
        fm_log(FM_LOG_ERROR, "retention_failed", "fm_code", "nomem", NULL);
        return;
    }
    p->days = s->cfg.retention_days;
    j->work_fn = purge_work;
    j->done_fn = purge_done;
    j->data = p;
    if (fm_job_submit(s, j) != 0) {
        free(j);
        free(p);
        fm_log(FM_LOG_ERROR, "retention_failed", "fm_code", "internal", NULL);
    }
}
