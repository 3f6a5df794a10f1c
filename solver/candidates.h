/*
 * candidates.h - the eligible (student, target) pairs of a round, with their
 * utility and rank, per policy.md.
 *
 * fm_cands_build_placements() / _mentors() find every eligible pair without
 * comparing every student with every target: targets are bucketed by sector
 * (and, for in-person ones, by a latitude/longitude grid), so a student only
 * looks at targets of the sectors it lists within its travel radius.
 *
 * The pairs are stored per student (CSR layout): student s owns pairs
 * start[s] .. start[s+1]-1, ordered by utility descending, then by target
 * index ascending, so the order is deterministic and a student's best
 * candidates come first.  Students who did not ask have no pairs.
 *
 * Failure: FM_ENOMEM (out is left empty).  Memory: 7 bytes per pair plus
 * 8 bytes per student; while listing, each thread also holds one chunk of
 * 256 students' pairs, and the pair arrays are reserved a quarter larger
 * than the first chunk's rate predicts (address space, not memory, unless
 * written) and trimmed at the end.
 */
#ifndef FM_CANDIDATES_H
#define FM_CANDIDATES_H

#include <stdint.h>

#include "error.h"
#include "region.h"

typedef struct fm_cands {
    int64_t *start;      /* n_students + 1 offsets */
    int32_t *target;     /* placement or mentor index, per pair */
    int16_t *utility;    /* 1..500, per pair */
    int8_t *rank;        /* 1..5, per pair */
    int64_t n_pairs;
    int32_t n_students;
} fm_cands;

/* threads: how many threads list the pairs; 0 = one per online CPU (at
 * most 8).  The result does not depend on it, byte for byte. */
int fm_cands_build(const fm_region *r, int32_t date, int mentors, int threads,
                   fm_cands *out, fm_error *err);
/* fm_cands_build with threads = 0, for placements and for mentors. */
int fm_cands_build_placements(const fm_region *r, int32_t date, fm_cands *out,
                              fm_error *err);
int fm_cands_build_mentors(const fm_region *r, int32_t date, fm_cands *out,
                           fm_error *err);
void fm_cands_free(fm_cands *c);

/* Eligibility of one pair, in policy order: FM_RULE_NONE (eligible; *rank and
 * *utility set) or the first rule that fails (an fm_rule value). */
int fm_cands_check_placement(const fm_region *r, int32_t date, int32_t student,
                             int32_t placement, int *rank, int *utility,
                             double *distance_km);
int fm_cands_check_mentor(const fm_region *r, int32_t date, int32_t student,
                          int32_t mentor, int *rank, int *utility,
                          double *distance_km);

#endif
