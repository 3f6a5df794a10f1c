/*
 * constrained_evidence.c - the LP certificate that a set of school floors
 * cannot be met, written with an infeasible round so that `fairmatch
 * verify` can re-check it from the inputs without solving
 * (fm_infeasible_evidence, constraints.h, describes what it proves).
 *
 * Normal case: fm_cside_floor_cert() builds the elastic LP over the pupils
 * of the given schools only (the other pupils left out, which can only
 * help those schools): x >= 0 per eligible pair, a shortfall sh_k >= 0 per
 * school, rows "each pupil at most once", "each target within its seats",
 * "each placement within its tier-3 limit", "each (school, employer) group
 * within the spread" and "placed_k + sh_k >= need_k", minimising the total
 * shortfall.  Gender targets and stability are left out (a relaxation).
 * When the LP minimum is positive, its row duals are the certificate: w_k
 * from the floor rows, y from the capacity rows (duals that are integers
 * up to 1e-9 are rounded; the matrix is totally unimodular for one school
 * without spread, so they usually are).  The certificate is then
 * recomputed the way verify does it (each pupil's y_s from the pairs, most
 * and needed), and kept only when most < needed by more than 1e-6.
 *
 * Failure: 0 with no certificate when the LP minimum is 0 (the floors
 * conflict only through integrality, gender targets or stability, or with
 * pupils of other schools) or GLPK does not reach an optimum; FM_ENOMEM.
 * Runs under the GLPK guard of the caller.
 */
#include <glpk.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "constrained.h"

#define SNAP 1e-9
#define PROOF_MARGIN 1e-6

typedef struct lp_rows {
    fm_cert_row *info;      /* per GLPK row */
    uint8_t *capacity;      /* per GLPK row: 1 for a capacity row (y), 0 pupil / floor */
    int cap;
} lp_rows;

/* kind < 0: a pupil or floor row, else a capacity row of that kind. */
static int add_row(glp_prob *lp, lp_rows *R, int kind, int32_t target, int32_t school,
                   int32_t employer, int bnd_type, double limit)
{
    int row = glp_add_rows(lp, 1);
    glp_set_row_bnds(lp, row, bnd_type, bnd_type == GLP_LO ? limit : 0.0,
                     bnd_type == GLP_UP ? limit : 0.0);
    if (row >= R->cap) {
        int cap = R->cap ? 2 * R->cap : 256;
        while (cap <= row)
            cap *= 2;
        fm_cert_row *n = realloc(R->info, (size_t)cap * sizeof *n);
        if (n)
            R->info = n;
        uint8_t *m = realloc(R->capacity, (size_t)cap);
        if (m)
            R->capacity = m;
        if (!n || !m)
            return -1;
        R->cap = cap;
    }
    R->info[row] = (fm_cert_row){ .kind = kind < 0 ? FM_CERT_CAPACITY : (fm_cert_row_kind)kind,
                                  .target = target, .school = school, .employer = employer,
                                  .limit = limit };
    R->capacity[row] = kind >= 0;
    return row;
}

static double snap(double v)
{
    double r = round(v);
    v = fabs(v - r) < SNAP ? r : v;
    return v > 0 ? v : 0.0;
}

void fm_floor_cert_free(fm_floor_cert *fc)
{
    free(fc->school);
    free(fc->weight);
    free(fc->need);
    free(fc->eligible);
    free(fc->rows);
    memset(fc, 0, sizeof *fc);
}

/* The rows of pair i (pupil s of school k): their indices into rows_of. */
static int pair_rows(const fm_cside *cs, int32_t s, int64_t i, const int *row_t,
                     const int *row_t3, const int *row_e, int32_t kpos, int out[3])
{
    int n = 0;
    int32_t t = cs->c->target[i];
    out[n++] = row_t[t];
    if (!cs->mentors && cs->p->tier[s] == 3 && row_t3[t])
        out[n++] = row_t3[t];
    if (row_e)
        out[n++] = row_e[(size_t)kpos * (size_t)cs->n_employers +
                         (size_t)cs->r->placements[t].employer];
    return n;
}

int fm_cside_floor_cert(const fm_cside *cs, const int32_t *schools, int32_t n,
                        fm_floor_cert *out)
{
    const fm_cands *c = cs->c;
    const fm_region *r = cs->r;
    int32_t nt = cs->p->n_targets;
    int spread = !cs->mentors && cs->opt->employer_spread_max > 0;
    int32_t *kpos = malloc(((size_t)cs->n_schools + 1) * sizeof *kpos);
    int *row_t = calloc((size_t)nt + 1, sizeof *row_t);
    int *row_t3 = calloc((size_t)nt + 1, sizeof *row_t3);
    int *row_k = calloc((size_t)n + 1, sizeof *row_k);
    int *row_e = spread ? calloc((size_t)n * (size_t)cs->n_employers + 1, sizeof *row_e) : NULL;
    double *y = NULL;
    lp_rows R = { 0 };
    glp_prob *lp = NULL;
    int rc = FM_ENOMEM, found = 0;
    memset(out, 0, sizeof *out);
    if (!kpos || !row_t || !row_t3 || !row_k || (spread && !row_e))
        goto out;
    for (int32_t k = 0; k < cs->n_schools; k++)
        kpos[k] = -1;
    for (int32_t j = 0; j < n; j++)
        kpos[schools[j]] = j;

    lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    for (int32_t j = 0; j < n; j++) {
        if ((row_k[j] = add_row(lp, &R, -1, -1, schools[j], -1, GLP_LO,
                                cs->need[schools[j]])) < 0)
            goto out;
        int col = glp_add_cols(lp, 1);
        int ind[2] = { 0, row_k[j] };
        double val[2] = { 0, 1 };
        glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, col, 1.0);
        glp_set_mat_col(lp, col, 1, ind, val);
    }
    for (int32_t s = 0; s < c->n_students; s++) {
        int32_t j = kpos[r->students[s].school];
        if (j < 0 || c->start[s + 1] == c->start[s])
            continue;
        int row_s = add_row(lp, &R, -1, -1, -1, -1, GLP_UP, 1.0);
        if (row_s < 0)
            goto out;
        for (int64_t i = c->start[s]; i < c->start[s + 1]; i++) {
            int32_t t = c->target[i];
            if (!row_t[t]) {
                int cap = cs->mentors ? r->mentors[t].capacity : r->placements[t].capacity;
                if ((row_t[t] = add_row(lp, &R, FM_CERT_CAPACITY, t, -1, -1, GLP_UP, cap)) < 0)
                    goto out;
            }
            if (!cs->mentors && cs->p->tier[s] == 3 && !row_t3[t]) {
                const fm_placement *pl = &r->placements[t];
                int32_t res = (int32_t)((int64_t)pl->capacity * pl->reserve_pct / 100);
                if (res > 0 && (row_t3[t] = add_row(lp, &R, FM_CERT_TIER3, t, -1, -1, GLP_UP,
                                                    pl->capacity - res)) < 0)
                    goto out;
            }
            if (spread) {
                int32_t e = r->placements[t].employer;
                int *re = &row_e[(size_t)j * (size_t)cs->n_employers + (size_t)e];
                if (!*re && (*re = add_row(lp, &R, FM_CERT_SPREAD, -1, schools[j], e, GLP_UP,
                                           cs->opt->employer_spread_max)) < 0)
                    goto out;
            }
            int ind[6] = { 0, row_s, row_k[j] }, rows[3];
            double val[6] = { 0, 1, 1, 1, 1, 1 };
            int nr = pair_rows(cs, s, i, row_t, row_t3, row_e, j, rows);
            for (int q = 0; q < nr; q++)
                ind[3 + q] = rows[q];
            int col = glp_add_cols(lp, 1);
            glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
            glp_set_mat_col(lp, col, 2 + nr, ind, val);
        }
    }
    glp_smcp smcp;
    glp_init_smcp(&smcp);
    smcp.msg_lev = GLP_MSG_OFF;
    rc = 0;
    if (glp_simplex(lp, &smcp) != 0 || glp_get_status(lp) != GLP_OPT ||
        glp_get_obj_val(lp) <= PROOF_MARGIN)
        goto out;

    /* The duals: w_k >= 0 on the floor rows, -dual >= 0 on the <= rows. */
    int nrows = glp_get_num_rows(lp);
    rc = FM_ENOMEM;
    y = calloc((size_t)nrows + 1, sizeof *y);
    out->school = malloc(((size_t)n + 1) * sizeof *out->school);
    out->weight = malloc(((size_t)n + 1) * sizeof *out->weight);
    out->need = malloc(((size_t)n + 1) * sizeof *out->need);
    out->eligible = malloc(((size_t)n + 1) * sizeof *out->eligible);
    if (!y || !out->school || !out->weight || !out->need || !out->eligible)
        goto out;
    int32_t n_rows = 0;
    for (int row = 1; row <= nrows; row++) {
        double d = glp_get_row_dual(lp, row);
        y[row] = snap(glp_get_row_type(lp, row) == GLP_LO ? d : -d);
        n_rows += R.capacity[row] && y[row] > 0;
    }
    /* The certificate, recomputed as verify does it. */
    double needed = 0, most = 0, uncovered = 0;
    for (int32_t j = 0; j < n; j++) {
        double w = y[row_k[j]];
        needed += w * cs->need[schools[j]];
        if (w > 0) {
            out->school[out->n_schools] = schools[j];
            out->weight[out->n_schools] = w;
            out->need[out->n_schools] = cs->need[schools[j]];
            out->eligible[out->n_schools++] = cs->eligible[schools[j]];
        }
    }
    for (int32_t s = 0; s < c->n_students; s++) {
        int32_t j = kpos[r->students[s].school];
        if (j < 0 || c->start[s + 1] == c->start[s] || y[row_k[j]] <= 0)
            continue;
        double ys = 0;
        for (int64_t i = c->start[s]; i < c->start[s + 1]; i++) {
            int rows[3];
            int nr = pair_rows(cs, s, i, row_t, row_t3, row_e, j, rows);
            double cover = 0;
            for (int q = 0; q < nr; q++)
                cover += y[rows[q]];
            ys = fmax(ys, y[row_k[j]] - cover);
        }
        uncovered += ys;
    }
    out->rows = malloc(((size_t)n_rows + 1) * sizeof *out->rows);
    if (!out->rows)
        goto out;
    for (int row = 1; row <= nrows; row++) {
        if (!R.capacity[row] || y[row] <= 0)
            continue;
        fm_cert_row *cr = &out->rows[out->n_rows++];
        *cr = R.info[row];
        cr->y = y[row];
        most += cr->y * cr->limit;
    }
    most += uncovered;
    out->uncovered = uncovered;
    out->most = most;
    out->needed = needed;
    found = needed - most > PROOF_MARGIN;
    rc = found;
out:
    if (lp)
        glp_delete_prob(lp);
    if (rc <= 0)
        fm_floor_cert_free(out);
    free(kpos);
    free(row_t);
    free(row_t3);
    free(row_k);
    free(row_e);
    free(y);
    free(R.info);
    free(R.capacity);
    return rc;
}

void fm_infeasible_evidence_free(fm_infeasible_evidence *ev)
{
    if (!ev)
        return;
    for (int i = 0; i < ev->n_certs; i++)
        fm_floor_cert_free(&ev->certs[i]);
    free(ev->certs);
    free(ev);
}
