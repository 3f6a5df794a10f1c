/*
 * constrained_infeasible.c - saying which floors cannot be met, and why,
 * from the solver's own evidence (see constrained.h).
 *
 * Normal case: phase 0 has proven that the least total shortfall of the
 * school floors is positive, and left a shortfall per school.  For each
 * school short in that optimum, a small MIP over that school's pupils
 * alone (capacities, tier-3 limits and, when on, the employer spread; the
 * other schools, gender targets and stability left out, so it is an upper
 * bound) gives the most of its pupils that can be placed at all.  When
 * that is below the floor's need, the school's floor is impossible by
 * itself, and the message says so with the numbers:
 *
 *   school SCH0003's floor of 30% needs 12 of its 40 eligible pupils
 *   placed, but at most 9 can be (its pupils' eligible placements have 9
 *   seats)
 *
 * Otherwise the floors only conflict with each other (or with the other
 * constraints) and the message names the schools short in the optimum and
 * the proven least total shortfall.  err->field is "school_floor_pct",
 * err->id the first school named.
 *
 * With the message goes the evidence (constraints.h,
 * constrained_evidence.c): an LP certificate per school named impossible
 * alone; in the joint case one for the short schools together (else, on a
 * small side, for every school with a floor), or none when the LP cannot
 * prove it (then only phase 0's branch and bound does).
 *
 * Failure: always returns FM_EINFEASIBLE with the message (or FM_ENOMEM).
 * Runs under the GLPK guard of the caller.
 */
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constrained.h"

/* Most pupils of school k that can be placed, ignoring everyone else, and
 * the seats of the targets they are eligible for.  -1 on ENOMEM. */
static int64_t school_alone(const fm_cside *cs, int32_t k, int64_t *seats)
{
    const fm_cands *c = cs->c;
    const fm_region *r = cs->r;
    int32_t nt = cs->p->n_targets;
    int *row_t = calloc((size_t)nt + 1, sizeof *row_t);
    int *row_t3 = calloc((size_t)nt + 1, sizeof *row_t3);
    int *row_e = calloc((size_t)cs->n_employers + 1, sizeof *row_e);
    int64_t result = -1;
    *seats = 0;
    if (!row_t || !row_t3 || !row_e)
        goto out;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    int spread = !cs->mentors && cs->opt->employer_spread_max > 0;
    for (int32_t s = 0; s < c->n_students; s++) {
        if (r->students[s].school != k || c->start[s + 1] == c->start[s])
            continue;
        int row_s = glp_add_rows(lp, 1);
        glp_set_row_bnds(lp, row_s, GLP_UP, 0.0, 1.0);
        for (int64_t i = c->start[s]; i < c->start[s + 1]; i++) {
            int32_t t = c->target[i];
            int ind[5], n = 0;
            double val[5] = {0, 1, 1, 1, 1};
            if (!row_t[t]) {
                int cap = cs->mentors ? r->mentors[t].capacity : r->placements[t].capacity;
                row_t[t] = glp_add_rows(lp, 1);
                glp_set_row_bnds(lp, row_t[t], GLP_UP, 0.0, cap);
                *seats += cap;
            }
            ind[++n] = row_s;
            ind[++n] = row_t[t];
            if (!cs->mentors && cs->p->tier[s] == 3) {
                const fm_placement *pl = &r->placements[t];
                int32_t res = (int32_t)((int64_t)pl->capacity * pl->reserve_pct / 100);
                if (res > 0) {
                    if (!row_t3[t]) {
                        row_t3[t] = glp_add_rows(lp, 1);
                        glp_set_row_bnds(lp, row_t3[t], GLP_UP, 0.0, pl->capacity - res);
                    }
                    ind[++n] = row_t3[t];
                }
            }
            if (spread) {
                int32_t e = r->placements[t].employer;
                if (!row_e[e]) {
                    row_e[e] = glp_add_rows(lp, 1);
                    glp_set_row_bnds(lp, row_e[e], GLP_UP, 0.0, cs->opt->employer_spread_max);
                }
                ind[++n] = row_e[e];
            }
            int col = glp_add_cols(lp, 1);
            glp_set_col_kind(lp, col, GLP_BV);
            glp_set_obj_coef(lp, col, 1.0);
            glp_set_mat_col(lp, col, n, ind, val);
        }
    }
    result = 0;
    if (glp_get_num_cols(lp) > 0) {
        glp_iocp iocp;
        glp_init_iocp(&iocp);
        iocp.msg_lev = GLP_MSG_OFF;
        iocp.presolve = GLP_ON;
        if (glp_intopt(lp, &iocp) == 0 && glp_mip_status(lp) == GLP_OPT)
            result = llround(glp_mip_obj_val(lp));
        else
            result = *seats; /* no proof: fall back to the seat count, still a bound */
    }
    glp_delete_prob(lp);
out:
    free(row_t);
    free(row_t3);
    free(row_e);
    return result;
}

#define NAMED_MAX 3

/* 1 when school k gets named in the message (at most NAMED_MAX); else it
 * counts in "and N more". */
static int take_slot(const int *named, int *more, int *first, int32_t k)
{
    if (*named == NAMED_MAX) {
        (*more)++;
        return 0;
    }
    if (*first < 0)
        *first = k;
    return 1;
}

/* Adds the certificate for the floors of schools[0..n) to ev when the LP
 * proves them impossible.  0 or FM_ENOMEM. */
static int add_cert(const fm_cside *cs, const int32_t *schools, int32_t n,
                    fm_infeasible_evidence *ev, int *found)
{
    fm_floor_cert fc;
    int rc = fm_cside_floor_cert(cs, schools, n, &fc);
    *found = rc == 1;
    if (rc != 1)
        return rc;
    fm_floor_cert *certs = realloc(ev->certs, ((size_t)ev->n_certs + 1) * sizeof *certs);
    if (!certs) {
        fm_floor_cert_free(&fc);
        return FM_ENOMEM;
    }
    ev->certs = certs;
    ev->certs[ev->n_certs++] = fc;
    return 0;
}

/* The joint LP over every school with a floor is tried only up to this
 * many pairs (the short schools' alone always). */
#define JOINT_ALL_MAX_PAIRS 200000

/* The evidence of the joint case: the schools short in phase 0's optimum,
 * else every school with a floor (when small enough).  0 or FM_ENOMEM. */
static int joint_evidence(const fm_cside *cs, const double *shortfall,
                          fm_infeasible_evidence *ev)
{
    int32_t *ks = malloc(((size_t)cs->n_schools + 1) * sizeof *ks), n = 0, n_all = 0;
    int64_t pairs_all = 0;
    int found = 0, rc = FM_ENOMEM;
    if (!ks)
        return rc;
    for (int32_t k = 0; k < cs->n_schools; k++)
        if (shortfall[k] >= 0.5)
            ks[n++] = k;
    if ((rc = add_cert(cs, ks, n, ev, &found)) != 0 || found)
        goto out;
    for (int32_t s = 0; s < cs->c->n_students; s++)
        if (cs->need[cs->r->students[s].school] > 0)
            pairs_all += cs->c->start[s + 1] - cs->c->start[s];
    for (int32_t k = 0; k < cs->n_schools; k++)
        if (cs->need[k] > 0)
            ks[n_all++] = k;
    if (n_all > n && pairs_all <= JOINT_ALL_MAX_PAIRS)
        rc = add_cert(cs, ks, n_all, ev, &found);
out:
    free(ks);
    return rc;
}

int fm_cside_explain_infeasible(const fm_cside *cs, const double *shortfall,
                                double total_shortfall, fm_infeasible_evidence **evidence,
                                fm_error *err)
{
    char msg[sizeof err->message] = "";
    size_t len = 0;
    int named = 0, more = 0, first = -1, found;
    const char *side = cs->mentors ? "mentors" : "placements";
    double f = cs->opt->school_floor_pct;
    fm_infeasible_evidence *ev = calloc(1, sizeof *ev);
    if (!ev)
        return fm_error_set(err, FM_ENOMEM, "out of memory");
    ev->mentors = cs->mentors;
    ev->floor_pct = f;
    ev->least_shortfall = llround(total_shortfall);
    /* First the floors impossible on their own. */
    for (int32_t k = 0; k < cs->n_schools; k++) {
        if (shortfall[k] < 0.5)
            continue;
        int64_t seats, most = school_alone(cs, k, &seats);
        if (most < 0)
            goto nomem;
        if (most >= cs->need[k] || !take_slot(&named, &more, &first, k))
            continue;
        if (add_cert(cs, &k, 1, ev, &found))
            goto nomem;
        len += (size_t)snprintf(msg + len, len < sizeof msg ? sizeof msg - len : 0,
                                "%sschool %s's floor of %g%% needs %d of its %d eligible "
                                "pupils placed, but at most %lld can be (its pupils' eligible "
                                "%s have %lld seats%s)", named ? "; " : "", cs->r->schools[k].ref,
                                f, cs->need[k], cs->eligible[k], (long long)most,
                                cs->mentors ? "mentors" : "placements", (long long)seats,
                                !cs->mentors && cs->opt->employer_spread_max > 0
                                    ? ", and the employer spread limits them" : "");
        named++;
    }
    if (named == 0) {
        /* No floor is impossible alone: they conflict with each other or
         * with the other constraints. */
        if (joint_evidence(cs, shortfall, ev))
            goto nomem;
        len = (size_t)snprintf(msg, sizeof msg, "the %s school floors of %g%% cannot all be "
                               "met together with the other constraints: every assignment "
                               "leaves at least %.0f pupils short; short in the best one: ",
                               side, f, total_shortfall);
        for (int32_t k = 0; k < cs->n_schools; k++) {
            if (shortfall[k] < 0.5 || !take_slot(&named, &more, &first, k))
                continue;
            len += (size_t)snprintf(msg + len, len < sizeof msg ? sizeof msg - len : 0,
                                    "%sschool %s (%.0f of the %d needed)", named ? ", " : "",
                                    cs->r->schools[k].ref, shortfall[k], cs->need[k]);
            named++;
        }
    }
    if (more)
        len += (size_t)snprintf(msg + len, len < sizeof msg ? sizeof msg - len : 0,
                                "; and %d more school%s", more, more > 1 ? "s" : "");
    snprintf(err->field, sizeof err->field, "%sschool_floor_pct", cs->mentors ? "mentors." : "");
    if (first >= 0)
        snprintf(err->id, sizeof err->id, "school_ref %s", cs->r->schools[first].ref);
    if (evidence)
        *evidence = ev;
    else
        fm_infeasible_evidence_free(ev);
    return fm_error_set(err, FM_EINFEASIBLE, "%s", msg);
nomem:
    fm_infeasible_evidence_free(ev);
    return fm_error_set(err, FM_ENOMEM, "out of memory");
}
