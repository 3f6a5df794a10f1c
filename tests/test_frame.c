/*
 * test_frame.c - the frame codec (engine/frame.h).
 *
 * Normal cases: header byte order; one frame fed whole, byte by byte, and
 * in uneven pieces; several frames in one buffer (the reader stops after
 * each so the caller can change the maximum in between); the zero-length
 * frame; the stage sizes of fm_frame_reader_want (4, then the payload).
 * Failure cases: a length one above the maximum is refused before anything
 * is allocated and the state is final; the maximum raised between frames
 * (the token case) lets the next frame through; a reader freed while half a
 * payload is held leaks nothing (run under ASan to see it).
 * The stream (fm_frame_stream): many small frames taken from one read of
 * the 16 KiB buffer, a frame split across reads, a large payload read
 * straight into the payload (the read sized to its remainder), a length
 * over the maximum refused with the buffer freed, the buffer held only
 * while it has unparsed bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "frame.h"

/* Appends one frame (header + payload) to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, const void *payload, uint32_t len)
{
    fm_frame_header_put(buf + *off, len);
    memcpy(buf + *off + FM_FRAME_HEADER, payload, len);
    *off += FM_FRAME_HEADER + len;
}

static void test_header_big_endian(void **state)
{
    (void)state;
    uint8_t h[4];
    fm_frame_header_put(h, 0x01020304u);
    assert_int_equal(h[0], 1);
    assert_int_equal(h[1], 2);
    assert_int_equal(h[2], 3);
    assert_int_equal(h[3], 4);
    assert_int_equal(fm_frame_header_get(h), 0x01020304u);
    fm_frame_header_put(h, UINT32_MAX);
    assert_int_equal(fm_frame_header_get(h), UINT32_MAX);
}

static void test_one_frame_whole(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = 0, used = 0, len = 0;
    put_frame(buf, &n, "hello", 5);
    fm_frame_reader r;
    fm_frame_reader_init(&r, 100);
    assert_false(fm_frame_reader_partial(&r));
    assert_int_equal(fm_frame_reader_feed(&r, buf, n, &used), FM_FRAME_READY);
    assert_int_equal(used, n);
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "hello", 5);
    free(p);
    assert_false(fm_frame_reader_partial(&r));
    fm_frame_reader_free(&r);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint8_t payload[200];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    size_t n = 0;
    put_frame(buf, &n, payload, sizeof(payload));
    fm_frame_reader r;
    fm_frame_reader_init(&r, 1000);
    for (size_t i = 0; i < n; i++) {
        size_t used;
        int rc = fm_frame_reader_feed(&r, buf + i, 1, &used);
        assert_int_equal(used, 1);
        if (i + 1 < n) {
            assert_int_equal(rc, FM_FRAME_MORE);
            assert_true(i == 0 ? 1 : fm_frame_reader_partial(&r));
        } else {
            assert_int_equal(rc, FM_FRAME_READY);
        }
    }
    size_t len;
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_int_equal(len, sizeof(payload));
    assert_memory_equal(p, payload, sizeof(payload));
    free(p);
    fm_frame_reader_free(&r);
}

static void test_uneven_pieces_and_pipelined(void **state)
{
    (void)state;
    /* Three frames: "a", "", "0123456789", fed in pieces of 3 bytes. */
    uint8_t buf[64];
    size_t n = 0;
    put_frame(buf, &n, "a", 1);
    put_frame(buf, &n, "", 0);
    put_frame(buf, &n, "0123456789", 10);
    const char *want[] = {"a", "", "0123456789"};
    size_t got_frames = 0, off = 0;
    fm_frame_reader r;
    fm_frame_reader_init(&r, 16);
    while (off < n) {
        size_t piece = n - off < 3 ? n - off : 3;
        size_t done = 0;
        while (done < piece) {
            size_t used;
            int rc = fm_frame_reader_feed(&r, buf + off + done, piece - done, &used);
            done += used;
            if (rc == FM_FRAME_READY) {
                size_t len;
                uint8_t *p = fm_frame_reader_take(&r, &len);
                assert_non_null(p);
                assert_int_equal(len, strlen(want[got_frames]));
                assert_memory_equal(p, want[got_frames], len);
                free(p);
                got_frames++;
            } else {
                assert_int_equal(rc, FM_FRAME_MORE);
            }
        }
        off += piece;
    }
    assert_int_equal(got_frames, 3);
    assert_false(fm_frame_reader_partial(&r));
    fm_frame_reader_free(&r);
}

static void test_feed_stops_after_each_frame(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = 0, used, len;
    put_frame(buf, &n, "xy", 2);
    size_t first = n;
    put_frame(buf, &n, "z", 1);
    fm_frame_reader r;
    fm_frame_reader_init(&r, 16);
    assert_int_equal(fm_frame_reader_feed(&r, buf, n, &used), FM_FRAME_READY);
    assert_int_equal(used, first);
    /* Feeding again before take() consumes nothing. */
    size_t used2;
    assert_int_equal(fm_frame_reader_feed(&r, buf + used, n - used, &used2), FM_FRAME_READY);
    assert_int_equal(used2, 0);
    free(fm_frame_reader_take(&r, &len));
    assert_int_equal(fm_frame_reader_feed(&r, buf + used, n - used, &used2), FM_FRAME_READY);
    assert_int_equal(used + used2, n);
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], 'z');
    free(p);
    fm_frame_reader_free(&r);
}

static void test_zero_length(void **state)
{
    (void)state;
    uint8_t h[4];
    fm_frame_header_put(h, 0);
    fm_frame_reader r;
    fm_frame_reader_init(&r, 0);   /* even with a maximum of 0 */
    size_t used, len;
    assert_int_equal(fm_frame_reader_feed(&r, h, 4, &used), FM_FRAME_READY);
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_non_null(p);
    assert_int_equal(len, 0);
    free(p);
    fm_frame_reader_free(&r);
}

static void test_want_sizes_per_stage(void **state)
{
    (void)state;
    fm_frame_reader r;
    fm_frame_reader_init(&r, 1000);
    uint8_t *buf;
    size_t size;
    assert_int_equal(fm_frame_reader_want(&r, &buf, &size), FM_FRAME_MORE);
    assert_int_equal(size, 4);
    fm_frame_header_put(buf, 300);
    assert_int_equal(fm_frame_reader_got(&r, 2), FM_FRAME_MORE);
    assert_int_equal(fm_frame_reader_want(&r, &buf, &size), FM_FRAME_MORE);
    assert_int_equal(size, 2);
    assert_int_equal(fm_frame_reader_got(&r, 2), FM_FRAME_MORE);
    assert_int_equal(fm_frame_reader_want(&r, &buf, &size), FM_FRAME_MORE);
    assert_int_equal(size, 300);
    memset(buf, 'q', 100);
    assert_int_equal(fm_frame_reader_got(&r, 100), FM_FRAME_MORE);
    assert_int_equal(fm_frame_reader_want(&r, &buf, &size), FM_FRAME_MORE);
    assert_int_equal(size, 200);
    memset(buf, 'q', 200);
    assert_int_equal(fm_frame_reader_got(&r, 200), FM_FRAME_READY);
    size_t len;
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_int_equal(len, 300);
    assert_int_equal(p[299], 'q');
    free(p);
    fm_frame_reader_free(&r);
}

static void test_too_large_before_allocating(void **state)
{
    (void)state;
    fm_frame_reader r;
    fm_frame_reader_init(&r, FM_FRAME_PREAUTH_MAX);
    uint8_t h[4];
    size_t used;
    /* Exactly the maximum is fine. */
    fm_frame_header_put(h, (uint32_t)FM_FRAME_PREAUTH_MAX);
    assert_int_equal(fm_frame_reader_feed(&r, h, 4, &used), FM_FRAME_MORE);
    assert_non_null(r.payload);
    fm_frame_reader_free(&r);

    fm_frame_reader_init(&r, FM_FRAME_PREAUTH_MAX);
    fm_frame_header_put(h, (uint32_t)FM_FRAME_PREAUTH_MAX + 1);
    assert_int_equal(fm_frame_reader_feed(&r, h, 4, &used), FM_FRAME_TOO_LARGE);
    assert_null(r.payload);
    assert_int_equal(r.declared, FM_FRAME_PREAUTH_MAX + 1);
    /* Final: more input is refused. */
    assert_int_equal(fm_frame_reader_feed(&r, h, 4, &used), FM_FRAME_TOO_LARGE);
    assert_int_equal(used, 0);
    uint8_t *buf;
    size_t size;
    assert_int_equal(fm_frame_reader_want(&r, &buf, &size), FM_FRAME_TOO_LARGE);
    assert_null(buf);
    assert_int_equal(size, 0);
    fm_frame_reader_free(&r);

    /* The largest header value is refused without allocating 4 GiB. */
    fm_frame_reader_init(&r, FM_FRAME_DEFAULT_MAX);
    memset(h, 0xff, 4);
    assert_int_equal(fm_frame_reader_feed(&r, h, 4, &used), FM_FRAME_TOO_LARGE);
    assert_null(r.payload);
    assert_int_equal(r.declared, UINT32_MAX);
    fm_frame_reader_free(&r);
}

static void test_max_raised_between_frames(void **state)
{
    (void)state;
    size_t big = 20000;
    uint8_t *buf = calloc(1, 2 * (FM_FRAME_HEADER + big));
    assert_non_null(buf);
    size_t n = 0, used, len;
    put_frame(buf, &n, "token", 5);
    uint8_t *payload = calloc(1, big);
    assert_non_null(payload);
    put_frame(buf, &n, payload, (uint32_t)big);

    fm_frame_reader r;
    fm_frame_reader_init(&r, FM_FRAME_PREAUTH_MAX);
    assert_int_equal(fm_frame_reader_feed(&r, buf, n, &used), FM_FRAME_READY);
    free(fm_frame_reader_take(&r, &len));
    /* The first frame carried a valid token: the caller raises the limit. */
    fm_frame_reader_set_max(&r, FM_FRAME_DEFAULT_MAX);
    size_t used2;
    assert_int_equal(fm_frame_reader_feed(&r, buf + used, n - used, &used2), FM_FRAME_READY);
    uint8_t *p = fm_frame_reader_take(&r, &len);
    assert_int_equal(len, big);
    free(p);
    fm_frame_reader_free(&r);

    /* Without raising it, the same second frame is refused. */
    fm_frame_reader_init(&r, FM_FRAME_PREAUTH_MAX);
    assert_int_equal(fm_frame_reader_feed(&r, buf, n, &used), FM_FRAME_READY);
    free(fm_frame_reader_take(&r, &len));
    assert_int_equal(fm_frame_reader_feed(&r, buf + used, n - used, &used2), FM_FRAME_TOO_LARGE);
    assert_int_equal(used2, FM_FRAME_HEADER);
    fm_frame_reader_free(&r);
    free(payload);
    free(buf);
}

static void test_free_mid_payload(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = 0, used;
    put_frame(buf, &n, "0123456789", 10);
    fm_frame_reader r;
    fm_frame_reader_init(&r, 64);
    assert_int_equal(fm_frame_reader_feed(&r, buf, 9, &used), FM_FRAME_MORE);
    assert_true(fm_frame_reader_partial(&r));
    fm_frame_reader_free(&r);   /* ASan: nothing leaks */
}

/* Copies up to n bytes of src into the stream the way a socket would. */
static size_t stream_read(fm_frame_stream *s, const uint8_t *src, size_t n, size_t *stage)
{
    uint8_t *buf;
    size_t size;
    assert_int_equal(fm_frame_stream_want(s, &buf, &size), FM_FRAME_MORE);
    *stage = size;
    size_t k = n < size ? n : size;
    memcpy(buf, src, k);
    fm_frame_stream_got(s, k);
    return k;
}

static void test_stream_many_frames_one_read(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t n = 0, stage;
    for (int i = 0; i < 100; i++)
        put_frame(buf, &n, "abcdefghij", (uint32_t)(i % 11));
    fm_frame_stream s;
    fm_frame_stream_init(&s, 100);
    assert_false(fm_frame_stream_partial(&s));
    fm_frame_stream_got(&s, 0);   /* an EOF reported without a buffer: fine */
    assert_int_equal(stream_read(&s, buf, n, &stage), n);
    assert_int_equal(stage, FM_FRAME_READ_BUF);   /* headers: the whole buffer */
    assert_true(fm_frame_stream_buffered(&s));
    for (int i = 0; i < 100; i++) {
        uint8_t *f;
        size_t len;
        assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_READY);
        assert_int_equal(len, (size_t)(i % 11));
        assert_memory_equal(f, "abcdefghij", len);
        free(f);
    }
    uint8_t *f;
    size_t len;
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_MORE);
    assert_null(s.buf);                            /* nothing left: no buffer */
    assert_false(fm_frame_stream_partial(&s));
    fm_frame_stream_free(&s);
}

static void test_stream_split_and_large(void **state)
{
    (void)state;
    size_t big = 3 * FM_FRAME_READ_BUF + 17;
    uint8_t *buf = malloc(2 * FM_FRAME_HEADER + big + 5);
    uint8_t *payload = malloc(big);
    assert_non_null(buf);
    assert_non_null(payload);
    for (size_t i = 0; i < big; i++)
        payload[i] = (uint8_t)(i * 7);
    size_t n = 0, stage, off = 0;
    put_frame(buf, &n, "hi", 2);
    put_frame(buf, &n, payload, (uint32_t)big);
    fm_frame_stream s;
    fm_frame_stream_init(&s, FM_FRAME_DEFAULT_MAX);
    /* The first read takes the small frame, the big one's header and the
     * start of its payload (buffered, then moved into the payload). */
    off += stream_read(&s, buf, 100, &stage);
    uint8_t *f;
    size_t len;
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_READY);
    assert_int_equal(len, 2);
    free(f);
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_MORE);
    assert_true(fm_frame_stream_partial(&s));
    /* The rest of the big payload: read straight into it, sized to what
     * is missing, until less than a buffer's worth remains. */
    off += stream_read(&s, buf + off, n - off, &stage);
    assert_int_equal(stage, big - (100 - 2 * FM_FRAME_HEADER - 2));
    assert_int_equal(off, n);
    assert_null(s.buf);
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_READY);
    assert_int_equal(len, big);
    assert_memory_equal(f, payload, big);
    free(f);
    /* A frame cut inside its header, across two reads. */
    uint8_t small[16];
    size_t m = 0;
    put_frame(small, &m, "xyz", 3);
    stream_read(&s, small, 2, &stage);
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_MORE);
    assert_true(fm_frame_stream_partial(&s));
    assert_null(s.buf);                            /* the 2 bytes are in the reader */
    stream_read(&s, small + 2, m - 2, &stage);
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_READY);
    assert_memory_equal(f, "xyz", 3);
    free(f);
    fm_frame_stream_free(&s);
    free(buf);
    free(payload);
}

static void test_stream_too_large(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = 0, stage;
    put_frame(buf, &n, "ok", 2);
    fm_frame_header_put(buf + n, (uint32_t)FM_FRAME_PREAUTH_MAX + 1);
    n += FM_FRAME_HEADER;
    fm_frame_stream s;
    fm_frame_stream_init(&s, FM_FRAME_PREAUTH_MAX);
    stream_read(&s, buf, n, &stage);
    uint8_t *f;
    size_t len;
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_READY);
    free(f);
    assert_int_equal(fm_frame_stream_next(&s, &f, &len), FM_FRAME_TOO_LARGE);
    assert_null(f);
    assert_null(s.buf);
    assert_int_equal(s.reader.declared, FM_FRAME_PREAUTH_MAX + 1);
    uint8_t *b;
    assert_int_equal(fm_frame_stream_want(&s, &b, &len), FM_FRAME_TOO_LARGE);
    fm_frame_stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_big_endian),
        cmocka_unit_test(test_one_frame_whole),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_uneven_pieces_and_pipelined),
        cmocka_unit_test(test_feed_stops_after_each_frame),
        cmocka_unit_test(test_zero_length),
        cmocka_unit_test(test_want_sizes_per_stage),
        cmocka_unit_test(test_too_large_before_allocating),
        cmocka_unit_test(test_max_raised_between_frames),
        cmocka_unit_test(test_free_mid_payload),
        cmocka_unit_test(test_stream_many_frames_one_read),
        cmocka_unit_test(test_stream_split_and_large),
        cmocka_unit_test(test_stream_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
