/*
 * client_conn.h - a small blocking client connection to fairmatchd: connect
 * to HOST:PORT, send a framed fairmatch.v1.Request, read framed Responses
 * until the one with the request's id arrives (files.md, "Wire protocol":
 * a 4-byte big-endian length, then one protobuf message).
 *
 * One request is in flight at a time; fm_client_call() gives each request a
 * fresh id and waits for the answer with that id.  Answers with another id
 * are dropped, except an id-0 error (a frame the daemon could not read or
 * would not take), which is the answer to the request waiting.  All socket
 * work is bounded by the caller's timeout.
 *
 * Failure cases (0 or a negative FM_E* code, with *err filled):
 * FM_EINVAL for a server address that is not HOST:PORT or does not resolve;
 * FM_EIO when the connection cannot be made, breaks, is closed by the
 * daemon, times out, or carries an answer that does not decode; FM_ELIMIT
 * for an answer longer than FM_CLIENT_MAX_FRAME (checked before anything is
 * allocated for it); FM_ENOMEM.  After any failure of fm_client_call() the
 * connection is unusable (its stream position is lost): close it.
 */
#ifndef FM_CLIENT_CONN_H
#define FM_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "fairmatch.pb-c.h"

/* The longest answer the client takes (the daemon caps pages well below). */
#define FM_CLIENT_MAX_FRAME ((size_t)256 * 1024 * 1024)

typedef struct fm_client fm_client;

/* Connects to server ("HOST:PORT", "[V6]:PORT") within timeout_ms.  On
 * success *out is a new connection for fm_client_close; on failure NULL. */
int fm_client_connect(const char *server, int timeout_ms, fm_client **out,
                      fm_error *err);

/* Closes the connection and frees it (NULL is fine). */
void fm_client_close(fm_client *c);

/* Sets req->id to a fresh id, sends req, and waits up to timeout_ms for its
 * answer.  On success *out is the decoded Response, owned by the caller
 * (fm_client_response_free); it may carry an Error from the daemon, which
 * is not a failure of this call.  On failure *out is NULL. */
int fm_client_call(fm_client *c, Fairmatch__V1__Request *req, int timeout_ms,
                   Fairmatch__V1__Response **out, fm_error *err);

/* Frees an answer of fm_client_call (NULL is fine). */
void fm_client_response_free(Fairmatch__V1__Response *resp);

#endif
