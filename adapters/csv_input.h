/*
 * csv_input.h - reading the input files of a round (students.csv,
 * placements.csv, mentors.csv, schools.csv; files.md) into a region.
 *
 * Each reader takes a file by path, or the same bytes already in memory
 * (`_mem`, for tests and the daemon; `name` is what messages call the file).
 * Columns are found by header name (trimmed, case-insensitively) in any
 * order.  UTF-8 with or without a BOM, LF or CRLF line ends, quoted fields
 * with commas, doubled quotes and newlines, blank lines, and rows whose
 * fields are all empty (left by spreadsheets) are all accepted.
 *
 * On success the rows are appended to the region and 0 is returned.  A
 * column the reader does not know is ignored and noted in *w.  On failure
 * -- a missing required column, a bad value, a row with the wrong number of
 * fields, bad quoting, a duplicate header or ref, an empty file -- the
 * reader returns FM_EINVAL and fills *err with the file name, the physical
 * line (1-based, counting the lines inside quoted fields), the column
 * (1-based field position; 0 when the problem is a whole row or a missing
 * column), the field (header name), the row's id where known
 * ("student_ref S17") and a message quoting the bad value and saying what is
 * expected.  FM_EIO: the file could not be read; FM_ENOMEM: memory ran out.
 * Whatever the failure, nothing of the file is taken: the region is exactly
 * as before the call (interned schools, sectors and employers included).
 *
 * Students intern their school_ref and sectors, placements their
 * employer_ref and sector, mentors their sectors.  schools.csv names (and
 * locates) schools, which need not have students.  A ref that appears twice
 * in a file, or that the region already holds, is an error (schools.csv may
 * name a school that students already referred to).
 *
 * w and err may be NULL.
 */
#ifndef FM_CSV_INPUT_H
#define FM_CSV_INPUT_H

#include <stddef.h>

#include "error.h"
#include "region.h"

#define FM_CSV_WARNINGS_MAX 32   /* warnings kept; later ones are only counted */
#define FM_CSV_WARNING_LEN 320   /* bytes per warning, NUL included */

/* Warnings of one or more reads, caller-owned, no heap memory: each is one
 * line in the form of fm_error_format(), e.g.
 *     students.csv:1:7: unknown column "notes" ignored
 * A zeroed struct is empty. */
typedef struct fm_csv_warnings {
    size_t count;     /* warnings raised; text[] holds the first
                         min(count, FM_CSV_WARNINGS_MAX) */
    char text[FM_CSV_WARNINGS_MAX][FM_CSV_WARNING_LEN];
} fm_csv_warnings;

/* Empties w for reuse. */
void fm_csv_warnings_clear(fm_csv_warnings *w);

int fm_csv_read_students(fm_region *r, const char *path,
                         fm_csv_warnings *w, fm_error *err);
int fm_csv_read_students_mem(fm_region *r, const char *name, const char *data,
                             size_t len, fm_csv_warnings *w, fm_error *err);

int fm_csv_read_placements(fm_region *r, const char *path,
                           fm_csv_warnings *w, fm_error *err);
int fm_csv_read_placements_mem(fm_region *r, const char *name, const char *data,
                               size_t len, fm_csv_warnings *w, fm_error *err);

int fm_csv_read_mentors(fm_region *r, const char *path,
                        fm_csv_warnings *w, fm_error *err);
int fm_csv_read_mentors_mem(fm_region *r, const char *name, const char *data,
                            size_t len, fm_csv_warnings *w, fm_error *err);

int fm_csv_read_schools(fm_region *r, const char *path,
                        fm_csv_warnings *w, fm_error *err);
int fm_csv_read_schools_mem(fm_region *r, const char *name, const char *data,
                            size_t len, fm_csv_warnings *w, fm_error *err);

#endif
