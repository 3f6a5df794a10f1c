/*
 * certificate_csv.h - OUT/certificate.csv: the optimality certificate of a
 * round (fm_side_certificate, solver.h) as a file that `fairmatch verify`
 * re-checks against the inputs.
 *
 *     side,node,ref,cut,potential
 *     placements,tier,1,,-812
 *     placements,tier,2,,-790
 *     placements,tier,3,,-640
 *     placements,general,PL000002,123,-301
 *     placements,reserved,PL000002,12,-288
 *     mentors,tier,1,,-700
 *     mentors,general,M00001,123,-250
 *
 * One row per tier node of each side (its potential), then one per seat
 * pool (a placement's general or reserved seats, a mentor's seats) whose
 * cut or potential is not zero; a pool not listed has neither.  `cut`
 * lists the levels (1, 2, 3) whose minimum cut has the pool on its source
 * side; `potential` is the pool's node potential in the level-4 network,
 * relative to the sink's.  Students' parts are implied
 * (fm_certificate_complete).  Sides in the order placements, mentors.
 */
#ifndef FM_CERTIFICATE_CSV_H
#define FM_CERTIFICATE_CSV_H

#include <stdio.h>

#include "error.h"
#include "region.h"
#include "solver.h"

/* Writes the file for both sides of res.  A side whose certificate was not
 * kept is left out.  FM_EIO. */
int fm_certificate_csv_write(FILE *f, const fm_region *r, const fm_result *res,
                             fm_error *err);

/* Reads a certificate.csv (data, len; name for messages) for region r into
 * out[0] (placements) and out[1] (mentors), allocated with 2 entries per
 * target (fm_certificate_side_free).  has[k] is set when side k has its
 * tier rows.  FM_EINVAL naming line and column for a bad row (unknown
 * side, node, ref, level, a pool listed twice), FM_ENOMEM. */
int fm_certificate_csv_read(const char *name, const char *data, size_t len,
                            const fm_region *r, fm_side_certificate out[2],
                            int has[2], fm_error *err);

#endif
