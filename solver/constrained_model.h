/*
 * constrained_model.h - the GLPK model of a constrained side: columns for
 * the candidate pairs in the model, rows created when first needed, the
 * objective of the current level, pricing of the pairs left out, and lazy
 * rows.  Private to constrained_*.c (see constrained.h for the method).
 *
 * Rows: one per student (<= 1), per target (<= capacity), per placement
 * with a reserve (tier-3 pupils <= capacity - R), per school with a floor
 * (placed + shortfall >= need, the shortfall a column of its own), per
 * gender target (sum (100 [gender = G] - min_pct) x >= 0), per held level
 * (sum coef x >= value), and lazily per (school, employer) over its spread
 * (<= k) and per envy triple (s, p, h) found (stable: h, of a lower tier
 * than s, may hold p only if s gets a pair at least as good as p).
 * All calls must run under fm_glpk_guarded().
 */
#ifndef FM_CONSTRAINED_MODEL_H
#define FM_CONSTRAINED_MODEL_H

#include <glpk.h>

#include "constrained.h"

typedef struct fm_cmodel {
    const fm_cside *cs;
    glp_prob *lp;
    int level;               /* objective: 0 = phase 0 (shortfall), 1..4 */
    int32_t *col_of_pair;    /* per pair: column, 0 when out of the model */
    int64_t *col_pair;       /* per column: pair, or -1 - school for a shortfall */
    int n_cols, cap_cols;
    int *row_student, *row_cap, *row_tier3, *row_floor;
    int row_gt[FM_MAX_GENDER_TARGETS];
    int row_level[5];
    /* spread rows, keys school * n_employers + employer, unsorted */
    int64_t *spread_key;
    int *spread_row;
    int n_spread, cap_spread;
    /* stable rows (s, t, s2): x(s2, t) <= sum of x(s, q), u(s, q) >= u(s, t),
     * listed per target and per student */
    int32_t *st_s, *st_t, *st_s2;
    int16_t *st_u;
    int *st_row, *st_next_t, *st_next_s, *head_t, *head_s;
    int n_st, cap_st;
    double *dual;            /* per row, from the last LP */
    int cap_dual, n_dual;
    int *ind;                /* scratch for one column's entries */
    double *val;
    int cap_ent;
    int64_t pricing_rounds;
} fm_cmodel;

int fm_cmodel_init(fm_cmodel *m, const fm_cside *cs, int test_fault);
void fm_cmodel_free(fm_cmodel *m);  /* also after glp_free_env: set m->lp = NULL first */

/* Adds pair i's column (no-op when in); 0 or FM_ENOMEM. */
int fm_cmodel_add_pair(fm_cmodel *m, int64_t i);

/* Sets the objective to level k (0..4) on every column. */
void fm_cmodel_set_level(fm_cmodel *m, int k);

/* Adds the row "level k >= value" (k = 1..4). 0 or FM_ENOMEM. */
int fm_cmodel_hold_level(fm_cmodel *m, int k, double value);

/* Reads the row duals of the last LP.  0 or FM_ENOMEM. */
int fm_cmodel_read_duals(fm_cmodel *m);

/* Reduced cost of pair i under the duals read (objective of the level). */
double fm_cmodel_reduced_cost(fm_cmodel *m, int64_t i);

/* Adds, per student, up to per_student pairs out of the model with reduced
 * cost > min_rc (best first; per_student <= 0: all of them); returns how
 * many, or FM_ENOMEM. */
int64_t fm_cmodel_price(fm_cmodel *m, int per_student, double min_rc);

/* Largest z + d over the pairs out of the model (-inf when none). */
double fm_cmodel_best_outside(fm_cmodel *m, double z);

/* Adds the spread and stable rows that x (per column, 1-based) breaks, at
 * most max_rows; returns how many, or FM_ENOMEM. */
int64_t fm_cmodel_lazy_rows(fm_cmodel *m, const double *x, int64_t max_rows);

/* Value of level k (0..4) of an assignment (pair per student). */
double fm_cmodel_assignment_value(const fm_cmodel *m, const int64_t *pair_of, int k);

#endif
