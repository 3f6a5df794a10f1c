/*
 * echo_server.c - the ceiling for bench/rpc_bench.sh: a bare libuv TCP
 * server with fairmatchd's framing (files.md, "Wire protocol": a 4-byte
 * big-endian length, then that many bytes) that sends every frame back
 * unchanged, and does nothing else (no protobuf, no database, no log).
 *
 *     fm_echo_server --listen HOST:PORT [--staged] [--max-frame N]
 *                    [--max-seconds S]
 *
 * Normal case: binds HOST:PORT (port 0: the kernel picks one), prints
 * `listening HOST:PORT` with the bound port on stdout, and serves until
 * SIGTERM or SIGINT (or --max-seconds, default 3600, so that a forgotten
 * server stops by itself), then closes every connection and exits 0.
 * Each complete frame is answered by one uv_write of header + payload, as
 * fairmatchd answers each request.  By default a connection reads into a
 * 64 KiB buffer and cuts the frames out of it; with --staged it reads the
 * way fairmatchd did before it had a read buffer per connection: through
 * the frame codec (engine/frame.c), one exact read for the 4-byte header,
 * then one for the payload, so the two ceilings show what that costs.
 *
 * Failure cases: bad options -> usage on stderr, exit 2; the address
 * cannot be bound -> message, exit 1.  A frame longer than --max-frame
 * (default 16 MiB, fairmatchd's default) or a read error closes that
 * connection only.  A peer that does not read: above 8 MiB queued the
 * connection stops reading until its writes drain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "frame.h"

#define READ_BUF (64 * 1024)
#define QUEUE_LIMIT ((size_t)8 * 1024 * 1024)

typedef struct conn {
    uv_tcp_t tcp;
    struct conn *prev, *next;
    /* buffered mode */
    uint8_t *buf;
    size_t cap, len;
    /* staged mode */
    fm_frame_reader reader;
    size_t queued;
    int reading, closing, eof;
} conn;

typedef struct write_req {
    uv_write_t req;
    conn *c;
    size_t len;
    uint8_t data[];
} write_req;

static uv_loop_t *loop;
static uv_tcp_t listener;
static uv_signal_t sig_term, sig_int;
static uv_timer_t lifetime;
static conn *conns;
static int staged;
static size_t max_frame = FM_FRAME_DEFAULT_MAX;
static int stopping;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_closed(uv_handle_t *h)
{
    conn *c = h->data;
    free(c->buf);
    fm_frame_reader_free(&c->reader);
    free(c);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* Reads while the write queue is short; closes after EOF once drained. */
static void update(conn *c)
{
    if (c->closing)
        return;
    if (c->eof) {
        if (c->queued == 0)
            conn_close(c);
        return;
    }
    int want = c->queued <= QUEUE_LIMIT;
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
            conn_close(c);
            return;
        }
        c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

static void on_write(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    conn *c = w->c;
    c->queued -= w->len;
    free(w);
    if (status < 0) {
        conn_close(c);
        return;
    }
    update(c);
}

/* Sends header + payload back in one write. */
static void echo_frame(conn *c, const uint8_t *payload, size_t n)
{
    write_req *w = malloc(sizeof(*w) + FM_FRAME_HEADER + n);
    if (!w) {
        conn_close(c);
        return;
    }
    w->c = c;
    w->len = FM_FRAME_HEADER + n;
    fm_frame_header_put(w->data, (uint32_t)n);
    if (n)
        memcpy(w->data + FM_FRAME_HEADER, payload, n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        free(w);
        conn_close(c);
        return;
    }
    c->queued += w->len;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    if (staged) {
        uint8_t *p = NULL;
        size_t n = 0;
        if (fm_frame_reader_want(&c->reader, &p, &n) != FM_FRAME_MORE) {
            p = NULL;
            n = 0; /* on_read gets UV_ENOBUFS */
        }
        *buf = uv_buf_init((char *)p, (unsigned)(n > UINT32_MAX ? UINT32_MAX : n));
        return;
    }
    if (c->cap - c->len < READ_BUF / 4) {
        size_t cap = c->cap ? c->cap * 2 : READ_BUF;
        uint8_t *p = realloc(c->buf, cap);
        if (!p) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        c->buf = p;
        c->cap = cap;
    }
    *buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    conn *c = s->data;
    if (n == UV_EOF) {
        uv_read_stop(s);
        c->reading = 0;
        c->eof = 1;
        update(c);
        return;
    }
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0)
        return;
    if (staged) {
        int rc = fm_frame_reader_got(&c->reader, (size_t)n);
        if (rc == FM_FRAME_READY) {
            size_t len = 0;
            uint8_t *p = fm_frame_reader_take(&c->reader, &len);
            echo_frame(c, p, len);
            free(p);
        } else if (rc != FM_FRAME_MORE) {
            conn_close(c);
            return;
        }
    } else {
        c->len += (size_t)n;
        size_t off = 0;
        while (!c->closing && c->len - off >= FM_FRAME_HEADER) {
            size_t len = fm_frame_header_get(c->buf + off);
            if (len > max_frame) {
                conn_close(c);
                return;
            }
            if (c->len - off - FM_FRAME_HEADER < len) {
                /* Make room for a big frame in one piece. */
                size_t need = FM_FRAME_HEADER + len;
                if (off == 0 && need > c->cap) {
                    uint8_t *p = realloc(c->buf, need);
                    if (!p) {
                        conn_close(c);
                        return;
                    }
                    c->buf = p;
                    c->cap = need;
                }
                break;
            }
            echo_frame(c, c->buf + off + FM_FRAME_HEADER, len);
            off += FM_FRAME_HEADER + len;
        }
        if (c->closing)
            return;
        if (off > 0) {
            memmove(c->buf, c->buf + off, c->len - off);
            c->len -= off;
        }
    }
    update(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0 || stopping)
        return;
    conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    fm_frame_reader_init(&c->reader, max_frame);
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    c->next = conns;
    if (conns)
        conns->prev = c;
    conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    update(c);
}

static void stop_all(void)
{
    if (stopping)
        return;
    stopping = 1;
    uv_close((uv_handle_t *)&listener, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&lifetime, NULL);
    while (conns)
        conn_close(conns);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    stop_all();
}

static void on_lifetime(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "fm_echo_server: --max-seconds reached, stopping\n");
    stop_all();
}

static int usage(void)
{
    fprintf(stderr, "usage: fm_echo_server --listen HOST:PORT [--staged] [--max-frame N] "
                    "[--max-seconds S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *listen_at = NULL;
    double max_seconds = 3600;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen_at = argv[++i];
        } else if (strcmp(argv[i], "--staged") == 0) {
            staged = 1;
        } else if (strcmp(argv[i], "--max-frame") == 0 && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || v == 0 || v > FM_FRAME_LIMIT_MAX)
                return usage();
            max_frame = (size_t)v;
        } else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
            char *end;
            max_seconds = strtod(argv[++i], &end);
            if (*end || !(max_seconds > 0))
                return usage();
        } else {
            return usage();
        }
    }
    if (!listen_at)
        return usage();
    const char *colon = strrchr(listen_at, ':');
    if (!colon || colon == listen_at)
        return usage();
    char host[256];
    size_t hl = (size_t)(colon - listen_at);
    if (hl >= sizeof host)
        return usage();
    memcpy(host, listen_at, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return usage();

    loop = uv_default_loop();
    struct sockaddr_in addr;
    int rc = uv_ip4_addr(host, (int)port, &addr);
    if (rc == 0)
        rc = uv_tcp_init(loop, &listener);
    if (rc == 0)
        rc = uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&listener, 511, on_connection);
    if (rc != 0) {
        fprintf(stderr, "fm_echo_server: cannot listen on %s: %s\n", listen_at,
                uv_strerror(rc));
        return 1;
    }
    struct sockaddr_in bound;
    int blen = sizeof bound;
    uv_tcp_getsockname(&listener, (struct sockaddr *)&bound, &blen);
    printf("listening %s:%d\n", host, ntohs(bound.sin_port));
    fflush(stdout);

    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_timer_init(loop, &lifetime);
    uv_timer_start(&lifetime, on_lifetime, (uint64_t)(max_seconds * 1000.0), 0);
    uv_unref((uv_handle_t *)&lifetime);

    uv_run(loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(loop);
    return rc == 0 ? 0 : 1;
}
