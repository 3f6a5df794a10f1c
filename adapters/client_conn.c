/*
 * client_conn.c - the client side of one TCP connection to fairmatchd
 * (client_conn.h).
 *
 * Normal case: the address is split into host and port and resolved with
 * getaddrinfo(); each address is tried with a non-blocking connect() that
 * poll() bounds by the caller's timeout, and the first that answers is
 * kept (TCP_NODELAY, close-on-exec, non-blocking from then on).  A call
 * packs the Request with protobuf-c behind a 4-byte big-endian length,
 * writes it whole (poll() for room, MSG_NOSIGNAL so a closed peer is an
 * error, not SIGPIPE), then reads frames: first the 4-byte header, then,
 * once the announced length is checked against FM_CLIENT_MAX_FRAME, a
 * payload buffer of exactly that size.  The frame whose id matches is
 * decoded and handed over; other ids are dropped, except an id-0 error,
 * which the daemon sends when it could not tell which request a frame was.
 *
 * Failure cases: a bad address (FM_EINVAL); refused, unreachable, reset,
 * closed or silent beyond the deadline (FM_EIO, naming the server); an
 * announced answer over the maximum (FM_ELIMIT, nothing allocated); an
 * answer that does not decode (FM_EIO); out of memory (FM_ENOMEM).  The
 * connection is left unusable after a failed call and must be closed.
 */
#include "client_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

struct fm_client {
    int fd;
    uint64_t next_id;
    char server[300];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, at least 0. */
static int left_ms(int64_t deadline)
{
    int64_t d = deadline - now_ms();
    return d < 0 ? 0 : d > 1000000000 ? 1000000000 : (int)d;
}

/* Waits for events on fd until deadline: 0, or FM_EIO on timeout/error. */
static int wait_fd(fm_client *c, short events, int64_t deadline, fm_error *err)
{
    for (;;) {
        struct pollfd p = { .fd = c->fd, .events = events, .revents = 0 };
        int n = poll(&p, 1, left_ms(deadline));
        if (n > 0)
            return 0;
        if (n == 0)
            return fm_error_set(err, FM_EIO, "no answer from %s in time (timed out)",
                                c->server);
        if (errno != EINTR)
            return fm_error_set(err, FM_EIO, "%s: %s", c->server, strerror(errno));
    }
}

/* "host:port" or "[v6]:port" -> host, port. */
static int split_server(const char *server, char *host, size_t hsize, char *port,
                        size_t psize)
{
    const char *colon = strrchr(server, ':');
    if (!colon || colon == server || !colon[1])
        return -1;
    const char *h = server;
    size_t hlen = (size_t)(colon - server);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -1;
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        return -1; /* a bare IPv6 address needs brackets */
    }
    size_t plen = strlen(colon + 1);
    if (hlen >= hsize || plen >= psize || plen > 5)
        return -1;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    long pn = strtol(colon + 1, NULL, 10);
    if (pn < 1 || pn > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, colon + 1, plen + 1);
    return 0;
}

/* One non-blocking connect bounded by deadline: the fd, or -1 (errno). */
static int try_connect(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        for (;;) {
            struct pollfd p = { .fd = fd, .events = POLLOUT, .revents = 0 };
            int n = poll(&p, 1, left_ms(deadline));
            if (n > 0)
                break;
            if (n == 0) {
                errno = ETIMEDOUT;
                goto fail;
            }
            if (errno != EINTR)
                goto fail;
        }
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            goto fail;
        if (e != 0) {
            errno = e;
            goto fail;
        }
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int fm_client_connect(const char *server, int timeout_ms, fm_client **out, fm_error *err)
{
    char host[256], port[8];
    struct addrinfo hints, *res = NULL;
    fm_client *c = NULL;
    int rc;

    *out = NULL;
    if (split_server(server, host, sizeof host, port, sizeof port) != 0) {
        return fm_error_set(err, FM_EINVAL, "server \"%.200s\" is not HOST:PORT "
                            "(or [IPV6]:PORT)", server);
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    c->fd = -1;
    c->next_id = 1;
    snprintf(c->server, sizeof c->server, "%s", server);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        rc = fm_error_set(err, FM_EINVAL, "cannot resolve %s: %s", host, gai_strerror(g));
        goto fail;
    }
    int64_t deadline = now_ms() + timeout_ms;
    int last = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
        c->fd = try_connect(ai, deadline);
        if (c->fd < 0)
            last = errno;
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        rc = fm_error_set(err, FM_EIO, "cannot connect to %s: %s (is fairmatchd running?)",
                          server, strerror(last));
        goto fail;
    }
    *out = c;
    return 0;
fail:
    free(c);
    return rc;
}

void fm_client_close(fm_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static int send_all(fm_client *c, const uint8_t *p, size_t n, int64_t deadline,
                    fm_error *err)
{
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c, POLLOUT, deadline, err);
            if (rc != 0)
                return rc;
            continue;
        }
        return fm_error_set(err, FM_EIO, "cannot send to %s: %s", c->server,
                            strerror(k < 0 ? errno : EPIPE));
    }
    return 0;
}

static int recv_all(fm_client *c, uint8_t *p, size_t n, int64_t deadline, fm_error *err)
{
    while (n > 0) {
        ssize_t k = recv(c->fd, p, n, 0);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k == 0)
            return fm_error_set(err, FM_EIO, "%s closed the connection", c->server);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = wait_fd(c, POLLIN, deadline, err);
            if (rc != 0)
                return rc;
            continue;
        }
        return fm_error_set(err, FM_EIO, "cannot read from %s: %s", c->server,
                            strerror(errno));
    }
    return 0;
}

/* Reads one frame and decodes it into *out. */
static int recv_response(fm_client *c, int64_t deadline, Fairmatch__V1__Response **out,
                         fm_error *err)
{
    uint8_t h[4];
    int rc = recv_all(c, h, sizeof h, deadline, err);
    if (rc != 0)
        return rc;
    size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (len > FM_CLIENT_MAX_FRAME)
        return fm_error_set(err, FM_ELIMIT, "%s sent an answer of %zu bytes, more than "
                            "the client takes (%zu)", c->server, len, FM_CLIENT_MAX_FRAME);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    rc = recv_all(c, buf, len, deadline, err);
    if (rc == 0) {
        *out = fairmatch__v1__response__unpack(NULL, len, buf);
        if (!*out)
            rc = fm_error_set(err, FM_EIO, "%s sent an answer that does not decode as "
                              "fairmatch.v1.Response", c->server);
    }
    free(buf);
    return rc;
}

int fm_client_call(fm_client *c, Fairmatch__V1__Request *req, int timeout_ms,
                   Fairmatch__V1__Response **out, fm_error *err)
{
    uint8_t *frame = NULL;
    int rc;

    *out = NULL;
    req->id = c->next_id++;
    size_t len = fairmatch__v1__request__get_packed_size(req);
    if (len > UINT32_MAX)
        return fm_error_set(err, FM_ELIMIT, "request too large (%zu bytes)", len);
    frame = malloc(len + 4);
    if (!frame)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    frame[0] = (uint8_t)(len >> 24);
    frame[1] = (uint8_t)(len >> 16);
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    fairmatch__v1__request__pack(req, frame + 4);
    int64_t deadline = now_ms() + timeout_ms;
    rc = send_all(c, frame, len + 4, deadline, err);
    free(frame);
    while (rc == 0) {
        Fairmatch__V1__Response *r = NULL;
        rc = recv_response(c, deadline, &r, err);
        if (rc != 0)
            break;
        if (r->id == req->id || (r->id == 0 && r->error)) {
            *out = r;
            return 0;
        }
        fairmatch__v1__response__free_unpacked(r, NULL); /* a stale answer */
    }
    return rc;
}

void fm_client_response_free(Fairmatch__V1__Response *resp)
{
    if (resp)
        fairmatch__v1__response__free_unpacked(resp, NULL);
}
