/*
 * policy_file.h - reading a round's policy options from a JSON file.
 *
 *     { "policy": "fair-access-v1", "time_limit_seconds": 600 }
 *
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
