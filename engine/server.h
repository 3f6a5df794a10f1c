/*
 * server.h - fairmatchd's libuv TCP server: the listener, the connections,
 * reading frames and writing responses, the signals, and shutdown.  Private
 * to engine/ (the daemon's public face is its command line and the wire
 * protocol); dispatch.c, the handlers and jobs.c use the structs below.
 *
 * Normal case: fm_server_init binds and listens, and installs SIGTERM and
 * SIGINT handlers; the caller runs the loop.  Each accepted connection
 * reads through its own fm_frame_stream (frame.h), each read sized to the
 * stage: a 16 KiB buffer for headers, small payloads and the frames
 * pipelined behind them (held only while it has unparsed bytes), or, for a
 * large payload, exactly its remainder; a payload is allocated only after
 * its length was checked against the connection's maximum (16 KiB until a
 * valid token, then max_frame).  Each frame goes to fm_dispatch_frame;
 * responses are written with fm_conn_send, in whatever order calls finish.
 *
 * Fairness: a connection has at most FM_FRAMES_PER_TURN frames (or 1 ms of
 * the loop's time) dispatched per turn of the loop; frames read beyond that wait in its buffer (it
 * stops reading meanwhile) for the next turn (an idle handle), after the
 * other connections' reads, so a flood of pipelined requests on one
 * connection cannot hold the loop.
 *
 * Backpressure: a connection stops reading, and stops taking frames it has
 * already read, while it has max_inflight calls unanswered or more than
 * write_queue_limit bytes queued for writing, and starts again when both
 * drop; a peer that does not read its answers thus holds at most
 * write_queue_limit bytes plus the answers of its calls in flight.  A frame
 * must arrive whole within frame_timeout_ms of its first byte (a peer
 * trickling bytes, or stopping mid-frame, is closed: "frame_timeout").  A
 * connection with no traffic and no call in flight for idle_timeout_ms is
 * closed; so is one whose queued answers have not moved for that long (a
 * peer that does not read: "write_stalled").
 *
 * Failure cases: a frame over the maximum gets a RESOURCE_EXHAUSTED answer;
 * once the answers are written the daemon sends FIN and lingers, reading
 * and dropping what the peer still sends (at most 64 MiB or 2 s), so the
 * peer reads the answer instead of a reset, then closes; a read or write
 * error closes the connection at once (calls in flight finish, their
 * answers are dropped); the peer closing its side (EOF) lets calls in
 * flight finish and be answered, then closes.  Connections above
 * max_connections are accepted and closed at once.  No connection can block
 * another: nothing on the loop thread waits for a peer.
 *
 * Shutdown (SIGTERM / SIGINT): stop accepting, stop reading on every
 * connection, refuse new work, cancel rounds (jobs.h), let the other calls
 * in flight finish and be answered, close each connection as it drains;
 * after shutdown_grace_s the rest are cut.  When no connection and no job
 * is left, every server handle is closed and uv_run returns; the caller
 * then closes the database and the loop (uv_loop_close returns 0).
 * Memory of a handle is freed in its close callback, never before.
 */
#ifndef FM_SERVER_H
#define FM_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "error.h"
#include "frame.h"
#include "store.h"

/* Frames dispatched per connection per turn of the loop: at most this
 * many, and no more once FM_TURN_NS of the loop's time went to them (one
 * expensive request per turn, or many cheap ones). */
#define FM_FRAMES_PER_TURN 8
#define FM_TURN_NS ((uint64_t)1000 * 1000)

struct Fairmatch__V1__Response;
typedef struct fm_upload fm_upload;
typedef struct fm_job fm_job;
typedef struct fm_call fm_call;

typedef struct fm_conn {
    struct fm_server *srv;
    uv_tcp_t tcp;
    uv_timer_t idle;
    uv_timer_t frame_timer;       /* frame_timeout_ms from a frame's first byte */
    uv_shutdown_t shutdown_req;   /* after refusing a frame: FIN, then linger */
    uint64_t id;                  /* for logs */
    fm_frame_stream in;           /* the read buffer and the frame reader */
    unsigned open_handles;        /* tcp, idle, frame_timer until closed */
    unsigned refs;                /* calls holding the connection */
    unsigned inflight;            /* calls not yet answered */
    size_t queued;                /* bytes written but not yet sent */
    uint64_t requests;            /* frames received */
    int reading, closing, eof, too_large, shut, paused;
    int parsing;                  /* inside parse_frames (no re-entry) */
    int frame_done;               /* a frame completed since the last timer update */
    int backlogged;               /* frames wait for the next turn (holds a ref) */
    struct fm_conn *turn_next;    /* the server's backlog list */
    size_t discarded;             /* bytes read and dropped after too_large */
    /* Identity: the last valid token presented on this connection. */
    int authed;
    char token[FM_STORE_TOKEN_SIZE];
    fm_store_scope who;
    double auth_checked_at;       /* when the store last confirmed the token */
    fm_upload *uploads;           /* CSV imports in progress (handlers_import.c) */
    unsigned n_uploads;
    struct fm_conn *prev, *next;
} fm_conn;

/* Row counts for the status method, kept briefly per scope so that a
 * stream of status calls does not count a large table on every call. */
#define FM_STATUS_CACHE 8
typedef struct fm_status_cache {
    fm_store_scope who;
    fm_store_counts counts;
    double at;                    /* 0: empty */
} fm_status_cache;

typedef struct fm_server {
    uv_loop_t *loop;
    fm_status_cache status_cache[FM_STATUS_CACHE];
    fm_config cfg;
    fm_store *store;              /* the loop thread's connection; not owned */
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint;
    uv_timer_t grace;             /* cuts connections after shutdown_grace_s */
    uv_timer_t ticker;            /* deadlines of waiting round-status calls */
    uv_async_t wake;              /* worker threads: a round changed phase */
    uv_idle_t turns;              /* next turn of the backlogged connections */
    fm_conn *backlog;             /* connections with frames read, not yet taken */
    uv_timer_t purge;             /* daily retention purge (retention.h) */
    unsigned open_handles;
    int listening, shutting_down, finished;
    fm_conn *conns;
    unsigned n_conns;
    uint64_t next_conn_id;
    double started_at;            /* monotonic seconds */
    char bound[80];               /* "127.0.0.1:7433" as bound */
    /* jobs.c */
    fm_job *jobs;                 /* live jobs (queued or running) */
    unsigned n_jobs, n_rounds;
    uv_mutex_t pool_lock;
    fm_store **pool;              /* idle worker stores */
    unsigned n_pool, cap_pool;
    unsigned n_waiters;           /* round-status calls waiting */
    size_t upload_bytes;          /* held by all CSV uploads, at most 4 x max_upload */
} fm_server;

/* Binds cfg->listen, listens, installs the signal handlers.  store is the
 * daemon's store (opened with FM_STORE_DAEMON), used on the loop thread.
 * On failure nothing is left open on the loop (the caller still runs it
 * once to let closed handles finish) and err says why. */
int fm_server_init(fm_server *s, uv_loop_t *loop, const fm_config *cfg,
                   fm_store *store, fm_error *err);

/* Starts the shutdown described above (also what the signals do). */
void fm_server_shutdown(fm_server *s, const char *why);

/* Called when a connection or a job goes away: finishes a shutdown when
 * nothing is left. */
void fm_server_check_done(fm_server *s);

/* Frees what fm_server_init allocated that is not a handle; after uv_run. */
void fm_server_free(fm_server *s);

/* Monotonic seconds. */
double fm_server_now(void);

/* Sends one response as a frame.  Ignored on a closing connection.  A
 * failure to allocate or pack closes the connection. */
void fm_conn_send(fm_conn *c, const struct Fairmatch__V1__Response *resp);

/* The connection presented a valid token: remember it and raise the frame
 * maximum.  fm_conn_clear_auth forgets it (a token revoked meanwhile). */
void fm_conn_set_auth(fm_conn *c, const char *token, const fm_store_scope *who);
void fm_conn_clear_auth(fm_conn *c);

/* A call holds the connection; the last fm_conn_unref of a closed
 * connection frees it. */
void fm_conn_ref(fm_conn *c);
void fm_conn_unref(fm_conn *c);

/* A call on c was answered: resume reading, or close a draining connection. */
void fm_conn_call_done(fm_conn *c);

/* Closes the connection (idempotent). */
void fm_conn_close(fm_conn *c, const char *why);

#endif
