/*
 * error.h - the error report every fairmatch function fills on failure.
 *
 * Functions return 0 on success or a negative FM_E* code, and describe the
 * failure in a caller-provided fm_error: where (file, line, column), what
 * (field, id) and a human message.  Empty strings / zero numbers mean "not
 * applicable".  fm_error_format() renders the canonical one-line message:
 *
 *     students.csv:12:4: birth_date: "2011-13-01" is not a date (student_ref S17)
 *
 * Personal values never appear in messages written to logs by the daemon; the
 * CSV readers quote the offending value because they talk to the person who
 * owns the file.
 */
#ifndef FM_ERROR_H
#define FM_ERROR_H

#include <stddef.h>

enum {
    FM_OK = 0,
    FM_EINVAL = -1,    /* bad input: a value, a file, an option */
    FM_ENOMEM = -2,    /* allocation failed */
    FM_EIO = -3,       /* reading or writing a file failed */
    FM_EINFEASIBLE = -4, /* the constraints of a round cannot all be met */
    FM_ELIMIT = -5,    /* a time or size limit stopped the work */
    FM_EINTERNAL = -6, /* a bug: an invariant did not hold */
    FM_ECANCELLED = -7, /* the caller asked to stop */
    FM_EFULL = -8,     /* the disk (or the database's size limit) is full */
    FM_EREADONLY = -9  /* the database cannot be written (file mode, mount) */
};

typedef struct fm_error {
    int code;          /* the FM_E* code, 0 if no error */
    char file[256];    /* input file name, or "" */
    long line;         /* 1-based physical line, 0 if not applicable */
    long column;       /* 1-based column (field number), 0 if not applicable */
    char field[64];    /* column / field / option name, or "" */
    char id[96];       /* the row's identifier, e.g. "student_ref S17", or "" */
    char message[512]; /* what is wrong and, where useful, what to do */
} fm_error;

/* Resets err to "no error". */
void fm_error_clear(fm_error *err);

/* Sets code and message (printf-style); leaves file/line/column/field/id as
 * they are so a caller can fill those before or after.  Returns code. */
int fm_error_set(fm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the canonical one-line form of err into buf (always NUL-terminated). */
void fm_error_format(const fm_error *err, char *buf, size_t size);

/* A short stable name for a code: "invalid", "nomem", ... */
const char *fm_error_code_name(int code);

#endif
