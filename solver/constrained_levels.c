/*
 * constrained_levels.c - the level sequence of a constrained side: phase 0
 * (can the floors be met?), then n1, n2, n3 and U in order, each by column
 * generation on the LP relaxation, lazy rows and branch and bound (the
 * method is described in constrained.h).
 *
 * Normal case: the result is the lexicographic optimum under the
 * constraints, proven level by level (value == bound), laid out in pools in
 * *a, with the report (levels, model figures, every constraint's slack) in
 * out->constrained.  A time limit ends the search with the best solution
 * found that meets every constraint; the level it stopped in gets its bound
 * and gap, later levels are marked not reached.
 *
 * Failure: FM_EINFEASIBLE from phase 0 (constrained_infeasible.c names the
 * schools); FM_ELIMIT when the time ran out before any solution meeting the
 * floors was found; FM_ECANCELLED; FM_ENOMEM; FM_EINTERNAL when GLPK fails
 * (guarded) or the final check finds a broken constraint (a bug).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "constrained_model.h"

#define EPS 1e-6
/* One pair per pupil (its best, besides its plain pair) to start: fewer
 * columns make every simplex pass cheaper, and pricing adds what the LP
 * needs.  Measured at 10k pupils against 2: level 2's LP under a spread
 * 0.68-0.70x the LP CPU, a whole 30 % floor round 0.63-0.66x, same results. */
#define INITIAL_PAIRS_PER_STUDENT 1
#define PRICED_PER_STUDENT 2
#define LAZY_ROWS_PER_ROUND 5000

typedef struct ctx {
    const fm_constrained_in *in;
    fm_cside cs;
    fm_cmodel m;
    int64_t *best;            /* best assignment meeting every constraint */
    int have_best;
    int64_t *cand;            /* the last MIP's assignment */
    double *x;                /* per column */
    int cap_x;
    fm_constrained_report *rep;
    fm_error *err;
    int stopped;              /* the time limit ended the search */
    int cancelled;
    double z;                 /* LP value of the level */
    double tree_bound;        /* from the MIP callback, NAN when none */
    double last_progress;
    int level;
} ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *side_name(const ctx *c) { return c->in->mentors ? "mentors" : "placements"; }

static void progress(ctx *c, const char *phase, double bound, double incumbent)
{
    const fm_round_params *p = c->in->params;
    c->last_progress = now_s();
    if (!p->progress)
        return;
    fm_progress pr = {
        .side = side_name(c), .phase = phase, .level = c->level,
        .bound = bound, .incumbent = incumbent, .gap = NAN,
        .elapsed_s = c->last_progress - c->in->t_start,
    };
    if (!isnan(bound) && !isnan(incumbent))
        pr.gap = (bound - incumbent) / fmax(1.0, fabs(bound));
    p->progress(&pr, p->progress_arg);
}

/* 1 when the search must end: sets stopped (time) or cancelled. */
static int must_stop(ctx *c)
{
    if (c->stopped || c->cancelled)
        return 1;
    if (c->in->deadline > 0 && now_s() > c->in->deadline) {
        c->stopped = 1;
        return 1;
    }
    if (c->in->stop && c->in->stop(c->in->stop_arg)) {
        if (c->in->deadline > 0 && now_s() > c->in->deadline)
            c->stopped = 1;
        else
            c->cancelled = 1;
        return 1;
    }
    return 0;
}

static int time_left_ms(const ctx *c)
{
    if (c->in->deadline <= 0)
        return INT_MAX;
    double left = (c->in->deadline - now_s()) * 1000.0;
    return left < 1 ? 1 : left > INT_MAX ? INT_MAX : (int)left;
}

static int grow_x(ctx *c)
{
    int n = glp_get_num_cols(c->m.lp) + 1;
    if (n <= c->cap_x)
        return 0;
    double *x = realloc(c->x, (size_t)n * 2 * sizeof *x);
    if (!x)
        return FM_ENOMEM;
    c->x = x;
    c->cap_x = 2 * n;
    return 0;
}

static void note_model_size(ctx *c)
{
    fm_constrained_report *rep = c->rep;
    int64_t rows = glp_get_num_rows(c->m.lp), cols = glp_get_num_cols(c->m.lp);
    int64_t nz = glp_get_num_nz(c->m.lp);
    if (rows > rep->model_rows)
        rep->model_rows = rows;
    if (cols > rep->model_cols)
        rep->model_cols = cols;
    if (nz > rep->model_nonzeros)
        rep->model_nonzeros = nz;
}

/* The LP of the current level over all pairs: solve, price, add rows that
 * the LP solution breaks, until nothing changes.  Sets c->z; 1 if stopped,
 * 0 done, < 0 error. */
static int lp_colgen(ctx *c)
{
    glp_smcp smcp;
    glp_init_smcp(&smcp);
    smcp.msg_lev = GLP_MSG_OFF;
    smcp.presolve = GLP_OFF;
    int method = GLP_PRIMAL;
    for (;;) {
        if (must_stop(c))
            return 1;
        smcp.meth = method;
        smcp.tm_lim = time_left_ms(c);
        /* before the solve: a model whose LP the time limit cuts short is
         * still reported at the size it reached */
        note_model_size(c);
        int r = glp_simplex(c->m.lp, &smcp);
        if (r == GLP_ETMLIM || must_stop(c)) {
            c->stopped |= r == GLP_ETMLIM;
            return 1;
        }
        if (r != 0 || glp_get_status(c->m.lp) != GLP_OPT) {
            /* The model always has a feasible point (x = 0 with the floors'
             * shortfall, or the held levels' solution): anything else is a bug. */
            return fm_error_set(c->err, FM_EINTERNAL, "%s: the LP of level %d ended with "
                                "glp_simplex %d, status %d", side_name(c), c->level, r,
                                glp_get_status(c->m.lp));
        }
        c->z = glp_get_obj_val(c->m.lp);
        if (fm_cmodel_read_duals(&c->m))
            return FM_ENOMEM;
        int64_t added = fm_cmodel_price(&c->m, PRICED_PER_STUDENT, EPS);
        if (added < 0)
            return (int)added;
        if (added > 0) {
            method = GLP_PRIMAL;
            continue;
        }
        if (grow_x(c))
            return FM_ENOMEM;
        for (int j = 1; j <= c->m.n_cols; j++)
            c->x[j] = glp_get_col_prim(c->m.lp, j);
        int64_t rows = fm_cmodel_lazy_rows(&c->m, c->x, LAZY_ROWS_PER_ROUND);
        if (rows < 0)
            return (int)rows;
        if (rows == 0)
            return 0;
        method = GLP_DUALP; /* rows added: the basis stays dual feasible */
    }
}

/* ---- branch and bound ---- */

static void mip_callback(glp_tree *tree, void *info)
{
    ctx *c = info;
    int reason = glp_ios_reason(tree);
    if (reason == GLP_IHEUR && c->have_best && c->x) {
        /* Offer the best known solution once per node: GLPK keeps the better. */
        glp_ios_heur_sol(tree, c->x);
    }
    int node = glp_ios_best_node(tree);
    if (node)
        c->tree_bound = glp_ios_node_bound(tree, node);
    if (must_stop(c)) {
        glp_ios_terminate(tree);
        return;
    }
    if (now_s() - c->last_progress >= 1.0) {
        glp_prob *lp = glp_ios_get_prob(tree);
        double inc = glp_mip_status(lp) == GLP_FEAS || glp_mip_status(lp) == GLP_OPT
                         ? glp_mip_obj_val(lp) : NAN;
        progress(c, c->level ? "level" : "feasibility", c->tree_bound, inc);
    }
}

/* Column values of an assignment (and the floors' shortfall). */
static void assignment_x(ctx *c, const int64_t *pair_of)
{
    const fm_cside *cs = &c->cs;
    for (int j = 1; j <= c->m.n_cols; j++)
        c->x[j] = 0.0;
    int32_t *placed = calloc((size_t)cs->n_schools + 1, sizeof *placed);
    for (int32_t s = 0; s < cs->c->n_students; s++)
        if (pair_of[s] >= 0) {
            c->x[c->m.col_of_pair[pair_of[s]]] = 1.0;
            if (placed)
                placed[cs->r->students[s].school]++;
        }
    for (int j = 1; placed && j <= c->m.n_cols; j++) {
        int64_t i = c->m.col_pair[j];
        if (i < 0) {
            int32_t k = (int32_t)(-1 - i);
            c->x[j] = placed[k] < cs->need[k] ? cs->need[k] - placed[k] : 0.0;
        }
    }
    free(placed);
}

/* Branch and bound on the model's columns from the best solution known.
 * *found: 1 when c->cand holds a solution (value *v).  1 if stopped. */
static int mip(ctx *c, int *found, double *v)
{
    *found = 0;
    c->tree_bound = NAN;
    if (c->have_best) {
        for (int32_t s = 0; s < c->cs.c->n_students; s++)
            if (c->best[s] >= 0 && fm_cmodel_add_pair(&c->m, c->best[s]))
                return FM_ENOMEM;
        if (grow_x(c))
            return FM_ENOMEM;
        assignment_x(c, c->best);
    }
    glp_iocp iocp;
    glp_init_iocp(&iocp);
    iocp.msg_lev = GLP_MSG_OFF;
    iocp.presolve = GLP_OFF;
    iocp.bt_tech = GLP_BT_BLB;
    iocp.cb_func = mip_callback;
    iocp.cb_info = c;
    iocp.tm_lim = time_left_ms(c);
    c->rep->mip_solves++;
    /* glp_intopt needs an optimal basis of the LP with the columns added. */
    glp_smcp smcp;
    glp_init_smcp(&smcp);
    smcp.msg_lev = GLP_MSG_OFF;
    smcp.tm_lim = iocp.tm_lim;
    note_model_size(c);
    if (glp_simplex(c->m.lp, &smcp) != 0 || glp_get_status(c->m.lp) != GLP_OPT) {
        c->stopped |= must_stop(c) || time_left_ms(c) <= 1;
        if (c->stopped || c->cancelled)
            return 1;
        return fm_error_set(c->err, FM_EINTERNAL, "%s: level %d: the LP before branch and "
                            "bound did not end optimal", side_name(c), c->level);
    }
    int r = glp_intopt(c->m.lp, &iocp);
    int st = glp_mip_status(c->m.lp);
    if (st == GLP_OPT || st == GLP_FEAS) {
        *found = 1;
        *v = glp_mip_obj_val(c->m.lp);
        for (int32_t s = 0; s < c->cs.c->n_students; s++)
            c->cand[s] = -1;
        for (int j = 1; j <= c->m.n_cols; j++) {
            int64_t i = c->m.col_pair[j];
            if (i >= 0 && glp_mip_col_val(c->m.lp, j) > 0.5)
                c->cand[c->cs.pair_student[i]] = i;
        }
    }
    if (r == GLP_ETMLIM || r == GLP_ESTOP || must_stop(c)) {
        if (r == GLP_ETMLIM)
            c->stopped = 1;
        return 1;
    }
    if (r != 0 || st != GLP_OPT)
        return fm_error_set(c->err, FM_EINTERNAL, "%s: level %d: glp_intopt returned %d, "
                            "status %d", side_name(c), c->level, r, st);
    return 0;
}

/* ---- one level ---- */

/* Upper bound on level k from the plain (network) levels: cumulative
 * counts are maximal in the plain optimum (a matroid property of
 * matchings), so no constrained assignment places more of tiers <= k. */
static double plain_bound(const ctx *c, int k)
{
    if (k == 0)
        return 0.0;
    if (k == 4)
        return INFINITY;
    double held = 0;
    for (int j = 1; j < k; j++)
        held += (double)c->rep->level[j - 1].value;
    return (double)c->in->plain_proof[k - 1].bound - held;
}

static int accept_if_feasible(ctx *c, double value_cand)
{
    fm_cviolations v;
    if (fm_cside_check(&c->cs, c->cand, &v, NULL, 0, NULL, NULL) < 0)
        return FM_ENOMEM;
    /* Phase 0 minimises the floors' shortfall: only the other constraints bind. */
    if ((c->level > 0 ? v.floor : 0) + v.spread + v.gender + (c->cs.opt->stable_tiers ? v.envy : 0))
        return 0;
    double vb = c->have_best ? fm_cmodel_assignment_value(&c->m, c->best, c->level) : -INFINITY;
    if (!c->have_best || value_cand >= vb - EPS) {
        memcpy(c->best, c->cand, (size_t)c->cs.c->n_students * sizeof *c->best);
        c->have_best = 1;
    }
    return 1;
}

/* A quick improvement of the best solution for level k <= 3: place more
 * pupils of tier k without breaking any constraint (constrained_start.c);
 * kept if every constraint holds.  0 or FM_ENOMEM. */
static int greedy_fill(ctx *c, int k)
{
    if (k < 1 || k > 3 || !c->have_best)
        return 0;
    memcpy(c->cand, c->best, (size_t)c->cs.c->n_students * sizeof *c->cand);
    if (fm_cside_fill(&c->cs, c->cand, k))
        return FM_ENOMEM;
    int ok = accept_if_feasible(c, fm_cmodel_assignment_value(&c->m, c->cand, k));
    return ok < 0 ? ok : 0;
}

/* Solves level k; fills its report entry.  0 done, 1 stopped, < 0 error. */
static int solve_level(ctx *c, int k)
{
    fm_constrained_level *L = k ? &c->rep->level[k - 1] : NULL;
    double t0 = now_s(), bound = plain_bound(c, k);
    int used_mip = 0, converged;
    c->level = k;
    fm_cmodel_set_level(&c->m, k);
    int grc = greedy_fill(c, k);
    if (grc)
        return grc;
    for (;;) {
        converged = 0;
        int rc = lp_colgen(c);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
        converged = 1; /* z and the duals hold over all pairs */
        double ub = fmin(floor(c->z + EPS), bound);
        bound = ub;
        double vbest = c->have_best ? fm_cmodel_assignment_value(&c->m, c->best, k) : -INFINITY;
        progress(c, k ? "level" : "feasibility", ub, c->have_best ? vbest : NAN);
        if (c->have_best && vbest >= ub - EPS)
            goto done;
        int found;
        double v;
        rc = mip(c, &found, &v);
        used_mip = 1;
        if (rc < 0)
            return rc;
        if (found) {
            int ok = accept_if_feasible(c, v);
            if (ok < 0)
                return ok;
            if (!ok) {
                /* Breaks a lazy row: add what it breaks, solve again. */
                if (grow_x(c))
                    return FM_ENOMEM;
                assignment_x(c, c->cand);
                int64_t rows = fm_cmodel_lazy_rows(&c->m, c->x, LAZY_ROWS_PER_ROUND);
                if (rows < 0)
                    return (int)rows;
                if (rows == 0)
                    return fm_error_set(c->err, FM_EINTERNAL, "%s: level %d: a solution "
                                        "breaks a constraint no row holds", side_name(c), k);
                if (rc == 1)
                    break;
                continue;
            }
        }
        if (rc == 1)
            break;
        /* Optimal over the model's pairs.  A better solution would need a
         * pair out of the model with z + d >= v + 1 (d: reduced cost under
         * the duals of the last LP, which the MIP leaves as they were): add
         * those, and solve again. */
        int64_t added = fm_cmodel_price(&c->m, 0, v + 1.0 - c->z - EPS);
        if (added < 0)
            return (int)added;
        if (added == 0) {
            bound = fmin(bound, floor(v + EPS)); /* GLPK's value is a double */
            goto done;
        }
    }
    /* Stopped: the best bound known is the tree's over the model's pairs
     * or z + d over the rest, whichever is larger, and never above the LP. */
    if (c->cancelled)
        return 1;
    if (converged && used_mip && !isnan(c->tree_bound)) {
        double out = fm_cmodel_best_outside(&c->m, c->z);
        double b = floor(fmax(c->tree_bound, out) + EPS);
        if (b < bound)
            bound = b;
    }
    if (L) {
        L->bound = isinf(bound) ? -1 : llround(bound);
        /* LP when the limit struck before any branch and bound ran */
        L->method = used_mip ? FM_METHOD_MIP : FM_METHOD_LP;
        L->value = c->have_best ? llround(fm_cmodel_assignment_value(&c->m, c->best, k)) : 0;
        L->gap = L->bound < 0 ? NAN : (double)(L->bound - L->value) / fmax(1.0, fabs((double)L->bound));
        L->seconds = now_s() - t0;
    }
    return 1;
done:
    if (L) {
        L->value = llround(fm_cmodel_assignment_value(&c->m, c->best, k));
        L->bound = llround(bound);
        L->gap = 0.0;
        L->method = used_mip ? FM_METHOD_MIP : FM_METHOD_LP;
        L->seconds = now_s() - t0;
        if (L->value != L->bound)
            return fm_error_set(c->err, FM_EINTERNAL, "%s: level %d ended at %lld below its "
                                "bound %lld", side_name(c), k, (long long)L->value,
                                (long long)L->bound);
    } else {
        c->z = fm_cmodel_assignment_value(&c->m, c->best, 0);
    }
    return 0;
}

/* ---- the whole side ---- */

static int run(void *arg)
{
    ctx *c = arg;
    const fm_cside *cs = &c->cs;
    int rc = fm_cmodel_init(&c->m, cs, c->in->params->constraints.test_glpk_fault);
    if (rc)
        return fm_error_set(c->err, rc, "out of memory building the %s model", side_name(c));
    /* Start: every pupil's pair in the plain optimum and its best pair. */
    for (int32_t s = 0; s < cs->c->n_students; s++) {
        int64_t a = cs->c->start[s], e = cs->c->start[s + 1];
        for (int64_t i = a; i < e && i < a + INITIAL_PAIRS_PER_STUDENT; i++)
            if (fm_cmodel_add_pair(&c->m, i))
                return fm_error_set(c->err, FM_ENOMEM, "out of memory building the model");
        if (c->best[s] >= 0 && fm_cmodel_add_pair(&c->m, c->best[s]))
            return fm_error_set(c->err, FM_ENOMEM, "out of memory building the model");
    }
    /* The plain optimum, repaired (pupils taken out until spread, gender
     * targets and stability hold) and refilled tier by tier, seeds the
     * search when it meets every constraint, floors included. */
    int has_floors = 0;
    for (int32_t k = 0; k < cs->n_schools; k++)
        has_floors |= cs->need[k] > 0;
    if (fm_cside_repair(cs, c->best))
        return fm_error_set(c->err, FM_ENOMEM, "out of memory");
    for (int k = 1; k <= 3; k++)
        if (fm_cside_fill(cs, c->best, k))
            return fm_error_set(c->err, FM_ENOMEM, "out of memory");
    fm_cviolations v;
    if (fm_cside_check(cs, c->best, &v, NULL, 0, NULL, NULL) < 0)
        return fm_error_set(c->err, FM_ENOMEM, "out of memory");
    c->have_best = v.floor + v.spread + v.gender + (cs->opt->stable_tiers ? v.envy : 0) == 0;
    if (!c->have_best) {
        /* Nobody placed meets every constraint but the floors. */
        for (int32_t s = 0; s < cs->c->n_students; s++)
            c->best[s] = -1;
        c->have_best = !has_floors;
    }

    if (has_floors) {
        rc = solve_level(c, 0);
        if (rc < 0)
            return rc;
        if (rc == 1 || !c->have_best) {
            if (c->cancelled)
                return fm_error_set(c->err, FM_ECANCELLED, "the round was cancelled");
            return fm_error_set(c->err, FM_ELIMIT, "the time limit ran out before the %s "
                                "school floors could be met or shown impossible",
                                side_name(c));
        }
        double short_total = -fm_cmodel_assignment_value(&c->m, c->best, 0);
        if (short_total > EPS) {
            /* Minimum shortfall > 0: proven (value == bound). */
            double *shortfall = calloc((size_t)cs->n_schools + 1, sizeof *shortfall);
            if (!shortfall)
                return fm_error_set(c->err, FM_ENOMEM, "out of memory");
            int32_t *placed = calloc((size_t)cs->n_schools + 1, sizeof *placed);
            if (!placed) {
                free(shortfall);
                return fm_error_set(c->err, FM_ENOMEM, "out of memory");
            }
            for (int32_t s = 0; s < cs->c->n_students; s++)
                if (c->best[s] >= 0)
                    placed[cs->r->students[s].school]++;
            for (int32_t k = 0; k < cs->n_schools; k++)
                shortfall[k] = placed[k] < cs->need[k] ? cs->need[k] - placed[k] : 0;
            free(placed);
            rc = fm_cside_explain_infeasible(cs, shortfall, short_total, c->in->evidence,
                                             c->err);
            free(shortfall);
            return rc;
        }
        for (int j = 1; j <= c->m.n_cols; j++)
            if (c->m.col_pair[j] < 0)
                glp_set_col_bnds(c->m.lp, j, GLP_FX, 0.0, 0.0);
    }
    for (int k = 1; k <= 4; k++) {
        fm_constrained_level *L = &c->rep->level[k - 1];
        if (c->stopped) {
            L->method = FM_METHOD_NONE;
            L->value = llround(fm_cmodel_assignment_value(&c->m, c->best, k));
            L->bound = -1;
            L->gap = NAN;
            continue;
        }
        rc = solve_level(c, k);
        if (rc < 0)
            return rc;
        if (c->cancelled)
            return fm_error_set(c->err, FM_ECANCELLED, "the round was cancelled");
        if (rc == 0 && k < 4 && fm_cmodel_hold_level(&c->m, k, (double)L->value))
            return fm_error_set(c->err, FM_ENOMEM, "out of memory");
    }
    c->rep->stopped_by_limit = c->stopped;
    c->rep->pricing_rounds = (int32_t)c->m.pricing_rounds;
    c->rep->stable_rows = c->m.n_st;
    int64_t in_model = 0;
    for (int j = 1; j <= c->m.n_cols; j++)
        in_model += c->m.col_pair[j] >= 0;
    c->rep->pairs_in_model = in_model;
    progress(c, "done", NAN, NAN);
    return 0;
}

static void forget_glpk(void *arg)
{
    ctx *c = arg;
    c->m.lp = NULL; /* freed with the GLPK environment */
}

int fm_constrained_solve(const fm_constrained_in *in, fm_assign *a, fm_side_result *out,
                         fm_error *err)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.err = err;
    int rc = fm_cside_init(&c.cs, in->r, in->mentors, in->pools, in->opt, err);
    if (rc)
        return rc;
    int32_t ns = c.cs.c->n_students;
    c.rep = calloc(1, sizeof *c.rep);
    c.cand = malloc(((size_t)ns + 1) * sizeof *c.cand);
    if (!c.rep || !c.cand || fm_cside_pairs_of(&c.cs, a, &c.best)) {
        rc = fm_error_set(err, FM_ENOMEM, "out of memory");
        goto out;
    }
    c.rep->plain[0] = out->vector.n1;
    c.rep->plain[1] = out->vector.n2;
    c.rep->plain[2] = out->vector.n3;
    c.rep->plain[3] = out->vector.utility;
    c.rep->pairs_total = c.cs.c->n_pairs;
    /* Envy of the plain optimum, whatever the constraints (summary.json's
     * envy_pairs_plain): counted, none listed. */
    fm_cviolations v;
    fm_envy none[1];
    int64_t n_none;
    if (fm_cside_check(&c.cs, c.best, &v, none, 0, &n_none, NULL) < 0) {
        rc = fm_error_set(err, FM_ENOMEM, "out of memory");
        goto out;
    }
    c.rep->envy_pairs_plain = v.envy;
    int64_t broken = v.floor + v.spread + v.gender + (in->opt->stable_tiers ? v.envy : 0);
    if (broken == 0 && !in->params->constraints.test_force_mip) {
        /* The plain optimum meets every constraint: it is the constrained one. */
        for (int k = 0; k < 4; k++) {
            c.rep->level[k].value = c.rep->plain[k];
            c.rep->level[k].bound = c.rep->plain[k];
            c.rep->level[k].method = FM_METHOD_NETWORK;
        }
    } else {
        rc = fm_glpk_guarded(run, forget_glpk, &c, err);
        if (rc)
            goto out;
        fm_cside_assign_from_pairs(&c.cs, c.best, a);
    }
    /* The final check, independent of the model: every constraint holds. */
    int64_t bad = fm_cside_check(&c.cs, c.best, &v, NULL, 0, NULL, c.rep);
    if (bad != 0) {
        rc = bad < 0 ? fm_error_set(err, FM_ENOMEM, "out of memory")
                     : fm_error_set(err, FM_EINTERNAL, "the constrained %s result breaks %lld "
                                    "constraints", in->mentors ? "mentors" : "placements",
                                    (long long)bad);
        goto out;
    }
    fm_vector vec = {0, 0, 0, 0};
    for (int32_t s = 0; s < ns; s++) {
        if (c.best[s] < 0)
            continue;
        int tier = c.cs.p->tier[s];
        vec.n1 += tier == 1;
        vec.n2 += tier == 2;
        vec.n3 += tier == 3;
        vec.utility += c.cs.c->utility[c.best[s]];
    }
    out->vector = vec;
    /* proof[]: cumulative counts for levels 2 and 3, as for plain sides. */
    int64_t held = 0;
    for (int k = 0; k < 4; k++) {
        const fm_constrained_level *L = &c.rep->level[k];
        out->proof[k].value = (k < 3 ? held : 0) + L->value;
        out->proof[k].bound = L->bound < 0 ? -1 : (k < 3 ? held : 0) + L->bound;
        if (k < 3)
            held += L->value;
    }
    out->constrained = c.rep;
    c.rep = NULL;
    rc = FM_OK;
out:
    fm_cmodel_free(&c.m);
    fm_constrained_report_free(c.rep);
    fm_cside_free(&c.cs);
    free(c.best);
    free(c.cand);
    free(c.x);
    return rc;
}
