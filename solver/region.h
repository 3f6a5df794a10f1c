/*
 * region.h - the in-memory data of one matching round: students, placements,
 * mentors, schools, and the interned names they refer to.
 *
 * A region owns all its memory (fm_region_init / fm_region_free).  Readers
 * (CSV, SQLite) fill it through the fm_region_add_* and fm_region_intern_*
 * calls; the solver only reads it.  Refs, sector codes and employer refs are
 * interned to small integer ids, so the solver compares integers, never
 * strings.  Sector codes are compared trimmed and case-insensitively
 * (policy.md), so "Law" and " law" are the same sector; the spelling first
 * seen is kept for reports.
 *
 * Dates are stored as yyyymmdd integers (20270614); ISO weeks as
 * yyyyww integers (2027-W24 -> 202724).  0 means "not set" for both.
 * This file does no I/O.
 */
#ifndef FM_REGION_H
#define FM_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FM_MAX_STUDENT_SECTORS 5

typedef struct fm_student {
    char *ref;
    int32_t school;          /* index into region->schools */
    int32_t birth_date;      /* yyyymmdd */
    double lat, lon;         /* degrees */
    double max_travel_km;
    uint8_t low_income, gifted, looked_after, needs_access;
    char gender;             /* 'F', 'M', 'X' or 0 for blank */
    uint8_t wants_placement, wants_mentor;
    uint8_t n_sectors;       /* 0..5 */
    int16_t sectors[FM_MAX_STUDENT_SECTORS]; /* sector ids, rank order */
    int32_t weeks_off;       /* into region->ints */
    int32_t n_weeks;         /* 0: any week */
} fm_student;

typedef struct fm_placement {
    char *ref;
    int32_t employer;        /* index into region->employers */
    char *title;             /* may be "" */
    int16_t sector;
    int32_t capacity;        /* 1..1000 */
    double lat, lon;         /* meaningful unless is_virtual */
    uint8_t has_location;
    uint8_t is_virtual, accessible, profession;
    int32_t min_age;         /* 13..25 */
    int32_t week;            /* yyyyww, 0 = any week */
    int32_t reserve_pct;     /* 0..100 */
} fm_placement;

typedef struct fm_mentor {
    char *ref;
    char *organisation;      /* may be "" */
    int32_t sectors_off;     /* into region->ints: sector ids */
    int32_t n_sectors;
    int32_t capacity;        /* 1..50 */
    double lat, lon;
    uint8_t has_location;
    uint8_t online;
    double max_travel_km;
    int32_t dbs_valid_until; /* yyyymmdd, 0 = none */
} fm_mentor;

typedef struct fm_school {
    char *ref;
    char *name;              /* "" unless listed in schools.csv */
    double lat, lon;
    uint8_t listed;          /* appeared in schools.csv */
} fm_school;

typedef struct fm_region_index fm_region_index; /* private lookup tables */

typedef struct fm_region {
    fm_student *students;     size_t n_students,   cap_students;
    fm_placement *placements; size_t n_placements, cap_placements;
    fm_mentor *mentors;       size_t n_mentors,    cap_mentors;
    fm_school *schools;       size_t n_schools,    cap_schools;
    char **employers;         size_t n_employers,  cap_employers;
    char **sectors;           size_t n_sectors,    cap_sectors;
    int32_t *ints;            size_t n_ints,       cap_ints; /* weeks, mentor sectors */
    fm_region_index *index;
} fm_region;

void fm_region_init(fm_region *r);
void fm_region_free(fm_region *r);

/* Interning: return the id (>= 0) of the name, adding it if new, or FM_ENOMEM.
 * fm_region_intern_sector returns FM_EINVAL for a blank code. */
int32_t fm_region_intern_school(fm_region *r, const char *ref);
int32_t fm_region_intern_employer(fm_region *r, const char *ref);
int32_t fm_region_intern_sector(fm_region *r, const char *code);

/* Lookups without adding: id or -1. */
int32_t fm_region_find_school(const fm_region *r, const char *ref);
int32_t fm_region_find_sector(const fm_region *r, const char *code);
int32_t fm_region_find_student(const fm_region *r, const char *ref);
int32_t fm_region_find_placement(const fm_region *r, const char *ref);
int32_t fm_region_find_mentor(const fm_region *r, const char *ref);

/* Appends a copy of *s (its ref string is copied; s->ref may be borrowed).
 * Returns the new index, FM_EINVAL for a duplicate ref, or FM_ENOMEM. */
int32_t fm_region_add_student(fm_region *r, const fm_student *s);
int32_t fm_region_add_placement(fm_region *r, const fm_placement *p);
int32_t fm_region_add_mentor(fm_region *r, const fm_mentor *m);

/* Appends n ints to region->ints; returns the offset or FM_ENOMEM. */
int32_t fm_region_add_ints(fm_region *r, const int32_t *v, size_t n);

/* Fills name and coordinates of a school (interning it if needed) and marks
 * it listed.  A school without a location gets lat = lon = NAN.  Returns 0 or
 * FM_ENOMEM (then the region is unchanged). */
int fm_region_set_school(fm_region *r, const char *ref, const char *name,
                         double lat, double lon, int has_location);

/* Like fm_region_set_school for an interned school id, but takes ownership
 * of name (from malloc, not NULL) and cannot fail, so that a reader can
 * commit a whole file at once after everything that can fail is done. */
void fm_region_set_school_owned(fm_region *r, int32_t id, char *name,
                                double lat, double lon, int has_location);

/* All-or-nothing loading.  fm_region_checkpoint() records how many items of
 * each kind the region holds; fm_region_rollback() removes everything added
 * since (students, placements, mentors, schools, employers, sectors, ints),
 * with their lookup entries, and cannot fail.  It does not undo
 * fm_region_set_school on schools that existed at the checkpoint. */
typedef struct fm_region_mark {
    size_t n_students, n_placements, n_mentors, n_schools;
    size_t n_employers, n_sectors, n_ints;
} fm_region_mark;

void fm_region_checkpoint(const fm_region *r, fm_region_mark *m);
void fm_region_rollback(fm_region *r, const fm_region_mark *m);

/* Puts students, placements and mentors in order of their refs (bytewise),
 * so that a round's result does not depend on the order of the input rows
 * and a region loaded from the daemon's store (which lists by ref) gives the
 * same files as the same CSVs.  Lookups stay valid; checkpoints taken before
 * the sort must not be rolled back to after it. */
void fm_region_sort_by_ref(fm_region *r);

/* Tier of a student under fair-access v1: 1, 2 or 3. */
int fm_student_tier(const fm_student *s);

#endif
