/*
 * solver.c - one round, both sides (see solver.h).
 *
 * For each side (placements, then mentors): list the candidate pairs, lay
 * the seats out in pools, maximise the tier counts (counts.c), maximise the
 * utility at those counts (utility.c), check the result and its proof
 * independently (certificate.c), keep the pool part of that proof for the
 * result files, explain every student's outcome with its nearest miss
 * (explain.c), and audit justified envy (audit.c).  The time limit and the caller's cancel callback are polled
 * by the long loops through one stop function.
 *
 * Failure: any step's error code is returned with a message; *out is freed
 * and left cleared, so a caller never sees half a result.
 */
#include "solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "candidates.h"
#include "certificate.h"
#include "constrained.h"
#include "counts.h"
#include "explain.h"
#include "pools.h"
#include "utility.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct stopper {
    const fm_round_params *params;
    double start;
    double deadline;      /* 0 = none */
    int reason;           /* FM_ECANCELLED or FM_ELIMIT once stopped */
    int limit_spent;      /* a MIP search used the time up: the network solves
                             left run to the end (the limit is for MIPs) */
} stopper;

static int should_stop(void *arg)
{
    stopper *st = arg;
    if (st->params->cancel && st->params->cancel(st->params->cancel_arg))
        st->reason = FM_ECANCELLED;
    else if (st->deadline > 0 && !st->limit_spent && now_seconds() > st->deadline)
        st->reason = FM_ELIMIT;
    return st->reason != 0;
}

static void report_phase(const stopper *st, const char *side, const char *phase)
{
    if (!st->params->progress)
        return;
    fm_progress p = { .side = side, .phase = phase, .bound = NAN, .incumbent = NAN,
                      .gap = NAN, .elapsed_s = now_seconds() - st->start };
    st->params->progress(&p, st->params->progress_arg);
}

const char *fm_rule_name(fm_rule rule)
{
    switch (rule) {
    case FM_RULE_WANTS: return "wants";
    case FM_RULE_SECTOR: return "sector";
    case FM_RULE_AGE: return "age";
    case FM_RULE_WEEK: return "week";
    case FM_RULE_ACCESS: return "access";
    case FM_RULE_SAFEGUARDING: return "safeguarding";
    case FM_RULE_DISTANCE: return "distance";
    default: return "";
    }
}

const char *fm_reason_name(fm_reason r)
{
    switch (r) {
    case FM_REASON_NO_ELIGIBLE: return "no_eligible";
    case FM_REASON_OUTCOMPETED: return "outcompeted";
    default: return "";
    }
}

void fm_result_init(fm_result *res)
{
    memset(res, 0, sizeof *res);
}

void fm_result_free(fm_result *res)
{
    free(res->placements.match);
    free(res->mentors.match);
    fm_constrained_report_free(res->placements.constrained);
    fm_constrained_report_free(res->mentors.constrained);
    free(res->placements.miss);
    free(res->mentors.miss);
    fm_certificate_side_free(&res->placements.certificate);
    fm_certificate_side_free(&res->mentors.certificate);
    fm_infeasible_evidence_free(res->infeasible);
    memset(res, 0, sizeof *res);
}

static int solve_side(const fm_region *r, int mentors, const fm_round_params *params,
                      stopper *st, fm_side_result *out, fm_infeasible_evidence **evidence,
                      fm_error *err)
{
    fm_cands cands = { 0 };
    fm_pools pools = { 0 };
    fm_assign assign = { 0 };
    fm_cuts cuts = { 0 };
    int64_t *potentials = NULL;
    int64_t counts[3];
    fm_utility_stats ustats;
    const char *side = mentors ? "mentors" : "placements";
    int rc;

    double t0 = now_seconds();
    report_phase(st, side, "candidates");
    rc = fm_cands_build(r, params->date, mentors, params->threads, &cands, err);
    if (rc)
        goto out;
    double t1 = now_seconds();
    out->seconds_candidates = t1 - t0;
    out->n_candidates = cands.n_pairs;

    if ((rc = fm_pools_init(&pools, r, &cands, mentors)) ||
        (rc = fm_assign_init(&assign, &pools)))
        goto nomem;
    report_phase(st, side, "counts");
    rc = fm_counts_solve(&pools, &assign, counts, &cuts, should_stop, st);
    if (rc)
        goto failed;
    double t2 = now_seconds();
    out->seconds_counts = t2 - t1;

    report_phase(st, side, "utility");
    rc = fm_utility_solve(&pools, &assign, counts, &potentials, &ustats,
                          params->threads, should_stop, st);
    if (rc)
        goto failed;
    double t3 = now_seconds();
    out->seconds_utility = t3 - t2;
    out->pricing_rounds = ustats.rounds;
    out->n_arcs_priced = ustats.arcs;
    out->pivots = ustats.pivots;
    out->auction_bids = ustats.auction_bids;

    rc = fm_certificate_check(r, mentors, params->date, &pools, &assign, &cuts,
                              potentials, out->proof, &out->vector, err);
    if (rc)
        goto out;
    out->certificate_checked = 1;
    out->seconds_check = now_seconds() - t3;

    if (fm_constraints_active(&params->constraints, mentors)) {
        fm_constrained_in cin = {
            .r = r, .mentors = mentors, .pools = &pools,
            .opt = &params->constraints.side[mentors ? 1 : 0], .params = params,
            .plain_proof = out->proof, .t_start = st->start, .deadline = st->deadline,
            .stop = should_stop, .stop_arg = st, .evidence = evidence,
        };
        double t4 = now_seconds();
        /* With constraints on both sides, the placements get half the time left. */
        if (!mentors && st->deadline > 0 && fm_constraints_active(&params->constraints, 1))
            cin.deadline = t4 + (st->deadline - t4) / 2;
        rc = fm_constrained_solve(&cin, &assign, out, err);
        out->seconds_constrained = now_seconds() - t4;
        if (rc)
            goto out;
        if (out->constrained->stopped_by_limit)
            st->limit_spent = 1;
    }

    /* The certificate proves the plain optimum; a side whose constraints
     * changed it is proven by its MIP bounds and gaps instead
     * (constrained.h), so it keeps none. */
    int plain_kept = 1;
    for (int k = 0; out->constrained && k < 4; k++)
        plain_kept &= out->constrained->level[k].method == FM_METHOD_NETWORK;
    if (plain_kept && fm_certificate_export(&pools, &cuts, potentials, &out->certificate))
        goto nomem;

    double t4 = now_seconds();
    out->match = malloc((r->n_students + 1) * sizeof *out->match);
    out->miss = malloc((r->n_students + 1) * sizeof *out->miss);
    if (!out->match || !out->miss ||
        fm_explain_side(r, mentors, params->date, &pools, &assign, out->match, out->miss))
        goto nomem;
    double t5 = now_seconds();
    out->seconds_explain = t5 - t4;
    if (fm_audit_envy(r, mentors, &cands, out->match, &out->envy))
        goto nomem;
    out->envy.seconds = now_seconds() - t5;
    for (size_t s = 0; s < r->n_students; s++)
        out->n_students_asked += out->match[s].asked;
    rc = FM_OK;
    goto out;

nomem:
    rc = fm_error_set(err, FM_ENOMEM, "out of memory while solving %s", side);
    goto out;
failed:
    if (rc == FM_ECANCELLED && st->reason == FM_ELIMIT)
        rc = fm_error_set(err, FM_ELIMIT, "the time limit of %.1f s ran out while "
                          "solving %s", params->time_limit_seconds, side);
    else if (rc == FM_ECANCELLED)
        fm_error_set(err, rc, "the round was cancelled while solving %s", side);
    else if (rc == FM_ENOMEM)
        fm_error_set(err, rc, "out of memory while solving %s", side);
    else
        fm_error_set(err, rc, "internal error while solving %s (code %d)", side, rc);
out:
    free(potentials);
    fm_cuts_free(&cuts);
    fm_assign_free(&assign);
    fm_pools_free(&pools);
    fm_cands_free(&cands);
    return rc;
}

int fm_solver_run(const fm_region *r, const fm_round_params *params,
                  fm_result *out, fm_error *err)
{
    stopper st = { .params = params, .start = now_seconds() };
    if (params->time_limit_seconds > 0)
        st.deadline = st.start + params->time_limit_seconds;
    fm_result_init(out);
    fm_infeasible_evidence *evidence = NULL;
    int rc = solve_side(r, 0, params, &st, &out->placements, &evidence, err);
    if (!rc)
        rc = solve_side(r, 1, params, &st, &out->mentors, &evidence, err);
    if (rc)
        fm_result_free(out);
    out->infeasible = evidence; /* set only with FM_EINFEASIBLE */
    return rc;
}
