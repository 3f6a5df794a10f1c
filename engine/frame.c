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
