/*
 * proof.c - re-checking one side of a finished round (see proof.h).
 *
 * Normal case: list the eligible pairs; find each given (student, target)
 * among the student's pairs (binary search is not possible, the pairs are
 * ordered by utility, so a linear scan over the student's own pairs);
 * a pair not found is checked rule by rule to say which rule it breaks.
 * Count each target's students and tier-3 students against its capacity
 * and tier-3 limit.  Then lay the assignment out in pools (every student
 * in its target's general pool: certificate.c only counts per target and
 * refuses tier-3 students in reserved seats), recompute outcomes, reasons
 * and nearest misses, audit envy, and if the assignment is feasible
 * complete and check the certificate.  The pairs are handed back in
 * out->cands for the caller's own checks.  Failure: FM_ENOMEM.
 */
#include "proof.h"

#include <stdio.h> /* snprintf only */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "candidates.h"
#include "certificate.h"
#include "counts.h"
#include "explain.h"
#include "pools.h"

void fm_side_check_free(fm_side_check *c)
{
    free(c->match);
    free(c->miss);
    free(c->broken);
    fm_cands_free(&c->cands);
    memset(c, 0, sizeof *c);
}

static int capacities(const fm_region *r, int mentors, const int32_t *target,
                      fm_side_check *out)
{
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    int32_t *total = calloc(nt + 1, sizeof *total);
    int32_t *tier3 = calloc(nt + 1, sizeof *tier3);
    if (!total || !tier3) {
        free(total);
        free(tier3);
        return FM_ENOMEM;
    }
    for (size_t s = 0; s < r->n_students; s++) {
        if (target[s] < 0)
            continue;
        total[target[s]]++;
        tier3[target[s]] += fm_student_tier(&r->students[s]) == 3;
    }
    out->over_target = -1;
    for (size_t t = 0; t < nt && out->over_target < 0; t++) {
        int32_t cap = mentors ? r->mentors[t].capacity : r->placements[t].capacity;
        int32_t reserved = mentors ? 0
            : (int32_t)((int64_t)cap * r->placements[t].reserve_pct / 100);
        int over = total[t] > cap, over3 = !over && tier3[t] > cap - reserved;
        if (!over && !over3)
            continue;
        out->over_target = (int32_t)t;
        out->over_count = over ? total[t] : tier3[t];
        out->over_limit = over ? cap : cap - reserved;
        out->over_tier3 = over3;
    }
    free(total);
    free(tier3);
    return FM_OK;
}

int fm_proof_check_side(const fm_region *r, int mentors, int32_t date,
                        const int32_t *target, const fm_side_certificate *cert,
                        fm_side_check *out, fm_error *err)
{
    fm_pools pools = { 0 };
    fm_assign assign = { 0 };
    fm_cuts cuts = { 0 };
    int64_t *potentials = NULL;
    size_t n = r->n_students + 1;
    int rc;

    memset(out, 0, sizeof *out);
    fm_cands cands = { 0 };
    out->match = malloc(n * sizeof *out->match);
    out->miss = malloc(n * sizeof *out->miss);
    out->broken = calloc(n, 1);
    if (!out->match || !out->miss || !out->broken) {
        rc = FM_ENOMEM;
        goto out;
    }
    if ((rc = fm_cands_build(r, date, mentors, 0, &cands, err)) != FM_OK ||
        (rc = fm_pools_init(&pools, r, &cands, mentors)) != FM_OK ||
        (rc = fm_assign_init(&assign, &pools)) != FM_OK ||
        (rc = capacities(r, mentors, target, out)) != FM_OK)
        goto out;
    for (int32_t s = 0; s < pools.n_students; s++) {
        int32_t t = target[s];
        if (t < 0)
            continue;
        int64_t i = cands.start[s];
        while (i < cands.start[s + 1] && cands.target[i] != t)
            i++;
        if (i == cands.start[s + 1]) {
            int rule = mentors ? fm_cands_check_mentor(r, date, s, t, NULL, NULL, NULL)
                               : fm_cands_check_placement(r, date, s, t, NULL, NULL, NULL);
            out->broken[s] = (uint8_t)(rule == FM_RULE_NONE ? FM_RULE_WANTS : rule);
            out->n_broken++;
            continue;
        }
        assign.edge[s] = 2 * i;
    }
    if ((rc = fm_explain_side(r, mentors, date, &pools, &assign, out->match, out->miss)) ||
        (rc = fm_audit_envy(r, mentors, &cands, out->match, &out->envy)))
        goto out;
    for (int32_t s = 0; s < pools.n_students; s++) {
        const fm_match *m = &out->match[s];
        if (m->target >= 0) {
            out->vector.utility += m->utility;
            int tier = fm_student_tier(&r->students[s]);
            if (tier == 1) out->vector.n1++;
            else if (tier == 2) out->vector.n2++;
            else out->vector.n3++;
        }
    }
    if (out->n_broken || out->over_target >= 0) {
        snprintf(out->proof_error, sizeof out->proof_error,
                 "the assignment is not feasible, so nothing is proven");
        goto out;
    }
    if (!cert || !cert->cut || !cert->potential) {
        snprintf(out->proof_error, sizeof out->proof_error, "no certificate for this side");
        goto out;
    }
    /* a pool the certificate names must exist */
    for (int32_t t = 0; t < pools.n_targets; t++) {
        int32_t q[2] = { pools.general[t], pools.reserved[t] };
        for (int k = 0; k < 2; k++)
            if (q[k] < 0 && (cert->cut[2 * t + k] || cert->potential[2 * t + k])) {
                snprintf(out->proof_error, sizeof out->proof_error,
                         "the certificate names the %s seats of %s, which has none",
                         k ? "reserved" : "general",
                         mentors ? r->mentors[t].ref : r->placements[t].ref);
                goto out;
            }
    }
    if ((rc = fm_certificate_complete(&pools, cert, &cuts, &potentials)) != FM_OK)
        goto out;
    fm_error e;
    fm_error_clear(&e);
    fm_vector v;
    int crc = fm_certificate_check(r, mentors, date, &pools, &assign, &cuts, potentials,
                                   out->proof, &v, &e);
    if (crc == FM_ENOMEM) {
        rc = crc;
        goto out;
    }
    out->proven = crc == FM_OK;
    if (!out->proven)
        snprintf(out->proof_error, sizeof out->proof_error, "%s", e.message);
out:
    free(potentials);
    fm_cuts_free(&cuts);
    fm_assign_free(&assign);
    fm_pools_free(&pools);
    if (rc == FM_OK)
        out->cands = cands; /* handed to the caller: fm_side_check_free */
    else
        fm_cands_free(&cands);
    if (rc) {
        fm_side_check_free(out);
        if (rc == FM_ENOMEM)
            fm_error_set(err, rc, "out of memory while checking the %s",
                         mentors ? "mentors" : "placements");
    }
    return rc;
}
