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
};

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
