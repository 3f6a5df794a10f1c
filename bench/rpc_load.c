/*
 * rpc_load.c - a closed-loop load client for fairmatchd's wire protocol
 * (files.md, "Wire protocol"), or for bench/echo_server.c, used by
 * bench/rpc_bench.sh.
 *
 *     fm_rpc_load --server HOST:PORT [--mode status|echo] [--clients N]
 *                 [--depth D] [--seconds S] [--count N] [--warmup S]
 *                 [--token TOKEN | --token-file FILE] [--label NAME]
 *                 [--round ID [--monitor HOST:PORT] [--monitor-token TOKEN]
 *                  [--solving-delay S] [--phase-timeout S]] [--grace S]
 *                 [--connect-timeout S]
 *
 * Normal case: opens N connections (default 50) to HOST:PORT on one libuv
 * loop; each keeps D requests (default 1) in flight: a framed
 * fairmatch.v1.Request {id, token, status {}}, and sends the next as soon
 * as an answer comes back.  --mode status (default) decodes each answer as
 * a Response and counts it an error unless it carries a status result; an
 * answer is matched to its request by id.  --mode echo sends the very same
 * bytes to an echo server (bench/echo_server.c) and checks that they come
 * back (decoding them as a Request, so the client does the same work in
 * both modes).  The token defaults to $FAIRMATCH_TOKEN; --token "" sends
 * none.  The first --warmup seconds (default 0.5) are not measured; then
 * requests sent during --seconds (default 5) are measured, or the first
 * --count after the warm-up when --count is given (whichever ends first).
 * After the window no new request is sent and the answers still due are
 * awaited for at most --grace seconds (default 30).  Latency is from just before the write to the
 * decoded answer, on the monotonic clock (uv_hrtime).  One line goes to
 * stdout, key=value pairs for scripts:
 *
 *   rpc_load label=L mode=M clients=N depth=D seconds=S requests=R errors=E
 *     rps=X mean_ms=… p50_ms=… p90_ms=… p99_ms=… p999_ms=… max_ms=…
 *     over_10ms=K max_gap_ms=G [round=ID round_phases=A,B round_solving=0|1
 *     ended_early=0|1]
 *
 * max_gap_ms is the longest time during the window in which no answer at
 * all arrived on any connection: a stalled server loop shows there.
 *
 * --round ID ties the window to a round of fairmatchd that is solving: one
 * more connection (to --monitor, default --server, with --monitor-token,
 * default --token) follows the round with round_status.  The warm-up lasts
 * until the round has been in PHASE_SOLVING for --solving-delay seconds
 * (default 0; at most --phase-timeout seconds, default 600, in all); the
 * window then starts, and ends early when the daemon
 * says the round has left SOLVING (a round_status with wait_ms, answered
 * at once on a phase change).  round_phases lists the phases seen from the
 * window's start; round_solving=1 means the round solved during the whole
 * window.  With --mode echo, --monitor is required (the load goes to the
 * echo server, the round is the daemon's): the control that shows what a
 * solve on the same machine does to a server that is not the daemon.
 *
 * Failure cases: bad options -> usage, exit 2.  A connection that cannot
 * connect, is closed by the peer or sends a bad frame counts as an error
 * (with what it had in flight) and is not reopened; answers that carry an
 * error, unknown ids, echoes that differ and answers not back within the
 * grace time count as errors too.  With --round: a round that is not
 * queued, loading or solving, a failing monitor or a round that does not
 * reach SOLVING in time ends the run.  Exit 0 when nothing failed and at
 * least one request was measured, 1 otherwise.  Everything stops by
 * itself: the loop has a hard deadline (connect timeout + warm-up + phase
 * timeout + seconds + grace + 10 s).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "fairmatch.pb-c.h"

#define HDR 4
#define READ_BUF (64 * 1024)
#define MAX_DEPTH 64

typedef struct slot {
    uint64_t id;
    uint64_t sent_ns;
    int measured;
    int used;
} slot;

typedef struct client {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    int index;
    int connected, closing, dead;
    uint8_t *buf;
    size_t cap, len;
    uint64_t next_seq;
    int inflight;
    slot slots[MAX_DEPTH];
    int monitor;               /* the round_status connection */
} client;

typedef struct wreq {
    uv_write_t req;
    uint8_t data[];
} wreq;

/* options */
static const char *server_arg;
static const char *label = "-";
static int mode_echo;
static int n_clients = 50;
static int depth = 1;
static double seconds = 5.0;
static uint64_t count_limit;
static double warmup = 0.5;
static const char *token = "";
static uint64_t round_id;
static const char *monitor_arg;
static const char *monitor_token;
static double phase_timeout = 600.0;
static double solving_delay;
static double connect_timeout = 10.0;
static double grace = 30.0;

/* state */
static uv_loop_t *loop;
static client *clients;
static client monitor;
static int n_open;             /* connections whose handle is not closed */
static int n_connected;
static int phase;              /* 0 connecting, 1 warm-up, 2 window, 3 drain, 4 done */
static uint64_t t_window0, t_window1;
static uint64_t measured_sent;
static uint64_t *lat;          /* ns, measured requests */
static size_t n_lat, cap_lat;
static uint64_t errors;
static uint64_t last_answer_ns, max_gap_ns;
static uv_timer_t t_phase, t_deadline, t_delay;
static struct sockaddr_in addr, mon_addr;
/* round monitor */
static int phases_seen[16];    /* from the window's start on */
static int n_phases_seen;
static int solving_seen;       /* the round was seen SOLVING before the window */
static int round_ready;        /* ... --solving-delay seconds ago */
static int want_window;        /* the warm-up is over, waiting for SOLVING */
static int round_bad;          /* not solving, or the monitor failed */
static int ended_early;        /* the round left SOLVING during the window */

static void start_drain(void);
static void finish(void);

static uint64_t now_ns(void)
{
    return uv_hrtime();
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
    n_open--;
}

static void client_close(client *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* A broken connection: it and what it had in flight count as errors. */
static void client_fail(client *c, const char *why)
{
    if (c->dead || c->closing)
        return;
    c->dead = 1;
    if (!c->monitor) {
        errors += 1 + (uint64_t)c->inflight;
        c->inflight = 0;
        fprintf(stderr, "fm_rpc_load: connection %d: %s\n", c->index, why);
    } else {
        fprintf(stderr, "fm_rpc_load: round monitor: %s\n", why);
        round_bad = 1;
        if (phase < 2) {
            client_close(c);
            finish();
            return;
        }
    }
    client_close(c);
    if (phase == 3) {
        int busy = 0;
        for (int i = 0; i < n_clients; i++)
            busy += clients[i].inflight;
        if (busy == 0)
            finish();
    }
}

static void on_write(uv_write_t *req, int status)
{
    client *c = req->data;
    free(req);
    if (status < 0 && status != UV_ECANCELED)
        client_fail(c, uv_strerror(status));
}

static int send_frame(client *c, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    wreq *w = malloc(sizeof(*w) + HDR + n);
    if (!w)
        return -1;
    w->data[0] = (uint8_t)(n >> 24);
    w->data[1] = (uint8_t)(n >> 16);
    w->data[2] = (uint8_t)(n >> 8);
    w->data[3] = (uint8_t)n;
    protobuf_c_message_pack(msg, w->data + HDR);
    w->req.data = c;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)(HDR + n));
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* The next request of a load connection, if the phase allows one. */
static void send_next(client *c)
{
    if (c->dead || c->closing || phase == 0 || phase >= 3)
        return;
    if (phase == 2 && count_limit && measured_sent >= count_limit) {
        start_drain();
        return;
    }
    slot *s = NULL;
    for (int i = 0; i < depth; i++)
        if (!c->slots[i].used) {
            s = &c->slots[i];
            break;
        }
    if (!s)
        return;
    Fairmatch__V1__Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__StatusRequest st = FAIRMATCH__V1__STATUS_REQUEST__INIT;
    req.id = ((uint64_t)(c->index + 1) << 32) | ++c->next_seq;
    req.token = (char *)token;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_STATUS;
    req.status = &st;
    s->id = req.id;
    s->used = 1;
    s->measured = phase == 2;
    s->sent_ns = now_ns();
    if (s->measured)
        measured_sent++;
    c->inflight++;
    if (send_frame(c, &req.base) != 0)
        client_fail(c, "write failed");
}

static void record(uint64_t ns)
{
    if (n_lat == cap_lat) {
        size_t cap = cap_lat ? cap_lat * 2 : 65536;
        uint64_t *p = realloc(lat, cap * sizeof(*p));
        if (!p) {
            errors++;
            return;
        }
        lat = p;
        cap_lat = cap;
    }
    lat[n_lat++] = ns;
}

/* round_status for the round; with wait_ms > 0 the daemon holds the answer
 * until the phase differs from known (or wait_ms pass). */
static void monitor_send(int known, uint32_t wait_ms)
{
    Fairmatch__V1__Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__RoundStatusRequest rs = FAIRMATCH__V1__ROUND_STATUS_REQUEST__INIT;
    req.id = ++monitor.next_seq;
    req.token = (char *)monitor_token;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_ROUND_STATUS;
    req.round_status = &rs;
    rs.round_id = round_id;
    rs.known_phase = (Fairmatch__V1__Phase)known;
    rs.wait_ms = wait_ms;
    monitor.inflight = 1;
    if (send_frame(&monitor, &req.base) != 0)
        client_fail(&monitor, "write failed");
}

static const char *phase_name(int ph)
{
    static const char *names[] = {"UNSPECIFIED", "QUEUED", "LOADING", "SOLVING",
                                  "SAVING", "DONE", "FAILED", "CANCELLED"};
    return ph >= 0 && ph < 8 ? names[ph] : "?";
}

static void note_phase(int ph)
{
    if ((n_phases_seen == 0 || phases_seen[n_phases_seen - 1] != ph) &&
        n_phases_seen < (int)(sizeof phases_seen / sizeof phases_seen[0]))
        phases_seen[n_phases_seen++] = ph;
}

static void start_window(void);

static void on_delay(uv_timer_t *t)
{
    (void)t;
    round_ready = 1;
    if (phase == 1 && want_window)
        start_window();
}

/* Before the window: wait until the round solves.  During it: wait for the
 * round to leave SOLVING, and end the window early when it does. */
static void monitor_answer(const uint8_t *p, size_t n)
{
    enum { SOLVING = FAIRMATCH__V1__PHASE__PHASE_SOLVING };
    monitor.inflight = 0;
    if (phase >= 3)
        return;
    Fairmatch__V1__Response *r = fairmatch__v1__response__unpack(NULL, n, p);
    if (!r || r->error || r->result_case != FAIRMATCH__V1__RESPONSE__RESULT_ROUND_STATUS) {
        fprintf(stderr, "fm_rpc_load: round monitor: round_status %s\n",
                !r ? "did not decode" : r->error ? r->error->message : "had no result");
        if (r)
            fairmatch__v1__response__free_unpacked(r, NULL);
        client_fail(&monitor, "round_status failed");
        return;
    }
    int ph = (int)r->round_status->phase;
    fairmatch__v1__response__free_unpacked(r, NULL);
    if (phase < 2) {
        if (ph == SOLVING) {
            if (!solving_seen) {
                solving_seen = 1;
                uv_timer_start(&t_delay, on_delay, (uint64_t)(solving_delay * 1000.0), 0);
            }
            monitor_send(SOLVING, 10000); /* and see whether it stops solving */
        } else if (ph <= FAIRMATCH__V1__PHASE__PHASE_LOADING) {
            monitor_send(ph, 10000);
        } else {
            fprintf(stderr, "fm_rpc_load: round %" PRIu64 " is %s, not solving\n", round_id,
                    phase_name(ph));
            note_phase(ph);
            round_bad = 1;
            finish();
        }
        return;
    }
    note_phase(ph);
    if (ph == SOLVING) {
        monitor_send(SOLVING, 10000);
    } else {
        ended_early = 1;
        start_drain();
    }
}

/* One complete frame from a load connection. */
static void answer(client *c, const uint8_t *p, size_t n)
{
    uint64_t t = now_ns();
    uint64_t id = 0;
    int ok = 0;
    if (mode_echo) {
        Fairmatch__V1__Request *r = fairmatch__v1__request__unpack(NULL, n, p);
        if (r) {
            id = r->id;
            ok = r->method_case == FAIRMATCH__V1__REQUEST__METHOD_STATUS &&
                 strcmp(r->token, token) == 0;
            fairmatch__v1__request__free_unpacked(r, NULL);
        }
    } else {
        Fairmatch__V1__Response *r = fairmatch__v1__response__unpack(NULL, n, p);
        if (r) {
            id = r->id;
            ok = !r->error && r->result_case == FAIRMATCH__V1__RESPONSE__RESULT_STATUS;
            if (r->error && errors < 3)
                fprintf(stderr, "fm_rpc_load: error answer: code %d: %s\n",
                        (int)r->error->code, r->error->message);
            fairmatch__v1__response__free_unpacked(r, NULL);
        }
    }
    slot *s = NULL;
    for (int i = 0; i < depth; i++)
        if (c->slots[i].used && c->slots[i].id == id) {
            s = &c->slots[i];
            break;
        }
    if (!s) {
        client_fail(c, "an answer with an unknown id (or undecodable)");
        return;
    }
    s->used = 0;
    c->inflight--;
    if (s->measured) {
        if (ok)
            record(t - s->sent_ns);
        else
            errors++;
    }
    if (phase == 2) {
        if (last_answer_ns && t - last_answer_ns > max_gap_ns)
            max_gap_ns = t - last_answer_ns;
        last_answer_ns = t;
    }
    send_next(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    client *c = h->data;
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

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    client *c = stream->data;
    if (nread < 0) {
        client_fail(c, nread == UV_EOF ? "closed by the server" : uv_strerror((int)nread));
        return;
    }
    c->len += (size_t)nread;
    size_t off = 0;
    while (!c->dead && c->len - off >= HDR) {
        const uint8_t *h = c->buf + off;
        size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (n > (size_t)16 * 1024 * 1024) {
            client_fail(c, "an over-long frame");
            return;
        }
        if (c->len - off - HDR < n) {
            if (off == 0 && HDR + n > c->cap) {
                uint8_t *p = realloc(c->buf, HDR + n);
                if (!p) {
                    client_fail(c, "out of memory");
                    return;
                }
                c->buf = p;
                c->cap = HDR + n;
            }
            break;
        }
        if (c->monitor)
            monitor_answer(h + HDR, n);
        else
            answer(c, h + HDR, n);
        off += HDR + n;
    }
    if (c->dead)
        return;
    if (off > 0) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    if (phase == 3 && !c->monitor) {
        int busy = 0;
        for (int i = 0; i < n_clients; i++)
            busy += clients[i].inflight;
        if (busy == 0)
            finish();
    }
}

static void on_phase_timer(uv_timer_t *t);

static void start_warmup(void)
{
    phase = 1;
    if (round_id)
        monitor_send(0, 0);
    for (int i = 0; i < n_clients; i++)
        for (int k = 0; k < depth; k++)
            send_next(&clients[i]);
    if (phase == 1)
        uv_timer_start(&t_phase, on_phase_timer, (uint64_t)(warmup * 1000.0), 0);
}

static void start_window(void)
{
    phase = 2;
    t_window0 = now_ns();
    last_answer_ns = t_window0;
    uv_timer_start(&t_phase, on_phase_timer, (uint64_t)(seconds * 1000.0), 0);
    if (round_id) {
        note_phase(FAIRMATCH__V1__PHASE__PHASE_SOLVING);
        if (!monitor.inflight)
            monitor_send(FAIRMATCH__V1__PHASE__PHASE_SOLVING, 10000);
    }
}

static void start_drain(void)
{
    if (phase != 2)
        return;
    phase = 3;
    t_window1 = now_ns();
    if (t_window1 - last_answer_ns > max_gap_ns)
        max_gap_ns = t_window1 - last_answer_ns;
    int busy = 0;
    for (int i = 0; i < n_clients; i++)
        busy += clients[i].inflight;
    if (busy == 0) {
        finish();
        return;
    }
    uv_timer_start(&t_phase, on_phase_timer, (uint64_t)(grace * 1000.0), 0);
}

static void finish(void)
{
    if (phase == 4)
        return;
    if (phase == 2)
        t_window1 = now_ns();
    phase = 4;
    for (int i = 0; i < n_clients; i++) {
        client *c = &clients[i];
        for (int k = 0; k < depth; k++) /* measured, not back within the grace time */
            errors += c->slots[k].used && c->slots[k].measured && !c->dead;
        c->inflight = 0;
        client_close(c);
    }
    if (round_id)
        client_close(&monitor);
    uv_close((uv_handle_t *)&t_phase, NULL);
    uv_close((uv_handle_t *)&t_deadline, NULL);
    uv_close((uv_handle_t *)&t_delay, NULL);
}

static void on_phase_timer(uv_timer_t *t)
{
    (void)t;
    switch (phase) {
    case 0:
        fprintf(stderr, "fm_rpc_load: only %d of %d connections after %.1f s\n",
                n_connected, n_clients, connect_timeout);
        errors += (uint64_t)(n_clients - n_connected);
        finish();
        break;
    case 1:
        if (!round_id || round_ready) {
            start_window();
        } else if (!want_window) {
            want_window = 1; /* the warm-up goes on until the round solves */
            uv_timer_start(&t_phase, on_phase_timer, (uint64_t)(phase_timeout * 1000.0), 0);
        } else {
            fprintf(stderr, "fm_rpc_load: round %" PRIu64 " not solving after %.0f s\n",
                    round_id, phase_timeout);
            round_bad = 1;
            finish();
        }
        break;
    case 2: start_drain(); break;
    default: finish(); break;
    }
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "fm_rpc_load: hard deadline reached, stopping\n");
    if (phase == 2)
        t_window1 = now_ns();
    finish();
}

static void maybe_start(void)
{
    int settled = 0;
    for (int i = 0; i < n_clients; i++)
        settled += clients[i].connected || clients[i].dead;
    if (round_id)
        settled += monitor.connected || monitor.dead;
    if (phase == 0 && settled == n_clients + (round_id ? 1 : 0))
        start_warmup();
}

static void on_connect(uv_connect_t *req, int status)
{
    client *c = req->data;
    if (status < 0) {
        client_fail(c, uv_strerror(status));
        maybe_start();
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        client_fail(c, "read_start failed");
        maybe_start();
        return;
    }
    c->connected = 1;
    n_connected += !c->monitor;
    maybe_start();
}

static int open_client(client *c, int index, int is_monitor)
{
    c->index = index;
    c->monitor = is_monitor;
    c->tcp.data = c;
    c->connect_req.data = c;
    if (uv_tcp_init(loop, &c->tcp) != 0)
        return -1;
    n_open++;
    if (uv_tcp_connect(&c->connect_req, &c->tcp,
                       (const struct sockaddr *)(is_monitor ? &mon_addr : &addr),
                       on_connect) != 0) {
        client_fail(c, "connect failed");
        return -1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted samples, in ms. */
static double pct(double q)
{
    if (n_lat == 0)
        return NAN;
    size_t k = (size_t)ceil(q * (double)n_lat);
    if (k < 1)
        k = 1;
    if (k > n_lat)
        k = n_lat;
    return (double)lat[k - 1] / 1e6;
}

static char *read_token_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[512];
    if (!fgets(buf, sizeof buf, f)) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: fm_rpc_load --server HOST:PORT [--mode status|echo] [--clients N] "
            "[--depth D]\n"
            "                   [--seconds S] [--count N] [--warmup S] "
            "[--token TOKEN | --token-file FILE]\n"
            "                   [--round ID [--monitor HOST:PORT] [--monitor-token TOKEN]\n"
            "                    [--solving-delay S] [--phase-timeout S]] [--label NAME]\n"
            "                   [--grace S] [--connect-timeout S]\n");
    return 2;
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_addr(const char *arg, struct sockaddr_in *out)
{
    const char *colon = strrchr(arg, ':');
    char host[256];
    double port;
    if (colon && colon != arg && colon - arg < (long)sizeof host) {
        memcpy(host, arg, (size_t)(colon - arg));
        host[colon - arg] = '\0';
        if (num(colon + 1, 1, 65535, &port) == 0 && uv_ip4_addr(host, (int)port, out) == 0)
            return 0;
    }
    fprintf(stderr, "fm_rpc_load: not an IPv4 HOST:PORT: %s\n", arg);
    return -1;
}

int main(int argc, char **argv)
{
    const char *env_token = getenv("FAIRMATCH_TOKEN");
    if (env_token)
        token = env_token;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "--server") == 0) {
            server_arg = v;
        } else if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "echo") == 0)
                mode_echo = 1;
            else if (strcmp(v, "status") == 0)
                mode_echo = 0;
            else
                return usage();
        } else if (strcmp(a, "--clients") == 0) {
            if (num(v, 1, 10000, &d) != 0)
                return usage();
            n_clients = (int)d;
        } else if (strcmp(a, "--depth") == 0) {
            if (num(v, 1, MAX_DEPTH, &d) != 0)
                return usage();
            depth = (int)d;
        } else if (strcmp(a, "--seconds") == 0) {
            if (num(v, 0.01, 3600, &seconds) != 0)
                return usage();
        } else if (strcmp(a, "--count") == 0) {
            if (num(v, 1, 1e12, &d) != 0)
                return usage();
            count_limit = (uint64_t)d;
        } else if (strcmp(a, "--warmup") == 0) {
            if (num(v, 0, 600, &warmup) != 0)
                return usage();
        } else if (strcmp(a, "--token") == 0) {
            token = v;
        } else if (strcmp(a, "--token-file") == 0) {
            token = read_token_file(v);
            if (!token) {
                fprintf(stderr, "fm_rpc_load: cannot read a token from %s\n", v);
                return 2;
            }
        } else if (strcmp(a, "--round") == 0) {
            if (num(v, 1, 1e18, &d) != 0)
                return usage();
            round_id = (uint64_t)d;
        } else if (strcmp(a, "--monitor") == 0) {
            monitor_arg = v;
        } else if (strcmp(a, "--monitor-token") == 0) {
            monitor_token = v;
        } else if (strcmp(a, "--solving-delay") == 0) {
            if (num(v, 0, 86400, &solving_delay) != 0)
                return usage();
        } else if (strcmp(a, "--phase-timeout") == 0) {
            if (num(v, 1, 86400, &phase_timeout) != 0)
                return usage();
        } else if (strcmp(a, "--label") == 0) {
            label = v;
        } else if (strcmp(a, "--grace") == 0) {
            if (num(v, 0, 600, &grace) != 0)
                return usage();
        } else if (strcmp(a, "--connect-timeout") == 0) {
            if (num(v, 0.1, 600, &connect_timeout) != 0)
                return usage();
        } else {
            return usage();
        }
    }
    if (!server_arg || (round_id && mode_echo && !monitor_arg))
        return usage();
    if (!monitor_arg)
        monitor_arg = server_arg;
    if (!monitor_token)
        monitor_token = token;
    if (parse_addr(server_arg, &addr) != 0 || parse_addr(monitor_arg, &mon_addr) != 0)
        return 2;

    loop = uv_default_loop();
    clients = calloc((size_t)n_clients, sizeof(*clients));
    if (!clients)
        return 1;
    uv_timer_init(loop, &t_phase);
    uv_timer_init(loop, &t_deadline);
    uv_timer_init(loop, &t_delay);
    uv_timer_start(&t_phase, on_phase_timer, (uint64_t)(connect_timeout * 1000.0), 0);
    uv_timer_start(&t_deadline, on_deadline,
                   (uint64_t)((connect_timeout + warmup + (round_id ? phase_timeout + solving_delay : 0) +
                               seconds + grace + 10.0) * 1000.0), 0);
    for (int i = 0; i < n_clients; i++)
        open_client(&clients[i], i, 0);
    if (round_id)
        open_client(&monitor, n_clients, 1);
    maybe_start();
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);

    double window_s =
        t_window0 && t_window1 > t_window0 ? (double)(t_window1 - t_window0) / 1e9 : 0.0;
    qsort(lat, n_lat, sizeof(*lat), cmp_u64);
    double sum = 0;
    size_t over10 = 0;
    for (size_t i = 0; i < n_lat; i++) {
        sum += (double)lat[i];
        over10 += lat[i] > 10000000ull;
    }
    printf("rpc_load label=%s mode=%s clients=%d depth=%d seconds=%.3f requests=%zu "
           "errors=%" PRIu64 " rps=%.1f mean_ms=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f max_ms=%.3f over_10ms=%zu max_gap_ms=%.3f",
           label, mode_echo ? "echo" : "status", n_clients, depth, window_s, n_lat, errors,
           window_s > 0 ? (double)n_lat / window_s : 0.0, n_lat ? sum / (double)n_lat / 1e6 : NAN,
           pct(0.50), pct(0.90), pct(0.99), pct(0.999), n_lat ? (double)lat[n_lat - 1] / 1e6 : NAN,
           over10, (double)max_gap_ns / 1e6);
    if (round_id) {
        printf(" round=%" PRIu64 " solving_delay=%.1f round_phases=", round_id, solving_delay);
        for (int i = 0; i < n_phases_seen; i++)
            printf("%s%s", i ? "," : "", phase_name(phases_seen[i]));
        if (n_phases_seen == 0)
            printf("none");
        printf(" round_solving=%d ended_early=%d",
               round_ready && !round_bad && !ended_early && n_lat > 0, ended_early);
    }
    printf("\n");
    free(lat);
    for (int i = 0; i < n_clients; i++)
        free(clients[i].buf);
    free(monitor.buf);
    free(clients);
    return errors == 0 && n_lat > 0 && !round_bad ? 0 : 1;
}
