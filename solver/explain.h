/*
 * explain.h - what each student got, or why nothing.  Private.
 *
 * fm_explain_side() fills one fm_match per student from the final
 * assignment: the target, rank, utility and distance of a matched pair;
 * for a student who asked and got nothing, `outcompeted` when it had
 * eligible targets, else `no_eligible` with the rule that ruled out the most
 * targets (for each target, the first rule in policy order that fails;
 * a tie goes to the earlier rule).  With miss not NULL it also names each
 * unmatched student's nearest miss (fm_miss, solver.h).  FM_OK or
 * FM_ENOMEM.
 */
#ifndef FM_EXPLAIN_H
#define FM_EXPLAIN_H

#include "pools.h"
#include "solver.h"

int fm_explain_side(const fm_region *r, int mentors, int32_t date,
                    const fm_pools *p, const fm_assign *a, fm_match *match,
                    fm_miss *miss);

#endif
