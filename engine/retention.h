/*
 * retention.h - fairmatchd's purge of pupils' personal data
 * (fm_store_purge): once at start, before serving, and then every day on a
 * libuv timer whose purge runs on the thread pool, so the loop keeps
 * answering.  Private to engine/.
 *
 * Normal case: each purge logs one line, `event=retention_purge` with the
 * retention_days, the counts (pupils purged, assignment rows anonymised,
 * pupils kept) and the seconds it took -- counts only, never a ref.
 * Failure cases: a purge that fails is rolled back by the store and logged
 * (`event=retention_failed` with the code); the daemon goes on and the next
 * day's purge tries again.  retention_days 0 or a read-only database: no
 * purge and no timer.
 */
#ifndef FM_RETENTION_H
#define FM_RETENTION_H

#include <uv.h>

#include "server.h"
#include "store.h"

/* Purges on st now (the loop thread, before serving), and logs it. */
void fm_retention_run(fm_store *st, unsigned retention_days);

/* The daily timer's callback (s->purge): queues a purge job unless the
 * daemon is shutting down. */
void fm_retention_on_timer(uv_timer_t *t);

#endif
