/*
 * fuzz_frame.c - libFuzzer target for the frame reader (engine/frame.h).
 *
 * Input: byte 0 picks the reader's maximum (0..255 x 64 bytes, so both
 * accepted and too-large headers occur), byte 1 the size of the pieces the
 * stream arrives in (1..256), byte 2 a per-piece pattern choosing between
 * fm_frame_reader_feed and the want/got path a socket uses; the rest is the
 * byte stream.  Checked: every frame handed out is exactly the bytes that
 * followed its header; the bytes consumed equal the frames' headers and
 * payloads plus what the reader holds; a too-large header is one above the
 * maximum, and the final states stay final; partial() is right at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "fuzz_check.h"

/* Bytes of the stream taken, and whether a frame was handed out. */
static int take_frame(fm_frame_reader *r, const uint8_t *stream, size_t *frame_start)
{
    size_t len;
    uint8_t *p = fm_frame_reader_take(r, &len);
    FUZZ_CHECK(p != NULL);
    FUZZ_CHECK(fm_frame_header_get(stream + *frame_start) == len);
    FUZZ_CHECK(len == 0 || memcmp(p, stream + *frame_start + FM_FRAME_HEADER, len) == 0);
    free(p);
    *frame_start += FM_FRAME_HEADER + len;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t max = (size_t)data[0] * 64;
    size_t piece = (size_t)data[1] + 1;
    unsigned pattern = data[2];
    const uint8_t *stream = data + 3;
    size_t n = size - 3;

    fm_frame_reader r;
    fm_frame_reader_init(&r, max);
    size_t pos = 0, frame_start = 0;
    int rc = FM_FRAME_MORE;
    for (unsigned k = 0; pos < n; k++) {
        size_t chunk = n - pos < piece ? n - pos : piece;
        if (pattern >> (k % 8) & 1) {
            size_t used;
            rc = fm_frame_reader_feed(&r, stream + pos, chunk, &used);
            FUZZ_CHECK(used <= chunk);
            pos += used;
        } else {
            uint8_t *buf;
            size_t want;
            rc = fm_frame_reader_want(&r, &buf, &want);
            if (rc == FM_FRAME_MORE) {
                FUZZ_CHECK(buf != NULL && want > 0);
                size_t m = chunk < want ? chunk : want;
                memcpy(buf, stream + pos, m);
                pos += m;
                rc = fm_frame_reader_got(&r, m);
            } else {
                FUZZ_CHECK(buf == NULL && want == 0);
            }
        }
        if (rc == FM_FRAME_READY) {
            take_frame(&r, stream, &frame_start);
            rc = FM_FRAME_MORE;
        } else if (rc < 0) {
            break;
        }
    }
    if (rc == FM_FRAME_TOO_LARGE) {
        FUZZ_CHECK(r.declared > max);
        FUZZ_CHECK(r.declared == fm_frame_header_get(stream + frame_start));
        size_t used = 1;
        FUZZ_CHECK(fm_frame_reader_feed(&r, stream, n, &used) == FM_FRAME_TOO_LARGE);
        FUZZ_CHECK(used == 0);
    } else {
        FUZZ_CHECK(rc == FM_FRAME_MORE || rc == FM_ENOMEM);
        if (rc == FM_FRAME_MORE) {
            /* What was not handed out is held: a partial frame or nothing. */
            FUZZ_CHECK(pos == n);
            FUZZ_CHECK(!!fm_frame_reader_partial(&r) == (frame_start < n));
        }
    }
    fm_frame_reader_free(&r);
    return 0;
}
