/*
 * frame.c - the frame codec (frame.h): 4-byte big-endian length + payload.
 *
 * Normal case: the reader alternates between two stages, the header (4
 * bytes into r->header) and the payload (r->length bytes into a buffer
 * allocated exactly once, when the header is complete).  A complete payload
 * waits in state "ready" until the caller takes it.
 * Failure cases: a declared length above r->max moves the reader to
 * FM_FRAME_TOO_LARGE before any allocation; a failed allocation moves it to
 * FM_ENOMEM.  Both are final; every later call returns the same code.
 */
#include "frame.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

enum { ST_HEADER = 0, ST_PAYLOAD = 1, ST_READY = 2 };

void fm_frame_reader_init(fm_frame_reader *r, size_t max)
{
    memset(r, 0, sizeof(*r));
    r->max = max;
    r->state = ST_HEADER;
}

void fm_frame_reader_free(fm_frame_reader *r)
{
    free(r->payload);
    r->payload = NULL;
    r->payload_got = 0;
    r->length = 0;
}

void fm_frame_reader_set_max(fm_frame_reader *r, size_t max)
{
    r->max = max;
}

void fm_frame_header_put(uint8_t out[FM_FRAME_HEADER], uint32_t len)
{
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

uint32_t fm_frame_header_get(const uint8_t in[FM_FRAME_HEADER])
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) |
           ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

/* The header is complete: check the length, then allocate. */
static int start_payload(fm_frame_reader *r)
{
    size_t len = fm_frame_header_get(r->header);
    if (len > r->max) {
        r->declared = len;
        r->state = FM_FRAME_TOO_LARGE;
        return r->state;
    }
    /* One byte more so that a zero-length frame still has a pointer. */
    r->payload = malloc(len + 1);
    if (!r->payload) {
        r->state = FM_ENOMEM;
        return r->state;
    }
    r->length = len;
    r->payload_got = 0;
    r->state = len == 0 ? ST_READY : ST_PAYLOAD;
    return r->state == ST_READY ? FM_FRAME_READY : FM_FRAME_MORE;
}

int fm_frame_reader_want(fm_frame_reader *r, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    if (r->state < 0)
        return r->state;
    assert(r->state != ST_READY && "take the ready frame first");
    if (r->state == ST_HEADER) {
        *buf = r->header + r->header_got;
        *size = FM_FRAME_HEADER - r->header_got;
    } else {
        *buf = r->payload + r->payload_got;
        *size = r->length - r->payload_got;
    }
    return FM_FRAME_MORE;
}

int fm_frame_reader_got(fm_frame_reader *r, size_t n)
{
    if (r->state < 0)
        return r->state;
    if (r->state == ST_HEADER) {
        assert(n <= FM_FRAME_HEADER - r->header_got);
        r->header_got += n;
        if (r->header_got < FM_FRAME_HEADER)
            return FM_FRAME_MORE;
        r->header_got = 0;
        return start_payload(r);
    }
    assert(r->state == ST_PAYLOAD && n <= r->length - r->payload_got);
    r->payload_got += n;
    if (r->payload_got < r->length)
        return FM_FRAME_MORE;
    r->state = ST_READY;
    return FM_FRAME_READY;
}

uint8_t *fm_frame_reader_take(fm_frame_reader *r, size_t *len)
{
    assert(r->state == ST_READY);
    uint8_t *p = r->payload;
    *len = r->length;
    r->payload = NULL;
    r->length = 0;
    r->payload_got = 0;
    r->state = ST_HEADER;
    return p;
}

int fm_frame_reader_feed(fm_frame_reader *r, const uint8_t *data, size_t len,
                         size_t *used)
{
    *used = 0;
    if (r->state < 0)
        return r->state;
    if (r->state == ST_READY)
        return FM_FRAME_READY;
    int rc = FM_FRAME_MORE;
    while (*used < len) {
        uint8_t *buf;
        size_t size;
        rc = fm_frame_reader_want(r, &buf, &size);
        if (rc != FM_FRAME_MORE)
            return rc;
        size_t n = len - *used < size ? len - *used : size;
        memcpy(buf, data + *used, n);
        *used += n;
        rc = fm_frame_reader_got(r, n);
        if (rc != FM_FRAME_MORE)
            return rc;
    }
    return rc;
}

int fm_frame_reader_partial(const fm_frame_reader *r)
{
    return r->header_got > 0 || r->state == ST_PAYLOAD || r->state == ST_READY;
}

/* ---- the stream: a reader behind a read buffer ------------------------------ */

void fm_frame_stream_init(fm_frame_stream *s, size_t max)
{
    memset(s, 0, sizeof(*s));
    fm_frame_reader_init(&s->reader, max);
}

static void stream_drop_buf(fm_frame_stream *s)
{
    free(s->buf);
    s->buf = NULL;
    s->start = s->end = 0;
}

void fm_frame_stream_free(fm_frame_stream *s)
{
    stream_drop_buf(s);
    fm_frame_reader_free(&s->reader);
}

int fm_frame_stream_want(fm_frame_stream *s, uint8_t **buf, size_t *size)
{
    fm_frame_reader *r = &s->reader;
    *buf = NULL;
    *size = 0;
    s->direct = 0;
    if (r->state < 0)
        return r->state;
    assert(r->state != ST_READY && s->start == s->end && "take the ready frames first");
    /* A large payload stage: read its remainder straight into the payload. */
    if (r->state == ST_PAYLOAD && r->length - r->payload_got >= FM_FRAME_READ_BUF) {
        s->direct = 1;
        return fm_frame_reader_want(r, buf, size);
    }
    if (!s->buf) {
        s->buf = malloc(FM_FRAME_READ_BUF);
        if (!s->buf)
            return FM_ENOMEM;
    }
    s->start = s->end = 0;
    *buf = s->buf;
    *size = FM_FRAME_READ_BUF;
    return FM_FRAME_MORE;
}

void fm_frame_stream_got(fm_frame_stream *s, size_t n)
{
    int direct = s->direct;
    s->direct = 0;
    if (n == 0)
        return; /* also an EOF reported without a buffer (libuv on POLLHUP) */
    if (direct) {
        fm_frame_reader_got(&s->reader, n); /* READY shows in next() */
        return;
    }
    assert(s->buf && s->end + n <= FM_FRAME_READ_BUF);
    s->end += n;
}

int fm_frame_stream_next(fm_frame_stream *s, uint8_t **frame, size_t *len)
{
    fm_frame_reader *r = &s->reader;
    *frame = NULL;
    *len = 0;
    int rc = r->state < 0 ? r->state : r->state == ST_READY ? FM_FRAME_READY : FM_FRAME_MORE;
    if (rc == FM_FRAME_MORE && s->start < s->end) {
        size_t used = 0;
        rc = fm_frame_reader_feed(r, s->buf + s->start, s->end - s->start, &used);
        s->start += used;
    }
    if (rc == FM_FRAME_READY) {
        *frame = fm_frame_reader_take(r, len);
        if (s->start == s->end)
            stream_drop_buf(s);
        return FM_FRAME_READY;
    }
    /* MORE: every byte is inside the reader now; or a final failure. */
    stream_drop_buf(s);
    return rc;
}

int fm_frame_stream_buffered(const fm_frame_stream *s)
{
    return s->start < s->end || s->reader.state == ST_READY;
}

int fm_frame_stream_partial(const fm_frame_stream *s)
{
    return fm_frame_stream_buffered(s) || fm_frame_reader_partial(&s->reader);
}
