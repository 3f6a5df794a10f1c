/*
 * policy_file.h - reading a round's policy options from a JSON file.
 *
 *     { "policy": "fair-access-v1", "time_limit_seconds": 600,
 *       "school_floor_pct": 30, "employer_spread_max": 2,
 *       "gender_targets": [{"sector": "engineering", "gender": "F", "min_pct": 40}],
 *       "stable_tiers": true,
 *       "mentors": {"school_floor_pct": 20, "stable_tiers": true} }
 *
 * The constraint keys at the top level apply to placements; "mentors"
 * holds those that apply to mentors (school_floor_pct, stable_tiers).
 * Their meaning is in solver/constraints.h and the README.
 * Every key is optional; an unknown key, a wrong type or a value out of
 * range is an error naming the file and the key, and leaves *params as it
 * was.
 */
#ifndef FM_POLICY_FILE_H
#define FM_POLICY_FILE_H

#include "error.h"
#include "solver.h"

int fm_policy_file_read(const char *path, fm_round_params *params, fm_error *err);

#endif
