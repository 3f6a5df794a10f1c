/*
 * store_private.h - private to store_*.c: the fm_store struct and the small
 * helpers every store file uses (errors from SQLite, transactions, scope
 * checks, binding texts).  Nothing outside adapters/store_*.c includes it.
 *
 * Error helpers fill err with the database path as the file and return the
 * code, so a caller writes `return st_fail(st, err, FM_EINVAL, ...)`.
 * sql_fail() maps a SQLite result to an FM_E* code (NOMEM -> FM_ENOMEM,
 * CONSTRAINT -> FM_EINVAL, everything else -> FM_EIO) and keeps SQLite's
 * message, which names constraints and columns but never values.
 */
#ifndef FM_STORE_PRIVATE_H
#define FM_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

struct fm_store {
    sqlite3 *db;
    int lock_fd;       /* FM_STORE_DAEMON: the flock()ed file, else -1 */
    char path[256];    /* for messages, truncated */
    unsigned char pupil_key[32]; /* the secrets row 'pupil_key' (store_open.c) */
    int read_only;     /* the file could only be opened for reading */
};

/* Longest employer-facing pupil pseudonym, NUL included ("P-" + 10 chars). */
#define FM_STORE__PUPIL_REF_SIZE 13

/* The employer-facing pseudonym of a pupil: "P-" and the first 10 base32
 * characters (50 bits) of BLAKE2b-256 keyed with st->pupil_key over the
 * round id (8 bytes, big-endian), employer_ref, a NUL, and student_ref.
 * Stable within one round for one employer, unlinkable across rounds and
 * employers, not reversible without the key.  out holds
 * FM_STORE__PUPIL_REF_SIZE bytes. */
void fm_store__pupil_ref(const fm_store *st, int64_t round_id, const char *employer_ref,
                         const char *student_ref, char *out);

/* Sets code and message with file = the database path; returns code. */
int fm_store__fail(const fm_store *st, fm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like fm_store__fail for a SQLite result rc of doing `what`. */
int fm_store__sql_fail(const fm_store *st, fm_error *err, int rc, const char *what);

/* Names the row a failure is about: err->field and err->id ("student_ref S1"). */
void fm_store__set_row(fm_error *err, const char *field, const char *id_field,
                       const char *ref);

/* Prepares sql (static text) into *stmt; 0 or the failing code. */
int fm_store__prepare(fm_store *st, const char *sql, sqlite3_stmt **stmt, fm_error *err);

/* Runs sql (no parameters, no rows wanted); 0 or the failing code. */
int fm_store__exec(fm_store *st, const char *sql, fm_error *err);

/* BEGIN IMMEDIATE (write) or BEGIN DEFERRED (read) / COMMIT / ROLLBACK.
 * fm_store__rollback ignores its own errors: it is the failure path. */
int fm_store__begin_write(fm_store *st, fm_error *err);
int fm_store__begin_read(fm_store *st, fm_error *err);
int fm_store__commit(fm_store *st, fm_error *err);
void fm_store__rollback(fm_store *st);

/* The end of a transaction: COMMIT when rc is 0, else ROLLBACK; returns rc,
 * or the commit's failure. */
int fm_store__finish(fm_store *st, int rc, fm_error *err);

/* Steps s once, wanting no row: 0, or the failure of doing `what`. */
int fm_store__step_done(const fm_store *st, sqlite3_stmt *s, const char *what,
                        fm_error *err);

/* Binds text (NULL binds SQL NULL); copies nothing, the text must outlive
 * the step. */
int fm_store__bind_text(sqlite3_stmt *s, int i, const char *text);

/* Copies column i (NULL -> "") into buf, truncating. */
void fm_store__column_copy(sqlite3_stmt *s, int i, char *buf, size_t size);

/* 1 if ref is a files.md id: 1-64 of A-Z a-z 0-9 _ - . */
int fm_store__valid_ref(const char *ref);

/* Checks the scope itself is well formed (a known role, a valid ref for a
 * school or employer, none for the coordinator): 0 or FM_EINVAL, field "scope". */
int fm_store__check_scope(const fm_store *st, const fm_store_scope *who, fm_error *err);

/* The start of a call on behalf of who: clears err, then
 * fm_store__check_scope(); 0 or its FM_EINVAL. */
int fm_store__enter(const fm_store *st, const fm_store_scope *who, fm_error *err);

/* The start of a call that reads a page of at most cap rows: *n = 0 and err
 * cleared; then, unless cap is 0 (*s stays NULL: nothing to read), sql is
 * prepared into *s with ?1 bound to after and ?2 to the page size
 * (fm_store__bind_limit).  0 or the failing code. */
int fm_store__page_begin(fm_store *st, const char *sql, int64_t after, size_t cap,
                         size_t *n, sqlite3_stmt **s, fm_error *err);

/* Binds a page size cap at i, as at most INT32_MAX. */
void fm_store__bind_limit(sqlite3_stmt *s, int i, size_t cap);

/* FM_EINVAL with field "scope" and message "<what> is not allowed for <role>". */
int fm_store__deny(const fm_store *st, const fm_store_scope *who, const char *what,
                   fm_error *err);

/* The current time in unix seconds. */
int64_t fm_store__now(void);

/* yyyymmdd <-> "YYYY-MM-DD" (buf >= 11 bytes).  _text returns 0 or FM_EINVAL
 * for a date that is not a calendar date; _parse 0 or -1. */
int fm_store__date_text(int32_t yyyymmdd, char *buf, size_t size);
int fm_store__date_parse(const char *text, int32_t *yyyymmdd);

#endif
