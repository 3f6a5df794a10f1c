/*
 * constrained_model.c - building and growing the GLPK model of a
 * constrained side (see constrained_model.h).
 *
 * Normal case: fm_cmodel_init() creates the floor rows (each with its
 * shortfall column) and the gender-target rows; columns come in with
 * fm_cmodel_add_pair(), which first creates the student, target and
 * tier-3 rows the pair needs, then writes the pair's whole column (every
 * existing row it has a coefficient in, from one function, column_entries,
 * so that a column added late is the same as one added early).  Rows added
 * later (level rows, lazy rows) get their coefficients on the existing
 * columns from the same function, in one pass over the columns.
 * Pricing computes each pair's reduced cost from the same entries and the
 * row duals of the last LP.
 *
 * Failure: FM_ENOMEM (the model may then hold part of a batch; the caller
 * fails the round).  An invalid GLPK call is a bug, caught by the guard.
 */
#include "constrained_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_GROW 64

static int32_t target_capacity(const fm_cside *cs, int32_t t)
{
    return cs->mentors ? cs->r->mentors[t].capacity : cs->r->placements[t].capacity;
}

static int grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return 0;
    int n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return FM_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

void fm_cmodel_free(fm_cmodel *m)
{
    if (m->lp)
        glp_delete_prob(m->lp);
    free(m->col_of_pair);
    free(m->col_pair);
    free(m->row_student);
    free(m->row_cap);
    free(m->row_tier3);
    free(m->row_floor);
    free(m->spread_key);
    free(m->spread_row);
    free(m->st_s);
    free(m->st_t);
    free(m->st_s2);
    free(m->st_u);
    free(m->st_row);
    free(m->st_next_t);
    free(m->st_next_s);
    free(m->head_t);
    free(m->head_s);
    free(m->dual);
    free(m->ind);
    free(m->val);
    memset(m, 0, sizeof *m);
}

static int new_row(fm_cmodel *m, int type, double lb, double ub)
{
    int row = glp_add_rows(m->lp, 1);
    glp_set_row_bnds(m->lp, row, type, lb, ub);
    return row;
}

int fm_cmodel_init(fm_cmodel *m, const fm_cside *cs, int test_fault)
{
    memset(m, 0, sizeof *m);
    m->cs = cs;
    size_t ns = (size_t)cs->c->n_students, nt = (size_t)cs->p->n_targets;
    m->col_of_pair = calloc((size_t)cs->c->n_pairs + 1, sizeof *m->col_of_pair);
    m->row_student = calloc(ns + 1, sizeof *m->row_student);
    m->row_cap = calloc(nt + 1, sizeof *m->row_cap);
    m->row_tier3 = calloc(nt + 1, sizeof *m->row_tier3);
    m->row_floor = calloc((size_t)cs->n_schools + 1, sizeof *m->row_floor);
    m->head_t = malloc((nt + 1) * sizeof *m->head_t);
    m->head_s = malloc((ns + 1) * sizeof *m->head_s);
    if (!m->col_of_pair || !m->row_student || !m->row_cap || !m->row_tier3 || !m->row_floor ||
        !m->head_t || !m->head_s)
        return FM_ENOMEM;
    memset(m->head_t, 0xff, (nt + 1) * sizeof *m->head_t);
    memset(m->head_s, 0xff, (ns + 1) * sizeof *m->head_s);
    m->lp = glp_create_prob();
    glp_set_obj_dir(m->lp, GLP_MAX);
    if (test_fault)
        glp_set_col_bnds(m->lp, 0, GLP_LO, 0.0, 0.0); /* column 0 does not exist */
    for (int32_t k = 0; k < cs->n_schools; k++) {
        if (cs->need[k] <= 0)
            continue;
        m->row_floor[k] = new_row(m, GLP_LO, cs->need[k], 0.0);
        if (grow((void **)&m->col_pair, &m->cap_cols, m->n_cols + 2, sizeof *m->col_pair))
            return FM_ENOMEM;
        int col = glp_add_cols(m->lp, 1);
        m->n_cols = col;
        m->col_pair[col] = -1 - (int64_t)k;
        glp_set_col_bnds(m->lp, col, GLP_LO, 0.0, 0.0);
        int ind[2] = {0, m->row_floor[k]};
        double val[2] = {0, 1.0};
        glp_set_mat_col(m->lp, col, 1, ind, val);
    }
    for (int g = 0; !cs->mentors && g < cs->opt->n_gender_targets; g++)
        m->row_gt[g] = new_row(m, GLP_LO, 0.0, 0.0);
    return 0;
}

/* Appends (row, v) to the scratch entries; -1 on ENOMEM. */
static int put(fm_cmodel *m, int *n, int row, double v)
{
    if (*n + 2 > m->cap_ent) {
        int cap = m->cap_ent + ENTRY_GROW;
        int *ind = realloc(m->ind, (size_t)cap * sizeof *ind);
        if (ind)
            m->ind = ind;
        double *val = realloc(m->val, (size_t)cap * sizeof *val);
        if (val)
            m->val = val;
        if (!ind || !val)
            return -1;
        m->cap_ent = cap;
    }
    ++*n;
    m->ind[*n] = row;
    m->val[*n] = v;
    return 0;
}

static int spread_row_of(const fm_cmodel *m, int64_t key)
{
    for (int k = 0; k < m->n_spread; k++)
        if (m->spread_key[k] == key)
            return m->spread_row[k];
    return 0;
}

static int64_t spread_key(const fm_cside *cs, int32_t s, int32_t t)
{
    return (int64_t)cs->r->students[s].school * cs->n_employers + cs->r->placements[t].employer;
}

/* Every existing row pair i has a coefficient in, into m->ind/val[1..n].
 * Returns n, or -1 on ENOMEM. */
static int column_entries(fm_cmodel *m, int64_t i)
{
    const fm_cside *cs = m->cs;
    int32_t s = cs->pair_student[i], t = cs->c->target[i];
    int tier = cs->p->tier[s], n = 0, bad = 0;
    if (m->row_student[s])
        bad |= put(m, &n, m->row_student[s], 1.0);
    if (m->row_cap[t])
        bad |= put(m, &n, m->row_cap[t], 1.0);
    if (tier == 3 && m->row_tier3[t])
        bad |= put(m, &n, m->row_tier3[t], 1.0);
    int32_t school = cs->r->students[s].school;
    if (m->row_floor[school])
        bad |= put(m, &n, m->row_floor[school], 1.0);
    if (m->n_spread) {
        int row = spread_row_of(m, spread_key(cs, s, t));
        if (row)
            bad |= put(m, &n, row, 1.0);
    }
    for (int g = 0; !cs->mentors && g < cs->opt->n_gender_targets; g++) {
        if (cs->r->placements[t].sector != cs->gt_sector[g])
            continue;
        const fm_gender_target *gt = &cs->opt->gender_target[g];
        double v = (cs->r->students[s].gender == gt->gender ? 100.0 : 0.0) - gt->min_pct;
        if (v != 0.0)
            bad |= put(m, &n, m->row_gt[g], v);
    }
    for (int k = 1; k <= 4; k++) {
        double v = fm_cside_level_coef(cs, k, i);
        if (m->row_level[k] && v != 0.0)
            bad |= put(m, &n, m->row_level[k], v);
    }
    /* Stable rows (s0, t, s): s is the lower-tier holder of t that s0 envies. */
    for (int r = m->head_t[t]; r >= 0; r = m->st_next_t[r])
        if (m->st_s2[r] == s)
            bad |= put(m, &n, m->st_row[r], 1.0);
    /* Stable rows of s: this pair is at least as good as the envied target. */
    for (int r = m->head_s[s]; r >= 0; r = m->st_next_s[r])
        if (cs->c->utility[i] >= m->st_u[r])
            bad |= put(m, &n, m->st_row[r], -1.0);
    return bad ? -1 : n;
}

static double objective_coef(const fm_cmodel *m, int64_t i)
{
    return fm_cside_level_coef(m->cs, m->level, i);
}

int fm_cmodel_add_pair(fm_cmodel *m, int64_t i)
{
    const fm_cside *cs = m->cs;
    if (m->col_of_pair[i])
        return 0;
    int32_t s = cs->pair_student[i], t = cs->c->target[i];
    if (!m->row_student[s])
        m->row_student[s] = new_row(m, GLP_UP, 0.0, 1.0);
    if (!m->row_cap[t])
        m->row_cap[t] = new_row(m, GLP_UP, 0.0, target_capacity(cs, t));
    if (cs->p->tier[s] == 3 && !m->row_tier3[t] && !cs->mentors) {
        const fm_placement *pl = &cs->r->placements[t];
        int32_t reserved = (int32_t)((int64_t)pl->capacity * pl->reserve_pct / 100);
        if (reserved > 0)
            m->row_tier3[t] = new_row(m, GLP_UP, 0.0, pl->capacity - reserved);
    }
    if (grow((void **)&m->col_pair, &m->cap_cols, m->n_cols + 2, sizeof *m->col_pair))
        return FM_ENOMEM;
    int n = column_entries(m, i);
    if (n < 0)
        return FM_ENOMEM;
    int col = glp_add_cols(m->lp, 1);
    m->n_cols = col;
    m->col_pair[col] = i;
    m->col_of_pair[i] = col;
    glp_set_col_kind(m->lp, col, GLP_BV);
    glp_set_obj_coef(m->lp, col, objective_coef(m, i));
    glp_set_mat_col(m->lp, col, n, m->ind, m->val);
    return 0;
}

void fm_cmodel_set_level(fm_cmodel *m, int k)
{
    m->level = k;
    for (int col = 1; col <= m->n_cols; col++) {
        int64_t i = m->col_pair[col];
        glp_set_obj_coef(m->lp, col, i >= 0 ? objective_coef(m, i) : (k == 0 ? -1.0 : 0.0));
    }
}

/* Gives the rows first_row.. their coefficients on the existing columns. */
static int fill_new_rows(fm_cmodel *m, int first_row)
{
    int n_rows = glp_get_num_rows(m->lp), n_new = n_rows - first_row + 1;
    if (n_new <= 0)
        return 0;
    /* Column lists per new row, built in one pass over the columns. */
    int *count = calloc((size_t)n_new + 1, sizeof *count);
    int **cols = calloc((size_t)n_new + 1, sizeof *cols);
    double **vals = calloc((size_t)n_new + 1, sizeof *vals);
    int *cap = calloc((size_t)n_new + 1, sizeof *cap);
    int rc = FM_ENOMEM;
    if (!count || !cols || !vals || !cap)
        goto out;
    for (int col = 1; col <= m->n_cols; col++) {
        if (m->col_pair[col] < 0)
            continue;
        int n = column_entries(m, m->col_pair[col]);
        if (n < 0)
            goto out;
        for (int e = 1; e <= n; e++) {
            int r = m->ind[e] - first_row;
            if (r < 0)
                continue;
            if (count[r] + 2 > cap[r]) {
                int c2 = cap[r] ? 2 * cap[r] : 16;
                int *nc = realloc(cols[r], (size_t)c2 * sizeof *nc);
                if (nc)
                    cols[r] = nc;
                double *nv = realloc(vals[r], (size_t)c2 * sizeof *nv);
                if (nv)
                    vals[r] = nv;
                if (!nc || !nv)
                    goto out;
                cap[r] = c2;
            }
            count[r]++;
            cols[r][count[r]] = col;
            vals[r][count[r]] = m->val[e];
        }
    }
    for (int r = 0; r < n_new; r++)
        if (count[r])
            glp_set_mat_row(m->lp, first_row + r, count[r], cols[r], vals[r]);
    rc = 0;
out:
    for (int r = 0; cols && vals && r < n_new; r++) {
        free(cols[r]);
        free(vals[r]);
    }
    free(count);
    free(cols);
    free(vals);
    free(cap);
    return rc;
}

int fm_cmodel_hold_level(fm_cmodel *m, int k, double value)
{
    if (m->row_level[k]) {
        glp_set_row_bnds(m->lp, m->row_level[k], GLP_LO, value, 0.0);
        return 0;
    }
    int row = new_row(m, GLP_LO, value, 0.0);
    m->row_level[k] = row;
    return fill_new_rows(m, row);
}

int fm_cmodel_read_duals(fm_cmodel *m)
{
    int n = glp_get_num_rows(m->lp);
    if (grow((void **)&m->dual, &m->cap_dual, n + 1, sizeof *m->dual))
        return FM_ENOMEM;
    for (int r = 1; r <= n; r++)
        m->dual[r] = glp_get_row_dual(m->lp, r);
    m->n_dual = n;
    return 0;
}

double fm_cmodel_reduced_cost(fm_cmodel *m, int64_t i)
{
    int n = column_entries(m, i);
    if (n < 0)
        return NAN;
    double d = objective_coef(m, i);
    for (int e = 1; e <= n; e++)
        if (m->ind[e] <= m->n_dual)
            d -= m->val[e] * m->dual[m->ind[e]];
    return d;
}

static int push_pick(int64_t **pick, int64_t *n, int64_t *cap, int64_t i)
{
    if (*n == *cap) {
        int64_t c2 = *cap ? 2 * *cap : 1024;
        int64_t *q = realloc(*pick, (size_t)c2 * sizeof *q);
        if (!q)
            return FM_ENOMEM;
        *pick = q;
        *cap = c2;
    }
    (*pick)[(*n)++] = i;
    return 0;
}

/* The dual of a row that does not exist yet is 0; entries only name
 * existing rows, so pricing a pair whose student or target has no row is
 * exact. */
int64_t fm_cmodel_price(fm_cmodel *m, int per_student, double min_rc)
{
    const fm_cside *cs = m->cs;
    int64_t added = 0, n_pick = 0, cap_pick = 0, *pick = NULL;
    enum { MAX_PER = 4 };
    if (per_student > MAX_PER)
        per_student = MAX_PER;
    m->pricing_rounds++;
    for (int32_t s = 0; s < cs->c->n_students; s++) {
        int64_t best[MAX_PER];
        double best_d[MAX_PER];
        int nb = 0;
        for (int64_t i = cs->c->start[s]; i < cs->c->start[s + 1]; i++) {
            if (m->col_of_pair[i])
                continue;
            double d = fm_cmodel_reduced_cost(m, i);
            if (isnan(d)) {
                free(pick);
                return FM_ENOMEM;
            }
            if (!(d > min_rc))
                continue;
            if (per_student <= 0) {
                if (push_pick(&pick, &n_pick, &cap_pick, i)) {
                    free(pick);
                    return FM_ENOMEM;
                }
                continue;
            }
            /* Keep the per_student largest, in order. */
            if (nb == per_student && best_d[nb - 1] >= d)
                continue;
            int k = nb < per_student ? nb++ : per_student - 1;
            while (k > 0 && best_d[k - 1] < d) {
                best[k] = best[k - 1];
                best_d[k] = best_d[k - 1];
                k--;
            }
            best[k] = i;
            best_d[k] = d;
        }
        /* Added after the pass: new rows have no dual yet. */
        for (int k = 0; k < nb; k++) {
            if (push_pick(&pick, &n_pick, &cap_pick, best[k])) {
                free(pick);
                return FM_ENOMEM;
            }
        }
    }
    for (int64_t k = 0; k < n_pick; k++) {
        if (fm_cmodel_add_pair(m, pick[k])) {
            free(pick);
            return FM_ENOMEM;
        }
        added++;
    }
    free(pick);
    return added;
}

double fm_cmodel_best_outside(fm_cmodel *m, double z)
{
    double best = -INFINITY;
    for (int64_t i = 0; i < m->cs->c->n_pairs; i++) {
        if (m->col_of_pair[i])
            continue;
        double d = fm_cmodel_reduced_cost(m, i);
        if (z + d > best)
            best = z + d;
    }
    return best;
}

static int add_stable_row(fm_cmodel *m, int32_t s, int32_t t, int32_t s2, int16_t u)
{
    for (int r = m->head_s[s]; r >= 0; r = m->st_next_s[r])
        if (m->st_t[r] == t && m->st_s2[r] == s2)
            return 0; /* already there */
    int n = m->n_st;
    if (n + 1 > m->cap_st) {
        int cap = m->cap_st ? 2 * m->cap_st : 64, bad = 0;
#define GROW_ST(f) do { void *q = realloc(m->f, (size_t)cap * sizeof *m->f); \
                        if (q) m->f = q; else bad = 1; } while (0)
        GROW_ST(st_s); GROW_ST(st_t); GROW_ST(st_s2); GROW_ST(st_u); GROW_ST(st_row);
        GROW_ST(st_next_t); GROW_ST(st_next_s);
#undef GROW_ST
        if (bad)
            return FM_ENOMEM;
        m->cap_st = cap;
    }
    m->st_s[n] = s;
    m->st_t[n] = t;
    m->st_s2[n] = s2;
    m->st_u[n] = u;
    m->st_row[n] = new_row(m, GLP_UP, 0.0, 0.0);
    m->st_next_t[n] = m->head_t[t];
    m->head_t[t] = n;
    m->st_next_s[n] = m->head_s[s];
    m->head_s[s] = n;
    m->n_st++;
    return 1;
}

static int add_spread_row(fm_cmodel *m, int64_t key)
{
    if (spread_row_of(m, key))
        return 0;
    if (grow((void **)&m->spread_key, &m->cap_spread, m->n_spread + 1, sizeof *m->spread_key))
        return FM_ENOMEM;
    int cap = m->cap_spread;
    int *rows = realloc(m->spread_row, (size_t)cap * sizeof *rows);
    if (!rows)
        return FM_ENOMEM;
    m->spread_row = rows;
    m->spread_key[m->n_spread] = key;
    m->spread_row[m->n_spread++] =
        new_row(m, GLP_UP, 0.0, m->cs->opt->employer_spread_max);
    return 1;
}

static int cmp_key_val(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Spread: the sum of x over each (school, employer) group of the model's
 * columns, against k. */
static int64_t lazy_spread(fm_cmodel *m, const double *x, int64_t max_rows)
{
    const fm_cside *cs = m->cs;
    int64_t n = 0, added = 0;
    int64_t (*kv)[2] = malloc(((size_t)m->n_cols + 1) * sizeof *kv);
    if (!kv)
        return FM_ENOMEM;
    for (int col = 1; col <= m->n_cols; col++) {
        int64_t i = m->col_pair[col];
        if (i < 0 || x[col] < 1e-9)
            continue;
        kv[n][0] = spread_key(cs, cs->pair_student[i], cs->c->target[i]);
        kv[n][1] = col;
        n++;
    }
    qsort(kv, (size_t)n, sizeof *kv, cmp_key_val);
    for (int64_t a = 0, b; a < n && added < max_rows; a = b) {
        double sum = 0;
        for (b = a; b < n && kv[b][0] == kv[a][0]; b++)
            sum += x[kv[b][1]];
        if (sum > cs->opt->employer_spread_max + 1e-6) {
            int rc = add_spread_row(m, kv[a][0]);
            if (rc < 0) {
                free(kv);
                return rc;
            }
            added += rc;
        }
    }
    free(kv);
    return added;
}

/* Stable: for each pupil s of tier 1 or 2, each eligible target t and
 * each holder h of t of a lower tier: x(h, t) <= the x of s's pairs at
 * least as good as t (one row per such triple that x breaks). */
typedef struct holder { int32_t t, s; double x; } holder;

static int cmp_holder(const void *a, const void *b)
{
    const holder *x = a, *y = b;
    return x->t != y->t ? (x->t > y->t) - (x->t < y->t) : (x->s > y->s) - (x->s < y->s);
}

static int64_t lazy_stable(fm_cmodel *m, const double *x, int64_t max_rows)
{
    const fm_cside *cs = m->cs;
    int32_t nt = cs->p->n_targets;
    int64_t added = 0, nh = 0;
    holder *h = malloc(((size_t)m->n_cols + 1) * sizeof *h);
    int64_t *first = malloc(((size_t)nt + 2) * sizeof *first);
    if (!h || !first) {
        free(h);
        free(first);
        return FM_ENOMEM;
    }
    for (int col = 1; col <= m->n_cols; col++) {
        int64_t i = m->col_pair[col];
        if (i < 0 || x[col] < 1e-9 || cs->p->tier[cs->pair_student[i]] == 1)
            continue;
        h[nh].t = cs->c->target[i];
        h[nh].s = cs->pair_student[i];
        h[nh].x = x[col];
        nh++;
    }
    qsort(h, (size_t)nh, sizeof *h, cmp_holder);
    for (int32_t t = 0, k = 0; t <= nt; t++) {
        while (k < nh && h[k].t < t)
            k++;
        first[t] = k;
    }
    first[nt + 1] = nh;
    for (int32_t s = 0; s < cs->c->n_students && added < max_rows; s++) {
        int tier = cs->p->tier[s];
        if (tier == 3)
            continue;
        int64_t a = cs->c->start[s], e = cs->c->start[s + 1];
        double better = 0; /* x of s's pairs of utility >= the current group */
        for (int64_t g = a, gh; g < e && added < max_rows; g = gh) {
            for (gh = g; gh < e && cs->c->utility[gh] == cs->c->utility[g]; gh++)
                if (m->col_of_pair[gh])
                    better += x[m->col_of_pair[gh]];
            for (int64_t i = g; i < gh && added < max_rows; i++) {
                int32_t t = cs->c->target[i];
                for (int64_t k = first[t]; k < first[t + 1] && added < max_rows; k++) {
                    if (cs->p->tier[h[k].s] <= tier || h[k].x <= better + 1e-6)
                        continue;
                    int rc = add_stable_row(m, s, t, h[k].s, cs->c->utility[i]);
                    if (rc < 0) {
                        free(h);
                        free(first);
                        return rc;
                    }
                    added += rc;
                }
            }
        }
    }
    free(h);
    free(first);
    return added;
}

int64_t fm_cmodel_lazy_rows(fm_cmodel *m, const double *x, int64_t max_rows)
{
    int first = glp_get_num_rows(m->lp) + 1;
    int64_t added = 0;
    if (!m->cs->mentors && m->cs->opt->employer_spread_max > 0) {
        added = lazy_spread(m, x, max_rows);
        if (added < 0)
            return added;
    }
    if (m->cs->opt->stable_tiers && added < max_rows) {
        int64_t a2 = lazy_stable(m, x, max_rows - added);
        if (a2 < 0)
            return a2;
        added += a2;
    }
    if (added > 0 && fill_new_rows(m, first))
        return FM_ENOMEM;
    return added;
}

double fm_cmodel_assignment_value(const fm_cmodel *m, const int64_t *pair_of, int k)
{
    const fm_cside *cs = m->cs;
    double v = 0;
    if (k == 0) {
        int32_t *placed = calloc((size_t)cs->n_schools + 1, sizeof *placed);
        if (!placed)
            return NAN;
        for (int32_t s = 0; s < cs->c->n_students; s++)
            if (pair_of[s] >= 0)
                placed[cs->r->students[s].school]++;
        for (int32_t j = 0; j < cs->n_schools; j++)
            if (placed[j] < cs->need[j])
                v -= cs->need[j] - placed[j];
        free(placed);
        return v;
    }
    for (int32_t s = 0; s < cs->c->n_students; s++)
        if (pair_of[s] >= 0)
            v += fm_cside_level_coef(cs, k, pair_of[s]);
    return v;
}
