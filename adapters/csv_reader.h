/*
 * csv_reader.h - private to the CSV readers: the generic part of reading a
 * files.md CSV file (csv_reader.c), used by csv_students.c,
 * csv_placements.c, csv_mentors.c and csv_schools.c.
 *
 * fm_csv_parse() runs libcsv over a buffer, maps the header to the columns a
 * file type declares, and calls the file type's row function once per data
 * row.  The row function reads values with the fm_csv_get_* parsers, which
 * check a value and, when it is bad, fill the error with the file, physical
 * line, column, field, row id and a message, and return FM_EINVAL; the row
 * function returns that code and parsing stops.  The fm_csv_parse_* functions
 * below them are the bare value syntaxes, for reuse and tests.
 */
#ifndef FM_CSV_READER_H
#define FM_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "csv_input.h"
#include "error.h"

#define FM_CSV_MAX_COLUMNS 256 /* fields in a header */
#define FM_CSV_ID_MAX 64       /* characters in an id */
#define FM_CSV_SECTOR_MAX 64   /* bytes in a sector code */
#define FM_CSV_LIST_MAX 256    /* items in a sector list */

/* A column a file type knows. */
typedef struct fm_csv_column {
    const char *name;
    int required; /* the header must have it */
} fm_csv_column;

typedef struct fm_csv_reader fm_csv_reader;

/* Called for each data row; returns 0 or the failing code (error filled). */
typedef int (*fm_csv_row_fn)(fm_csv_reader *rd, void *ctx);

/* Parses data (len bytes; a leading UTF-8 BOM is skipped) as file `name`
 * with the given columns.  Returns 0, or FM_EINVAL / FM_ENOMEM / the row
 * function's code with err filled.  Adds warnings to w (may be NULL). */
int fm_csv_parse(const char *name, const char *data, size_t len,
                 const fm_csv_column *cols, size_t n_cols,
                 fm_csv_row_fn row, void *ctx,
                 fm_csv_warnings *w, fm_error *err);

/* Reads a whole file into *data (owned by the caller, NUL-terminated; *len
 * excludes the NUL).  FM_EIO or FM_ENOMEM with err filled. */
int fm_csv_slurp(const char *path, char **data, size_t *len, fm_error *err);

/* The shape of the _mem readers; fm_csv_read_path() reads path and calls one. */
typedef int (*fm_csv_mem_fn)(fm_region *r, const char *name, const char *data,
                             size_t len, fm_csv_warnings *w, fm_error *err);
int fm_csv_read_path(fm_region *r, const char *path, fm_csv_mem_fn fn,
                     fm_csv_warnings *w, fm_error *err);

/* ---- inside a row function: col is an index into the column table ---- */

int fm_csv_has(const fm_csv_reader *rd, int col);      /* column in the header */
const char *fm_csv_value(const fm_csv_reader *rd, int col); /* trimmed; "" if absent */
long fm_csv_line(const fm_csv_reader *rd, int col);    /* physical line of the field */
long fm_csv_row_line(const fm_csv_reader *rd);         /* first line of the row */

/* Names the row in later errors: "student_ref S17". */
void fm_csv_set_id(fm_csv_reader *rd, const char *field, const char *value);

/* Fills the error at column col (or the row, col < 0) and returns code. */
int fm_csv_fail(fm_csv_reader *rd, int col, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes value quoted for a message ("S 17", long values shortened). */
void fm_csv_quote(char *buf, size_t size, const char *value);

/* Value parsers.  Blank optional values give the default. */
int fm_csv_get_id(fm_csv_reader *rd, int col, const char **out);
int fm_csv_get_text(fm_csv_reader *rd, int col, const char **out);
int fm_csv_get_date(fm_csv_reader *rd, int col, int required, int32_t *out);
int fm_csv_get_number(fm_csv_reader *rd, int col, double lo, double hi,
                      const char *expected, double def, double *out);
int fm_csv_get_int(fm_csv_reader *rd, int col, long lo, long hi, int required,
                   long def, int32_t *out);
int fm_csv_get_bool(fm_csv_reader *rd, int col, int def, uint8_t *out);
int fm_csv_get_gender(fm_csv_reader *rd, int col, char *out);
int fm_csv_get_week(fm_csv_reader *rd, int col, int32_t *out);
int fm_csv_get_sector(fm_csv_reader *rd, int col, const char **out);
/* lat and lon together: both given (*has = 1), or both blank (*has = 0; an
 * error if required, `why` saying why, e.g. "the placement is not virtual"). */
int fm_csv_get_location(fm_csv_reader *rd, int col_lat, int col_lon, int required,
                        const char *why, double *lat, double *lon, uint8_t *has);
/* `|` lists.  The arrays live in the reader until the next row. */
int fm_csv_get_weeks(fm_csv_reader *rd, int col, const int32_t **weeks, size_t *n);
int fm_csv_get_sectors(fm_csv_reader *rd, int col, size_t max,
                       const char *const **codes, size_t *n);

/* ---- helpers for the file types ---- */

/* The lines of the rows a file type has taken, in order, so that a duplicate
 * ref can name the line of the first one. */
typedef struct fm_csv_lines {
    long *v;
    size_t n, cap;
} fm_csv_lines;

int fm_csv_lines_push(fm_csv_reader *rd, fm_csv_lines *l); /* the current row */
void fm_csv_lines_free(fm_csv_lines *l);

/* Fails on a ref (column col) the region already holds at index found:
 * taken from this file if found >= first (the count before this file; lines
 * then says where), else loaded before. */
int fm_csv_fail_duplicate(fm_csv_reader *rd, int col, int32_t found, size_t first,
                          const fm_csv_lines *l);

/* Fails with a region call's code (FM_ENOMEM, FM_ELIMIT, ...) at column col. */
int fm_csv_fail_region(fm_csv_reader *rd, int col, int code);

/* Grows *arr (elem-sized items, capacity *cap) to hold need items; the new
 * items are zeroed.  0 or FM_ENOMEM (*arr as it was). */
int fm_csv_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* fm_csv_parse() with the region checkpointed into *mark first, and rolled
 * back to it when parsing fails: nothing of a failed file is taken. */
int fm_csv_parse_region(fm_region *r, fm_region_mark *mark, const char *name,
                        const char *data, size_t len, const fm_csv_column *cols,
                        size_t n_cols, fm_csv_row_fn row, void *ctx,
                        fm_csv_warnings *w, fm_error *err);

/* What a file type that adds one region row per data row keeps while it
 * reads: the ctx of its row function under fm_csv_parse_rows(). */
typedef struct fm_csv_rows {
    fm_region *r;
    fm_region_mark mark; /* the region before the file */
    fm_csv_lines lines;  /* of the rows taken */
} fm_csv_rows;

/* fm_csv_parse_region() with a fm_csv_rows for r as the ctx. */
int fm_csv_parse_rows(fm_region *r, const char *name, const char *data, size_t len,
                      const fm_csv_column *cols, size_t n_cols, fm_csv_row_fn row,
                      fm_csv_warnings *w, fm_error *err);

/* Reads the ref of a new row (column col) into *ref and names the row by it
 * (fm_csv_set_id with the column's name); a ref that find finds in c->r
 * fails as a duplicate (fm_csv_fail_duplicate; first: the count of such
 * rows at c->mark). */
int fm_csv_get_ref(fm_csv_reader *rd, fm_csv_rows *c, int col,
                   int32_t (*find)(const fm_region *, const char *), size_t first,
                   const char **ref);

/* Appends the n values v (a list read from column col) to r->ints: *off
 * and *count get where they are; nothing for n = 0.  0 or the failure. */
int fm_csv_add_ints(fm_csv_reader *rd, fm_region *r, int col, const int32_t *v, size_t n,
                    int32_t *off, int32_t *count);

/* The end of a row function: id is what adding the row to c->r gave; one
 * < 0 fails at column col (fm_csv_fail_region), else the row's line is
 * kept in c->lines. */
int fm_csv_row_added(fm_csv_reader *rd, fm_csv_rows *c, int col, int32_t id);

/* Bare syntaxes: 0 if s (already trimmed) is valid, else -1. */
int fm_csv_parse_id(const char *s);
int fm_csv_parse_date(const char *s, int32_t *yyyymmdd);
int fm_csv_parse_bool(const char *s, uint8_t *out);
int fm_csv_parse_week(const char *s, int32_t *yyyyww);
int fm_csv_parse_number(const char *s, double *out);
int fm_csv_parse_int(const char *s, long *out);
/* ISO weeks in a year: 52 or 53. */
int fm_csv_iso_weeks_in_year(int year);

#endif
