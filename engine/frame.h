/*
 * frame.h - the frame codec of the wire protocol (files.md, "Wire
 * protocol"): a 4-byte unsigned big-endian length, then that many bytes of
 * payload.  Pure: no sockets, no libuv, no protobuf.
 *
 * Reading is incremental and zero-copy friendly.  fm_frame_reader_want()
 * says where the next bytes must go and how many the current stage needs at
 * most (the rest of the 4-byte header, or the rest of the payload), so a
 * socket can read straight into the payload buffer, sized to the stage;
 * fm_frame_reader_got() records what arrived.  fm_frame_reader_feed() does
 * the same from a caller's buffer, for tests and for callers with their own
 * read buffer.  The length is checked against the reader's current maximum
 * as soon as the header is complete, before anything is allocated for it;
 * the maximum may be changed between frames (16 KiB until a connection has
 * presented a valid token, then the configured maximum).
 *
 * Normal case: a complete frame is handed to the caller (ownership passes:
 * free() it), and the reader starts on the next header.  A zero-length
 * frame is a complete, empty frame (its pointer is non-NULL).
 * Failure cases: a header announcing more than the maximum puts the reader
 * in the FM_FRAME_TOO_LARGE state (declared length kept in `declared`) and
 * nothing is allocated; the caller answers and closes.  Out of memory for a
 * payload gives FM_ENOMEM.  Both states are final: further input is refused
 * with the same code.  A stream that ends inside a frame is the caller's
 * concern (fm_frame_reader_partial() tells).
 *
 * fm_frame_stream is what a socket reads through: a reader plus a read
 * buffer of FM_FRAME_READ_BUF bytes, so that one read takes a header, a
 * small payload and the frames pipelined behind it, instead of one read per
 * header and one per payload.  Each read is sized to its stage: the
 * buffer's free space while reading headers and small payloads, and,
 * when nothing is buffered and the payload still missing is at least
 * FM_FRAME_READ_BUF bytes, exactly that remainder, straight into the
 * payload (no copy of large frames).  The buffer exists only while it holds
 * bytes not yet parsed: an idle connection, or one trickling a frame,
 * holds no buffer, only what its frame reader holds.  Lengths are checked
 * by the reader, before any payload is allocated, exactly as above.
 */
#ifndef FM_FRAME_H
#define FM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FM_FRAME_HEADER 4
#define FM_FRAME_PREAUTH_MAX ((size_t)16 * 1024)          /* before a token */
#define FM_FRAME_DEFAULT_MAX ((size_t)16 * 1024 * 1024)   /* configurable */
#define FM_FRAME_LIMIT_MAX ((size_t)UINT32_MAX)           /* the header's range */

enum {
    FM_FRAME_MORE = 0,       /* need more bytes */
    FM_FRAME_READY = 1,      /* a frame is complete */
    FM_FRAME_TOO_LARGE = -100 /* the header announced more than the maximum */
    /* and FM_ENOMEM (error.h) */
};

typedef struct fm_frame_reader {
    size_t max;           /* current maximum payload length */
    uint8_t header[FM_FRAME_HEADER];
    size_t header_got;
    uint8_t *payload;     /* owned while being filled */
    size_t length;        /* payload length, once the header is complete */
    size_t payload_got;
    size_t declared;      /* the too-large length, in FM_FRAME_TOO_LARGE */
    int state;            /* 0 header, 1 payload, 2 ready, <0 failed */
} fm_frame_reader;

/* Caller-owned reader; max is the initial maximum payload length. */
void fm_frame_reader_init(fm_frame_reader *r, size_t max);
/* Frees a partly read payload; the reader may be initialised again. */
void fm_frame_reader_free(fm_frame_reader *r);
/* Changes the maximum; applies to the next header read. */
void fm_frame_reader_set_max(fm_frame_reader *r, size_t max);

/* Where the next bytes go: *buf and at most *size bytes (> 0).  Allocates
 * the payload when the header is complete.  Returns FM_FRAME_MORE, or the
 * reader's final failure code (then *buf = NULL, *size = 0). */
int fm_frame_reader_want(fm_frame_reader *r, uint8_t **buf, size_t *size);

/* Records n bytes written where fm_frame_reader_want() said.  Returns
 * FM_FRAME_MORE, FM_FRAME_READY (take the frame with
 * fm_frame_reader_take()), FM_FRAME_TOO_LARGE or FM_ENOMEM. */
int fm_frame_reader_got(fm_frame_reader *r, size_t n);

/* After FM_FRAME_READY: hands the payload to the caller (*len its length;
 * free() it) and starts the next frame. */
uint8_t *fm_frame_reader_take(fm_frame_reader *r, size_t *len);

/* Copies from data until one frame completes or data runs out; *used says
 * how many bytes were consumed.  Returns as fm_frame_reader_got(). */
int fm_frame_reader_feed(fm_frame_reader *r, const uint8_t *data, size_t len,
                         size_t *used);

/* Nonzero when the reader holds part of a frame (a stream ending now would
 * cut a frame in half). */
int fm_frame_reader_partial(const fm_frame_reader *r);

#define FM_FRAME_READ_BUF ((size_t)16 * 1024)

typedef struct fm_frame_stream {
    fm_frame_reader reader;
    uint8_t *buf;         /* FM_FRAME_READ_BUF bytes, or NULL when empty */
    size_t start, end;    /* unparsed bytes: buf[start, end) */
    int direct;           /* the last want() pointed into the payload */
} fm_frame_stream;

/* Caller-owned stream; max as for the reader. */
void fm_frame_stream_init(fm_frame_stream *s, size_t max);
/* Frees the buffer and a partly read frame. */
void fm_frame_stream_free(fm_frame_stream *s);

/* Where the next read goes (see above).  Call only when
 * fm_frame_stream_next() last returned FM_FRAME_MORE (nothing complete is
 * buffered).  Returns FM_FRAME_MORE, FM_ENOMEM, or the reader's final
 * failure code (then *buf = NULL, *size = 0). */
int fm_frame_stream_want(fm_frame_stream *s, uint8_t **buf, size_t *size);

/* Records n bytes read where fm_frame_stream_want() said; n = 0 (nothing
 * read, or an end of stream reported without asking for a buffer) is fine
 * whether want() was called or not. */
void fm_frame_stream_got(fm_frame_stream *s, size_t n);

/* The next complete frame from what has been read: FM_FRAME_READY with
 * *frame (free() it) and *len; FM_FRAME_MORE when no complete frame is
 * held (everything read so far is then inside the reader, and the buffer
 * is freed); FM_FRAME_TOO_LARGE or FM_ENOMEM (final; the buffer is
 * freed). */
int fm_frame_stream_next(fm_frame_stream *s, uint8_t **frame, size_t *len);

/* Nonzero when bytes read are not parsed yet (fm_frame_stream_next() may
 * have a frame for the caller). */
int fm_frame_stream_buffered(const fm_frame_stream *s);

/* Nonzero when the stream holds part of a frame, buffered or in the reader. */
int fm_frame_stream_partial(const fm_frame_stream *s);

/* Writes the header for a payload of len bytes (len <= FM_FRAME_LIMIT_MAX). */
void fm_frame_header_put(uint8_t out[FM_FRAME_HEADER], uint32_t len);
/* Reads a header. */
uint32_t fm_frame_header_get(const uint8_t in[FM_FRAME_HEADER]);

#endif
