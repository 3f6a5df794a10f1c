/*
 * constrained.h - one side of a round under extra constraints
 * (constraints.h), solved with GLPK.  Private to the solver.
 *
 * solver.c first solves the side plainly (network, certified).  If the
 * plain optimum meets every constraint it is also the constrained optimum
 * (the constraints only remove assignments), and nothing else runs.
 * Otherwise fm_constrained_solve() runs the levels in order on an integer
 * program over the side's candidate pairs (x = 1: the pair is matched):
 *
 *   phase 0  (only with school floors) minimise the total shortfall of the
 *            floors (elastic model); a positive minimum proves the floors
 *            cannot be met, and constrained_infeasible.c names who;
 *   level k  maximise n_k (k = 1..3), then U, each level held at its
 *            optimum by a row while the next is solved.
 *
 * Each level is exact but needs only a small part of the pairs:
 *   - column generation: the LP relaxation starts from every pupil's plain
 *     pair and best pair; all other pairs are priced with the row
 *     duals and those with a positive reduced cost are added, until none
 *     is: the LP value z is then a bound over all pairs;
 *   - lazy rows: the employer-spread and stable-tiers rows are added only
 *     when a solution (fractional or integer) breaks them;
 *   - branch and bound (glp_intopt) on the pairs in the model, started
 *     from the best solution known (the previous level's); then every pair
 *     outside the model whose reduced cost d satisfies z + d >= v + 1 is
 *     added and the MIP solved again, until none is: a solution better
 *     than v would have to use such a pair (LP duality), so v is optimal
 *     over all pairs.
 * A level whose incumbent already meets the bound (LP, or the plain
 * cumulative counts, which no constrained assignment can beat) needs no
 * MIP.  A time limit ends the search with the incumbent, and the level's
 * bound (the best of the search tree's bound and z + d over the pairs left
 * out) and gap are reported; later levels are then not optimised.
 *
 * All GLPK calls run under glpk_guard.c: an internal GLPK error longjmps
 * back, the GLPK environment is freed, and the round fails with
 * FM_EINTERNAL instead of aborting the process.
 */
#ifndef FM_CONSTRAINED_H
#define FM_CONSTRAINED_H

#include <stdint.h>

#include "candidates.h"
#include "pools.h"
#include "solver.h"

typedef struct fm_constrained_in {
    const fm_region *r;
    int mentors;
    const fm_pools *pools;                 /* its cands are all eligible pairs */
    const fm_side_constraints *opt;
    const fm_round_params *params;         /* progress, test fault */
    const fm_level_proof *plain_proof;     /* the certified plain levels */
    double t_start;                        /* monotonic start of the round */
    double deadline;                       /* monotonic; 0 = none */
    int (*stop)(void *arg);                /* cancel / time limit */
    void *stop_arg;
    fm_infeasible_evidence **evidence;     /* set with FM_EINFEASIBLE; may be NULL */
} fm_constrained_in;

/* a holds the certified plain optimum; on success it holds the constrained
 * result (laid out in pools) and out->constrained / out->proof /
 * out->vector are filled.  FM_EINFEASIBLE (err names the constraint and
 * party), FM_ELIMIT / FM_ECANCELLED (no solution meeting the constraints
 * yet), FM_EINVAL (unknown sector), FM_ENOMEM, FM_EINTERNAL (GLPK). */
int fm_constrained_solve(const fm_constrained_in *in, fm_assign *a, fm_side_result *out,
                         fm_error *err);

/* ---- shared by the constrained_*.c files ---- */

/* The side's data the constraints need, resolved once. */
typedef struct fm_cside {
    const fm_region *r;
    int mentors;
    const fm_pools *p;
    const fm_cands *c;
    const fm_side_constraints *opt;
    int32_t *pair_student;      /* per pair */
    int32_t *eligible;          /* per school: pupils who asked with >= 1 pair */
    int32_t *need;              /* per school: floor, pupils to place (0: none) */
    int16_t *gt_sector;         /* per gender target: sector id */
    int32_t n_schools, n_employers;
} fm_cside;

int fm_cside_init(fm_cside *cs, const fm_region *r, int mentors, const fm_pools *p,
                  const fm_side_constraints *opt, fm_error *err);
void fm_cside_free(fm_cside *cs);

static inline int fm_cside_tier(const fm_cside *cs, int32_t s) { return cs->p->tier[s]; }

/* Objective coefficient of pair i at level k (1..4; 0: none). */
static inline double fm_cside_level_coef(const fm_cside *cs, int k, int64_t i)
{
    if (k >= 1 && k <= 3)
        return fm_cside_tier(cs, cs->pair_student[i]) == k ? 1.0 : 0.0;
    return k == 4 ? (double)cs->c->utility[i] : 0.0;
}

/* An envy pair (student, target), for stable_tiers. */
typedef struct fm_envy { int32_t student, target; } fm_envy;

/* What an assignment (pair index per student, -1 none) breaks.  Counts the
 * violations of each kind; envy pairs are counted in v->envy when
 * stable_tiers is on or list or rep is given (list with max_list 0 counts
 * them without listing), and are violations only with stable_tiers; with
 * list != NULL also lists up to max_list envy pairs; with rep != NULL fills
 * rep->rows with every constraint row and its slack.  -1 on ENOMEM, else
 * the number of violations. */
typedef struct fm_cviolations {
    int64_t floor, spread, gender, envy;
} fm_cviolations;

int64_t fm_cside_check(const fm_cside *cs, const int64_t *pair_of, fm_cviolations *v,
                       fm_envy *list, int64_t max_list, int64_t *n_list,
                       fm_constrained_report *rep);

/* Pair index per student of a pool assignment, and back (reserved seats to
 * disadvantaged pupils first).  0 or FM_ENOMEM. */
int fm_cside_pairs_of(const fm_cside *cs, const fm_assign *a, int64_t **out);
void fm_cside_assign_from_pairs(const fm_cside *cs, const int64_t *pair_of, fm_assign *a);

/* constrained_start.c: repair takes pupils out of pair_of until spread,
 * gender targets and stable tiers hold; fill places more pupils of one
 * tier without breaking any constraint.  0 or FM_ENOMEM. */
int fm_cside_repair(const fm_cside *cs, int64_t *pair_of);
int fm_cside_fill(const fm_cside *cs, int64_t *pair_of, int tier);

/* Names the floors that cannot be met (FM_EINFEASIBLE into err).  shortfall
 * is per school (from the elastic model's optimum).  *evidence (may be
 * NULL) gets the LP certificates that prove it (constraints.h), owned by
 * the caller; FM_ENOMEM leaves it NULL. */
int fm_cside_explain_infeasible(const fm_cside *cs, const double *shortfall,
                                double total_shortfall, fm_infeasible_evidence **evidence,
                                fm_error *err);

/* constrained_evidence.c: the LP certificate (constraints.h) that the
 * floors of the n given schools cannot all be met.  1 when found (out
 * filled, free with fm_floor_cert_free), 0 when the LP cannot prove it,
 * FM_ENOMEM.  Runs under the caller's GLPK guard. */
int fm_cside_floor_cert(const fm_cside *cs, const int32_t *schools, int32_t n,
                        fm_floor_cert *out);
void fm_floor_cert_free(fm_floor_cert *fc);

/* glpk_guard.c: runs fn(arg) with GLPK's error hook set; a GLPK internal
 * error longjmps back, the GLPK environment of this thread is freed (every
 * glp_prob of the thread becomes invalid: on_error(arg) must forget them)
 * and FM_EINTERNAL is returned with GLPK's message.  Else fn's return. */
int fm_glpk_guarded(int (*fn)(void *arg), void (*on_error)(void *arg), void *arg,
                    fm_error *err);

#endif
