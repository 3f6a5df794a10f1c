/*
 * explanations_csv.h - OUT/explanations.csv: for every pupil who asked and
 * got nothing, what a coordinator can act on (issue 4, item 4).
 *
 * Columns:
 *   side          placements or mentors
 *   student_ref, tier
 *   kind          outcompeted | no_eligible
 *   cause         outcompeted: `full` (every seat the pupil may take is
 *                 held) or `reserved` (the open seats are reserved and the
 *                 pupil is tier 3); no_eligible: the rule (policy.md)
 *   target_ref    the nearest miss (fm_miss, solver.h): for outcompeted the
 *                 pupil's best eligible target by utility; for no_eligible
 *                 the nearest target ruled out by that rule; blank if none
 *   employer_ref, sector   of that target (a mentor's sectors `|`-joined)
 *   distance_km   great-circle distance, 3 decimals; blank when remote
 *   week          the placement's week, blank for any week / a mentor
 *   seats, reserved        capacity and reserved seats
 *   held_tier1, held_tier2, held_tier3   pupils holding its seats, by tier
 *   target_value, pupil_value            no_eligible: what the rule compared
 *                 (sector: target's sector(s) / pupil's sectors; age: min
 *                 age / pupil's age on the round date; week: week / pupil's
 *                 weeks; access: "not accessible" / "needs access";
 *                 safeguarding: DBS valid until (or "none") / pupil's age;
 *                 distance: km / the travel limit in km)
 *   sentence      the same in one English sentence
 * Rows in the order of placements.csv then mentors.csv.  No personal field
 * beyond what the reason needs (an age, a travel limit, the access need).
 */
#ifndef FM_EXPLANATIONS_CSV_H
#define FM_EXPLANATIONS_CSV_H

#include <stdio.h>

#include "error.h"
#include "region.h"
#include "solver.h"

/* Writes the file; a side without nearest misses (res->X.miss NULL) has no
 * rows.  date: the round date (yyyymmdd).  FM_EIO, FM_ENOMEM. */
int fm_explanations_csv_write(FILE *f, const fm_region *r, int32_t date,
                              const fm_result *res, fm_error *err);

#endif
