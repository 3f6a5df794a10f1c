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

#include <jansson.h>

int fm_policy_file_read(const char *path, fm_round_params *params, fm_error *err);

/* The same keys from JSON text (the daemon's RoundOptions.constraints_json
 * and stored policies); errors name the key, never a file. */
int fm_policy_text_read(const char *text, fm_round_params *params, fm_error *err);

/* The constraints that are on, as the policy file's keys (a new object:
 * json_decref), so that fm_policy_text_read of its text gives them back;
 * {} when none.  NULL on ENOMEM. */
json_t *fm_policy_constraints_json(const fm_constraints *c);

#endif
