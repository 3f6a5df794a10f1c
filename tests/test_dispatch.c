/*
 * test_dispatch.c - the daemon's request dispatch (engine/dispatch.h) with
 * real parts: a real libuv loop, a real fm_server on 127.0.0.1 port 0 with
 * a temporary SQLite database, and a real TCP client socket in the test.
 * The loop is driven with uv_run(UV_RUN_NOWAIT) while the test writes and
 * reads frames (4-byte big-endian length + fairmatch.v1.Request) on a
 * non-blocking socket.  Each test stops the server, closes the loop
 * (uv_loop_close() == 0) and removes its temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "config.h"
#include "dispatch.h"
#include "fairmatch.pb-c.h"
#include "log.h"
#include "server.h"
#include "store.h"

typedef struct fixture {
    char dir[256];
    char db[300];
    fm_store *store;
    uv_loop_t loop;
    fm_server srv;
    int fd;
    char coord[FM_STORE_TOKEN_SIZE];
    char school[FM_STORE_TOKEN_SIZE];
    uint8_t in[1 << 16];
    size_t n_in;
} fixture;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->fd = -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/fm_test_dispatch.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/fm.db", f->dir);

    fm_error err;
    fm_error_clear(&err);
    assert_int_equal(fm_store_open(f->db, FM_STORE_DAEMON, &f->store, &err), 0);
    assert_int_equal(fm_store_token_create(f->store, FM_ROLE_COORDINATOR, NULL, f->coord,
                                           sizeof f->coord, NULL, &err), 0);
    assert_int_equal(fm_store_token_create(f->store, FM_ROLE_SCHOOL, "SCH1", f->school,
                                           sizeof f->school, NULL, &err), 0);

    assert_int_equal(uv_loop_init(&f->loop), 0);
    fm_config cfg;
    fm_config_init(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.db_path, sizeof cfg.db_path, "%s", f->db);
    cfg.shutdown_grace_s = 1;
    assert_int_equal(fm_server_init(&f->srv, &f->loop, &cfg, f->store, &err), 0);

    /* The bound port: fm_server fills srv.bound ("127.0.0.1:PORT"). */
    const char *colon = strrchr(f->srv.bound, ':');
    assert_non_null(colon);
    int port = atoi(colon + 1);
    assert_true(port > 0 && port < 65536);

    /* A blocking connect completes on loopback through the backlog; the
     * server accepts it when the loop runs. */
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int one = 1;
    setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    assert_int_equal(fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->fd >= 0)
        close(f->fd);
    fm_server_shutdown(&f->srv, "test");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    fm_server_free(&f->srv);
    fm_store_close(f->store);
    int lc = uv_loop_close(&f->loop);
    remove_dir(f->dir);
    free(f);
    assert_int_equal(lc, 0);
    return 0;
}

/* Writes all of buf, running the loop while the socket is full. */
static void send_bytes(fixture *f, const uint8_t *buf, size_t len)
{
    double deadline = now_s() + 3.0;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(f->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
        assert_true(now_s() < deadline);
        uv_run(&f->loop, UV_RUN_NOWAIT);
    }
}

/* Appends one frame (header + packed request) to buf at *len. */
static void frame_raw(uint8_t *buf, size_t cap, size_t *len, const uint8_t *payload,
                      size_t n)
{
    assert_true(*len + 4 + n <= cap);
    buf[*len + 0] = (uint8_t)(n >> 24);
    buf[*len + 1] = (uint8_t)(n >> 16);
    buf[*len + 2] = (uint8_t)(n >> 8);
    buf[*len + 3] = (uint8_t)n;
    memcpy(buf + *len + 4, payload, n);
    *len += 4 + n;
}

static void frame_req(uint8_t *buf, size_t cap, size_t *len, const Fairmatch__V1__Request *r)
{
    size_t n = fairmatch__v1__request__get_packed_size(r);
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    assert_int_equal(fairmatch__v1__request__pack(r, p), n);
    frame_raw(buf, cap, len, p, n);
    free(p);
}

static Fairmatch__V1__StatusRequest status_body = FAIRMATCH__V1__STATUS_REQUEST__INIT;
static Fairmatch__V1__RunRoundRequest run_body = FAIRMATCH__V1__RUN_ROUND_REQUEST__INIT;

static void status_req(Fairmatch__V1__Request *r, uint64_t id, const char *token)
{
    fairmatch__v1__request__init(r);
    r->id = id;
    r->token = token ? (char *)token : (char *)"";
    r->method_case = FAIRMATCH__V1__REQUEST__METHOD_STATUS;
    r->status = &status_body;
}

static void run_round_req(Fairmatch__V1__Request *r, uint64_t id, const char *token)
{
    fairmatch__v1__request__init(r);
    r->id = id;
    r->token = token ? (char *)token : (char *)"";
    r->method_case = FAIRMATCH__V1__REQUEST__METHOD_RUN_ROUND;
    r->run_round = &run_body;
}

static void send_req(fixture *f, const Fairmatch__V1__Request *r)
{
    uint8_t buf[4096];
    size_t len = 0;
    frame_req(buf, sizeof buf, &len, r);
    send_bytes(f, buf, len);
}

/* Reads one Response frame, running the loop until it has arrived. */
static Fairmatch__V1__Response *recv_resp(fixture *f)
{
    double deadline = now_s() + 3.0;
    for (;;) {
        if (f->n_in >= 4) {
            size_t n = (size_t)f->in[0] << 24 | (size_t)f->in[1] << 16 |
                       (size_t)f->in[2] << 8 | (size_t)f->in[3];
            assert_true(n <= sizeof f->in - 4);
            if (f->n_in >= 4 + n) {
                Fairmatch__V1__Response *r =
                    fairmatch__v1__response__unpack(NULL, n, f->in + 4);
                assert_non_null(r);
                memmove(f->in, f->in + 4 + n, f->n_in - 4 - n);
                f->n_in -= 4 + n;
                return r;
            }
        }
        uv_run(&f->loop, UV_RUN_NOWAIT);
        ssize_t got = recv(f->fd, f->in + f->n_in, sizeof f->in - f->n_in, 0);
        if (got > 0) {
            f->n_in += (size_t)got;
            continue;
        }
        assert_true(got < 0);  /* 0 would be the server closing */
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
        assert_true(now_s() < deadline);
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
        poll(&pfd, 1, 1);
    }
}

static void assert_error(const Fairmatch__V1__Response *r, uint64_t id, fm_code code)
{
    assert_int_equal(r->id, id);
    assert_non_null(r->error);
    assert_int_equal(r->error->code, code);
    assert_int_equal(r->result_case, FAIRMATCH__V1__RESPONSE__RESULT__NOT_SET);
}

static void assert_status(const Fairmatch__V1__Response *r, uint64_t id,
                          Fairmatch__V1__Role role)
{
    assert_int_equal(r->id, id);
    assert_null(r->error);
    assert_int_equal(r->result_case, FAIRMATCH__V1__RESPONSE__RESULT_STATUS);
    assert_non_null(r->status);
    assert_int_equal(r->status->role, role);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_status_without_token(void **state)
{
    fixture *f = *state;
    Fairmatch__V1__Request req;
    status_req(&req, 41, NULL);
    send_req(f, &req);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_status(r, 41, FAIRMATCH__V1__ROLE__ROLE_UNSPECIFIED);
    assert_string_equal(r->status->scope, "");
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_needs_token(void **state)
{
    fixture *f = *state;
    Fairmatch__V1__Request req;
    run_round_req(&req, 42, NULL);
    send_req(f, &req);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_error(r, 42, FM_CODE(UNAUTHENTICATED));
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_bad_token(void **state)
{
    fixture *f = *state;
    Fairmatch__V1__Request req;
    status_req(&req, 43, "fm_not_a_real_token_at_all");
    send_req(f, &req);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_error(r, 43, FM_CODE(UNAUTHENTICATED));
    fairmatch__v1__response__free_unpacked(r, NULL);

    /* A well-formed-looking token of the right length but unknown. */
    char fake[FM_STORE_TOKEN_SIZE];
    memcpy(fake, f->coord, sizeof fake);
    fake[FM_STORE_TOKEN_LEN - 1] = fake[FM_STORE_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
    run_round_req(&req, 44, fake);
    send_req(f, &req);
    r = recv_resp(f);
    assert_error(r, 44, FM_CODE(UNAUTHENTICATED));
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_coordinator_status(void **state)
{
    fixture *f = *state;
    Fairmatch__V1__Request req;
    status_req(&req, 45, f->coord);
    send_req(f, &req);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_status(r, 45, FAIRMATCH__V1__ROLE__ROLE_COORDINATOR);
    assert_string_equal(r->status->scope, "");
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_school_run_round_denied(void **state)
{
    fixture *f = *state;
    Fairmatch__V1__Request req;
    run_round_req(&req, 46, f->school);
    send_req(f, &req);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_error(r, 46, FM_CODE(PERMISSION_DENIED));
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_undecodable_frame(void **state)
{
    fixture *f = *state;
    /* Field 1 (id) = 7, then a truncated varint key: does not decode. */
    static const uint8_t bad[] = {0x08, 0x07, 0xff};
    uint8_t buf[64];
    size_t len = 0;
    frame_raw(buf, sizeof buf, &len, bad, sizeof bad);
    send_bytes(f, buf, len);
    Fairmatch__V1__Response *r = recv_resp(f);
    assert_error(r, 7, FM_CODE(INVALID_ARGUMENT));
    assert_string_equal(r->error->field, "frame");
    fairmatch__v1__response__free_unpacked(r, NULL);

    /* The connection still answers. */
    Fairmatch__V1__Request req;
    status_req(&req, 47, NULL);
    send_req(f, &req);
    r = recv_resp(f);
    assert_status(r, 47, FAIRMATCH__V1__ROLE__ROLE_UNSPECIFIED);
    fairmatch__v1__response__free_unpacked(r, NULL);
}

static void test_back_to_back(void **state)
{
    fixture *f = *state;
    uint8_t buf[4096];
    size_t len = 0;
    Fairmatch__V1__Request req;
    status_req(&req, 101, NULL);
    frame_req(buf, sizeof buf, &len, &req);
    status_req(&req, 102, f->coord);
    frame_req(buf, sizeof buf, &len, &req);
    send_bytes(f, buf, len);

    int seen101 = 0, seen102 = 0;
    for (int i = 0; i < 2; i++) {
        Fairmatch__V1__Response *r = recv_resp(f);
        if (r->id == 101) {
            assert_status(r, 101, FAIRMATCH__V1__ROLE__ROLE_UNSPECIFIED);
            seen101++;
        } else {
            assert_status(r, 102, FAIRMATCH__V1__ROLE__ROLE_COORDINATOR);
            seen102++;
        }
        fairmatch__v1__response__free_unpacked(r, NULL);
    }
    assert_int_equal(seen101, 1);
    assert_int_equal(seen102, 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    fm_log_set_level(FM_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_without_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_needs_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coordinator_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_school_run_round_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undecodable_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_back_to_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
