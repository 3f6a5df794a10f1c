/*
 * convert.h - between wire rows (fairmatch.v1 School, Student, Placement,
 * Mentor) and region rows (region.h), and the text forms of dates and ISO
 * weeks used on the wire.  Private to engine/.
 *
 * Inbound (fm_convert_*_in): every row of a typed batch is checked by the
 * rules of files.md, the same rules the CSV readers apply (ids of 1-64
 * chars of A-Z a-z 0-9 _ - ., dates YYYY-MM-DD, weeks YYYY-Www, ranges,
 * defaults for unset wrappers, a location unless virtual / online, 1-5
 * distinct sectors for a student who wants something), then appended to an
 * empty region.  On the first bad row the call returns FM_EINVAL with
 * err->field (the wire field), err->id ("student_ref S17", or "row 12" when
 * the ref itself is bad) and a message naming the row's position; the
 * region is then to be freed, not used.  FM_ENOMEM when memory runs out.
 * A ref given twice in one batch is an error.
 *
 * Outbound (fm_convert_list_out): the rows of one kind in a region (as
 * fm_store_list fills it) become wire rows allocated in an arena;
 * FM_ENOMEM if the arena runs out.
 */
#ifndef FM_CONVERT_H
#define FM_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "fairmatch.pb-c.h"
#include "region.h"
#include "store.h"

/* 0 and *out = yyyymmdd for a valid "YYYY-MM-DD" (1900-9999), else -1. */
int fm_date_parse(const char *s, int32_t *out);
/* "YYYY-MM-DD" of yyyymmdd into out (11 bytes); "" for 0. */
void fm_date_format(int32_t d, char out[11]);
/* 0 and *out = yyyyww for a valid "YYYY-Www", else -1. */
int fm_week_parse(const char *s, int32_t *out);
/* "YYYY-Www" of yyyyww into out (9 bytes); "" for 0. */
void fm_week_format(int32_t w, char out[9]);
/* Today's date in local time, yyyymmdd. */
int32_t fm_date_today(void);
/* 1 if s is an id of files.md: 1-64 chars of A-Z a-z 0-9 _ - . */
int fm_ref_valid(const char *s);

/* Wire Kind -> store kind, or 0 for KIND_UNSPECIFIED / unknown. */
fm_store_kind fm_convert_kind(Fairmatch__V1__Kind kind);

int fm_convert_schools_in(fm_region *out, Fairmatch__V1__School *const *rows,
                          size_t n, fm_error *err);
int fm_convert_students_in(fm_region *out, Fairmatch__V1__Student *const *rows,
                           size_t n, fm_error *err);
int fm_convert_placements_in(fm_region *out, Fairmatch__V1__Placement *const *rows,
                             size_t n, fm_error *err);
int fm_convert_mentors_in(fm_region *out, Fairmatch__V1__Mentor *const *rows,
                          size_t n, fm_error *err);

/* Fills out's array for kind from region r. */
int fm_convert_list_out(const fm_region *r, fm_store_kind kind, fm_arena *a,
                        Fairmatch__V1__ListResponse *out);

/* The last ref of kind in r ("" if none), for the next page token. */
const char *fm_convert_last_ref(const fm_region *r, fm_store_kind kind);

#endif
