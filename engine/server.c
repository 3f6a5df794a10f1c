/*
 * server.c - the libuv TCP server of fairmatchd (server.h): listener,
 * connections, frame reading, response writing, backpressure, idle
 * timeouts, signals and the clean shutdown.
 *
 * Normal case: on_connection accepts and starts reading; on_alloc hands
 * libuv the connection's next read buffer from its fm_frame_stream (the
 * 16 KiB read buffer, or the rest of a large payload), so each read is
 * sized to its stage; on_read records the bytes and update() passes the
 * complete frames to fm_dispatch_frame (parse_frames), as many as the
 * connection's limits and its turn allow, then decides whether to read on.
 * fm_conn_send packs a response behind its 4-byte header in one allocation
 * and queues it with uv_write; write_cb frees it.
 *
 * Failure cases: see server.h.  Every path that ends a connection goes
 * through fm_conn_close, which closes both handles; the memory is freed
 * when both close callbacks have run and no call holds a reference.  Write
 * callbacks run (with UV_ECANCELED) before close callbacks, so they never
 * see freed memory.
 */
#include "server.h"

#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "fairmatch.pb-c.h"
#include "handlers.h"
#include "jobs.h"
#include "retention.h"
#include "log.h"

typedef struct write_req {
    uv_write_t req;
    fm_conn *conn;
    size_t len;
    uint8_t data[];
} write_req;

double fm_server_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void conn_log(fm_log_level level, const char *event, const fm_conn *c,
                     const char *why)
{
    fm_logf(level, event, "conn=%" PRIu64 " requests=%" PRIu64 "%s%s", c->id,
            c->requests, why ? " reason=" : "", why ? why : "");
}

/* ---- connection lifetime ------------------------------------------------ */

static void conn_maybe_free(fm_conn *c)
{
    if (c->open_handles > 0 || c->refs > 0)
        return;
    fm_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    fm_uploads_free(c);
    fm_frame_stream_free(&c->in);
    free(c);
    fm_server_check_done(s);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    fm_conn *c = h->data;
    c->open_handles--;
    conn_maybe_free(c);
}

void fm_conn_close(fm_conn *c, const char *why)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->reading = 0;
    conn_log(FM_LOG_INFO, "conn_close", c, why);
    uv_close((uv_handle_t *)&c->idle, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->frame_timer, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

void fm_conn_ref(fm_conn *c)
{
    c->refs++;
}

void fm_conn_unref(fm_conn *c)
{
    c->refs--;
    conn_maybe_free(c);
}

/* A connection that will take no more requests closes once it has
 * answered everything it took and the answers are written. */
static int draining(const fm_conn *c)
{
    return c->eof || c->srv->shutting_down;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

#define LINGER_MS 2000
#define LINGER_MAX_BYTES ((size_t)64 * 1024 * 1024)

static void on_shutdown(uv_shutdown_t *req, int status)
{
    fm_conn *c = req->data;
    if (status < 0 && status != UV_ECANCELED)
        fm_conn_close(c, "frame_too_large");
}

/* After a refused frame: answer, FIN, drop what still comes, close on EOF. */
static void update_refused(fm_conn *c)
{
    if (c->inflight == 0 && c->queued == 0) {
        if (!c->shut) {
            c->shut = 1;
            c->shutdown_req.data = c;
            if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
                fm_conn_close(c, "frame_too_large");
                return;
            }
        }
        if (c->eof || c->discarded > LINGER_MAX_BYTES) {
            fm_conn_close(c, "frame_too_large");
            return;
        }
    }
    if (!c->reading && !c->eof) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
            fm_conn_close(c, "frame_too_large");
            return;
        }
        c->reading = 1;
    }
}

/* Whether c may take another request now (frames already read included). */
static int can_take(const fm_conn *c)
{
    const fm_config *cfg = &c->srv->cfg;
    return !c->closing && !c->too_large && !c->srv->shutting_down &&
           c->inflight < cfg->max_inflight && c->queued <= cfg->write_queue_limit;
}

static void refuse_too_large(fm_conn *c);
static void on_turn(uv_idle_t *h);

/* Puts c on the server's backlog: its next frames wait for the next turn. */
static void backlog(fm_conn *c)
{
    fm_server *s = c->srv;
    if (c->backlogged)
        return;
    c->backlogged = 1;
    fm_conn_ref(c); /* the list holds it */
    c->turn_next = s->backlog;
    if (!s->backlog)
        uv_idle_start(&s->turns, on_turn);
    s->backlog = c;
}

/* Dispatches the complete frames read so far while the connection may take
 * them, at most FM_FRAMES_PER_TURN or FM_TURN_NS of the loop's time; the
 * rest wait for the next turn. */
static void parse_frames(fm_conn *c)
{
    if (c->parsing || c->backlogged)
        return;
    c->parsing = 1;
    unsigned n = 0;
    uint64_t t0 = uv_hrtime();
    while (can_take(c) && fm_frame_stream_buffered(&c->in)) {
        if (n == FM_FRAMES_PER_TURN || (n > 0 && uv_hrtime() - t0 > FM_TURN_NS)) {
            backlog(c);
            break;
        }
        uint8_t *frame;
        size_t len;
        int rc = fm_frame_stream_next(&c->in, &frame, &len);
        if (rc == FM_FRAME_READY) {
            n++;
            c->requests++;
            c->frame_done = 1;
            fm_dispatch_frame(c, frame, len); /* may raise the maximum */
        } else if (rc == FM_FRAME_TOO_LARGE) {
            refuse_too_large(c);
        } else if (rc == FM_ENOMEM) {
            fm_conn_close(c, "out_of_memory");
        }
    }
    c->parsing = 0;
}

static void on_frame_timeout(uv_timer_t *t)
{
    fm_conn *c = t->data;
    fm_logf(FM_LOG_WARN, "frame_timeout", "conn=%" PRIu64 " timeout_ms=%llu authed=%d",
            c->id, (unsigned long long)c->srv->cfg.frame_timeout_ms, c->authed);
    fm_conn_close(c, "frame_timeout");
}

/* While reading, a frame begun must be whole within frame_timeout_ms of its
 * first byte (or of the end of the frame before it, in the same read). */
static void frame_timer_update(fm_conn *c)
{
    uint64_t ms = c->srv->cfg.frame_timeout_ms;
    int mid = ms > 0 && c->reading && fm_frame_stream_partial(&c->in);
    if (!mid) {
        uv_timer_stop(&c->frame_timer);
    } else if (c->frame_done || !uv_is_active((uv_handle_t *)&c->frame_timer)) {
        uv_timer_start(&c->frame_timer, on_frame_timeout, ms, 0);
    }
    c->frame_done = 0;
}

static void update(fm_conn *c)
{
    if (c->closing)
        return;
    if (c->too_large) {
        update_refused(c);
        return;
    }
    parse_frames(c);
    if (c->closing || c->too_large || c->parsing)
        return; /* the outer update decides once the frames are taken */
    int buffered = fm_frame_stream_buffered(&c->in);
    if (draining(c) && c->inflight == 0 && c->queued == 0 &&
        (!buffered || c->srv->shutting_down)) {
        fm_conn_close(c, c->eof ? "peer_closed" : "shutdown");
        return;
    }
    const fm_config *cfg = &c->srv->cfg;
    int want = !draining(c) && can_take(c) && !buffered && !c->backlogged;
    if (want && !c->reading) {
        int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (rc != 0) {
            fm_conn_close(c, "read_start_failed");
            return;
        }
        c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
    frame_timer_update(c);
    /* Log backpressure on the write queue (not the ordinary stops). */
    int paused = !draining(c) && c->queued > cfg->write_queue_limit;
    if (paused != c->paused) {
        c->paused = paused;
        fm_logf(FM_LOG_INFO, paused ? "conn_paused" : "conn_resumed",
                "conn=%" PRIu64 " queued_bytes=%zu inflight=%u", c->id, c->queued, c->inflight);
    }
}

/* The idle handle: one more turn for each backlogged connection. */
static void on_turn(uv_idle_t *h)
{
    fm_server *s = h->data;
    fm_conn *list = s->backlog;
    s->backlog = NULL;
    uv_idle_stop(&s->turns);
    while (list) {
        fm_conn *c = list;
        list = c->turn_next;
        c->turn_next = NULL;
        c->backlogged = 0;
        update(c);        /* may put it on the (new) backlog again */
        fm_conn_unref(c); /* may free a connection closed meanwhile */
    }
}

static void touch(fm_conn *c);

void fm_conn_call_done(fm_conn *c)
{
    touch(c); /* idle from the answer on, not from the request */
    update(c);
}

static void on_idle(uv_timer_t *t)
{
    fm_conn *c = t->data;
    if (c->too_large) {
        fm_conn_close(c, "frame_too_large");
        return;
    }
    if (c->queued > 0) {
        /* Nothing read and no write finished for a whole timeout, with
         * answers waiting: the peer does not read. */
        fm_conn_close(c, "write_stalled");
        return;
    }
    if (c->inflight > 0) {
        /* Busy, not idle: a long import or a waiting round-status call. */
        uv_timer_start(&c->idle, on_idle, c->srv->cfg.idle_timeout_ms, 0);
        return;
    }
    fm_conn_close(c, fm_frame_stream_partial(&c->in) ? "idle_mid_frame" : "idle");
}

static void touch(fm_conn *c)
{
    if (!c->closing && !c->too_large && c->srv->cfg.idle_timeout_ms > 0) {
        /* The loop's clock dates from before this turn's callbacks; after a
         * long call the timer would start in the past and fire at once. */
        uv_update_time(c->srv->loop);
        uv_timer_start(&c->idle, on_idle, c->srv->cfg.idle_timeout_ms, 0);
    }
}

/* ---- writing ------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    fm_conn *c = w->conn;
    c->queued -= w->len;
    free(w);
    if (status < 0) {
        if (status != UV_ECANCELED)
            fm_conn_close(c, "write_failed");
        return;
    }
    touch(c);
    update(c);
}

void fm_conn_send(fm_conn *c, const Fairmatch__V1__Response *resp)
{
    if (c->closing)
        return;
    size_t n = protobuf_c_message_get_packed_size(&resp->base);
    if (n > FM_FRAME_LIMIT_MAX) {
        fm_logf(FM_LOG_ERROR, "response_too_large", "conn=%" PRIu64 " bytes=%zu", c->id, n);
        fm_conn_close(c, "response_too_large");
        return;
    }
    write_req *w = malloc(sizeof(*w) + FM_FRAME_HEADER + n);
    if (!w) {
        fm_conn_close(c, "out_of_memory");
        return;
    }
    w->conn = c;
    w->len = FM_FRAME_HEADER + n;
    fm_frame_header_put(w->data, (uint32_t)n);
    protobuf_c_message_pack(&resp->base, w->data + FM_FRAME_HEADER);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc != 0) {
        free(w);
        fm_conn_close(c, "write_failed");
        return;
    }
    c->queued += w->len;
    update(c);
}

/* ---- reading ------------------------------------------------------------- */

void fm_conn_set_auth(fm_conn *c, const char *token, const fm_store_scope *who)
{
    if (token != c->token)
        snprintf(c->token, sizeof c->token, "%s", token);
    c->who = *who;
    c->authed = 1;
    fm_frame_reader_set_max(&c->in.reader, c->srv->cfg.max_frame);
}

void fm_conn_clear_auth(fm_conn *c)
{
    memset(c->token, 0, sizeof c->token);
    memset(&c->who, 0, sizeof c->who);
    c->authed = 0;
    fm_frame_reader_set_max(&c->in.reader, FM_FRAME_PREAUTH_MAX);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    fm_conn *c = h->data;
    static char scratch[64 * 1024]; /* bytes dropped after a refused frame */
    if (c->too_large) {
        *buf = uv_buf_init(scratch, sizeof scratch);
        return;
    }
    uint8_t *p = NULL;
    size_t n = 0;
    /* Reading only happens with no complete frame buffered (update). */
    if (fm_frame_stream_buffered(&c->in) ||
        fm_frame_stream_want(&c->in, &p, &n) != FM_FRAME_MORE) {
        p = NULL;
        n = 0; /* read_cb gets UV_ENOBUFS */
    }
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    *buf = uv_buf_init((char *)p, (unsigned)n);
}

/* Answers a frame over the limit with id 0, then drains and closes. */
static void refuse_too_large(fm_conn *c)
{
    fm_frame_reader *r = &c->in.reader;
    fm_logf(FM_LOG_WARN, "frame_too_large", "conn=%" PRIu64 " bytes=%zu max=%zu authed=%d",
            c->id, r->declared, r->max, c->authed);
    char msg[256];
    snprintf(msg, sizeof msg,
             "a frame of %zu bytes is over this connection's limit of %zu bytes%s; "
             "the connection is closed", r->declared, r->max,
             c->authed ? "" : " (16 KiB until a valid token has been presented)");
    Fairmatch__V1__Error e = FAIRMATCH__V1__ERROR__INIT;
    e.code = FAIRMATCH__V1__ERROR__CODE__RESOURCE_EXHAUSTED;
    e.message = msg;
    e.field = "frame";
    Fairmatch__V1__Response resp = FAIRMATCH__V1__RESPONSE__INIT;
    resp.error = &e;
    c->too_large = 1;
    uv_timer_stop(&c->frame_timer);
    fm_conn_send(c, &resp);
    uv_timer_start(&c->idle, on_idle, LINGER_MS, 0);
    update(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    fm_conn *c = stream->data;
    if (c->too_large) {
        if (nread > 0) {
            c->discarded += (size_t)nread;
        } else if (nread < 0) {
            c->eof = 1;
            if (c->reading) {
                uv_read_stop(stream);
                c->reading = 0;
            }
        }
        update(c);
        return;
    }
    fm_frame_stream_got(&c->in, nread > 0 ? (size_t)nread : 0);
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF) {
            if (fm_frame_stream_partial(&c->in))
                conn_log(FM_LOG_INFO, "conn_eof_mid_frame", c, NULL);
            c->eof = 1;
            update(c);
        } else {
            fm_conn_close(c, nread == UV_ENOBUFS ? "no_buffer" : "read_failed");
        }
        return;
    }
    touch(c);
    update(c);
}

/* ---- accepting ----------------------------------------------------------- */

static void on_refused_closed(uv_handle_t *h)
{
    free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
    fm_server *s = server->data;
    if (status < 0) {
        fm_log(FM_LOG_WARN, "accept_failed", "error", uv_err_name(status), NULL);
        return;
    }
    if (s->shutting_down || s->n_conns >= s->cfg.max_connections) {
        uv_tcp_t *t = malloc(sizeof(*t));
        if (!t)
            return;
        uv_tcp_init(s->loop, t);
        if (uv_accept(server, (uv_stream_t *)t) == 0)
            fm_logf(FM_LOG_WARN, "conn_refused", "reason=%s connections=%u",
                    s->shutting_down ? "shutdown" : "max_connections", s->n_conns);
        uv_close((uv_handle_t *)t, on_refused_closed);
        return;
    }
    fm_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        fm_log(FM_LOG_ERROR, "accept_failed", "error", "out_of_memory", NULL);
        return;
    }
    c->srv = s;
    c->id = ++s->next_conn_id;
    fm_frame_stream_init(&c->in, FM_FRAME_PREAUTH_MAX);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->idle);
    uv_timer_init(s->loop, &c->frame_timer);
    c->tcp.data = c;
    c->idle.data = c;
    c->frame_timer.data = c;
    c->open_handles = 3;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        fm_conn_close(c, "accept_failed");
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    conn_log(FM_LOG_INFO, "conn_open", c, NULL);
    touch(c);
    update(c);
}

/* ---- signals and shutdown -------------------------------------------------- */

static void on_server_handle_closed(uv_handle_t *h)
{
    fm_server *s = h->data;
    s->open_handles--;
}

static void close_server_handle(fm_server *s, uv_handle_t *h)
{
    (void)s;
    if (!uv_is_closing(h))
        uv_close(h, on_server_handle_closed);
}

static void on_signal(uv_signal_t *h, int signum)
{
    fm_server *s = h->data;
    if (s->shutting_down) {
        fm_log(FM_LOG_WARN, "signal_again", "signal", signum == SIGTERM ? "TERM" : "INT",
               "action", "cutting_connections", NULL);
        for (fm_conn *c = s->conns; c; c = c->next)
            fm_conn_close(c, "shutdown_forced");
        return;
    }
    fm_server_shutdown(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_grace(uv_timer_t *t)
{
    fm_server *s = t->data;
    unsigned n = 0;
    for (fm_conn *c = s->conns; c; c = c->next)
        if (!c->closing) {
            fm_conn_close(c, "shutdown_grace_over");
            n++;
        }
    fm_logf(FM_LOG_WARN, "shutdown_grace_over", "connections_cut=%u jobs=%u", n, s->n_jobs);
}

void fm_server_shutdown(fm_server *s, const char *why)
{
    if (s->shutting_down)
        return;
    s->shutting_down = 1;
    fm_logf(FM_LOG_INFO, "shutdown_start", "reason=%s connections=%u jobs=%u rounds=%u",
            why, s->n_conns, s->n_jobs, s->n_rounds);
    if (s->listening) {
        close_server_handle(s, (uv_handle_t *)&s->listener);
        s->listening = 0;
    }
    fm_jobs_shutdown(s);   /* cancel rounds, answer waiting calls */
    /* Each connection stops reading and closes once drained. */
    fm_conn *next;
    for (fm_conn *c = s->conns; c; c = next) {
        next = c->next;
        update(c);
    }
    if (s->cfg.shutdown_grace_s > 0)
        uv_timer_start(&s->grace, on_grace, (uint64_t)(s->cfg.shutdown_grace_s * 1000), 0);
    else
        on_grace(&s->grace);
    fm_server_check_done(s);
}

void fm_server_check_done(fm_server *s)
{
    if (!s->shutting_down || s->finished || s->n_conns > 0 || s->n_jobs > 0)
        return;
    s->finished = 1;
    fm_log(FM_LOG_INFO, "shutdown_drained", NULL);
    uv_timer_stop(&s->grace);
    close_server_handle(s, (uv_handle_t *)&s->grace);
    close_server_handle(s, (uv_handle_t *)&s->ticker);
    close_server_handle(s, (uv_handle_t *)&s->purge);
    close_server_handle(s, (uv_handle_t *)&s->wake);
    close_server_handle(s, (uv_handle_t *)&s->turns);
    close_server_handle(s, (uv_handle_t *)&s->sigterm);
    close_server_handle(s, (uv_handle_t *)&s->sigint);
}

/* ---- setup ----------------------------------------------------------------- */

static int bind_listen(fm_server *s, fm_error *err)
{
    char host[256];
    int port;
    int rc = fm_config_split_listen(s->cfg.listen, host, sizeof host, &port, err);
    if (rc)
        return rc;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    int g = getaddrinfo(host, port_s, &hints, &res);
    if (g != 0 || !res) {
        snprintf(err->field, sizeof err->field, "listen");
        return fm_error_set(err, FM_EINVAL, "cannot resolve \"%s\": %s", host, gai_strerror(g));
    }
    rc = uv_tcp_bind(&s->listener, res->ai_addr, 0);
    freeaddrinfo(res);
    if (rc == 0)
        /* A deep accept queue: a burst of connections (hundreds of clients
         * starting together) is accepted, not dropped into SYN retries. */
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc != 0) {
        snprintf(err->field, sizeof err->field, "listen");
        return fm_error_set(err, FM_EIO, "cannot listen on %s: %s", s->cfg.listen,
                            uv_strerror(rc));
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[64] = "?";
    int bound_port = port;
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
            bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(s->bound, sizeof s->bound, "[%s]:%d", ip, bound_port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
            bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            snprintf(s->bound, sizeof s->bound, "%s:%d", ip, bound_port);
        }
    }
    s->listening = 1;
    return 0;
}

int fm_server_init(fm_server *s, uv_loop_t *loop, const fm_config *cfg, fm_store *store,
                   fm_error *err)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->cfg = *cfg;
    s->store = store;
    s->started_at = fm_server_now();
    uv_mutex_init(&s->pool_lock);

    uv_tcp_init(loop, &s->listener);
    uv_signal_init(loop, &s->sigterm);
    uv_signal_init(loop, &s->sigint);
    uv_timer_init(loop, &s->grace);
    uv_timer_init(loop, &s->ticker);
    uv_timer_init(loop, &s->purge);
    uv_async_init(loop, &s->wake, fm_jobs_on_wake);
    uv_idle_init(loop, &s->turns);
    s->listener.data = s->sigterm.data = s->sigint.data = s;
    s->grace.data = s->ticker.data = s->purge.data = s->wake.data = s->turns.data = s;
    s->open_handles = 8;

    int rc = bind_listen(s, err);
    if (rc == 0)
        rc = uv_signal_start(&s->sigterm, on_signal, SIGTERM) ||
             uv_signal_start(&s->sigint, on_signal, SIGINT)
                 ? fm_error_set(err, FM_EIO, "cannot install the signal handlers")
                 : 0;
    if (rc != 0) {
        s->shutting_down = 1;
        s->finished = 1;
        close_server_handle(s, (uv_handle_t *)&s->listener);
        close_server_handle(s, (uv_handle_t *)&s->grace);
        close_server_handle(s, (uv_handle_t *)&s->ticker);
        close_server_handle(s, (uv_handle_t *)&s->purge);
        close_server_handle(s, (uv_handle_t *)&s->wake);
        close_server_handle(s, (uv_handle_t *)&s->turns);
        close_server_handle(s, (uv_handle_t *)&s->sigterm);
        close_server_handle(s, (uv_handle_t *)&s->sigint);
        return rc;
    }
    if (s->cfg.retention_days > 0 && !fm_store_read_only(store)) {
        /* The purge at start ran before serving (main.c); then once a day. */
        const uint64_t day_ms = 24ull * 3600 * 1000;
        uv_timer_start(&s->purge, fm_retention_on_timer, day_ms, day_ms);
    }
    fm_logf(FM_LOG_INFO, "listening", "addr=%s max_frame=%zu idle_timeout_ms=%llu",
            s->bound, s->cfg.max_frame, (unsigned long long)s->cfg.idle_timeout_ms);
    return 0;
}

void fm_server_free(fm_server *s)
{
    fm_jobs_free_pool(s);
    uv_mutex_destroy(&s->pool_lock);
}
