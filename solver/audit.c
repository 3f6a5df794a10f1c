/*
 * audit.c - the justified-envy audit (see audit.h).
 *
 * Normal case: per target the greatest tier among its holders (and the
 * first such holder) is tabulated from match[], then every student of
 * tier 1 or 2 walks its candidate pairs from the best down while they beat
 * what it got.  Failure: FM_ENOMEM, *out cleared.
 */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

int fm_audit_envy(const fm_region *r, int mentors, const fm_cands *c,
                  const fm_match *match, fm_envy_audit *out)
{
    size_t nt = mentors ? r->n_mentors : r->n_placements;
    uint8_t *worst = calloc(nt + 1, 1);          /* greatest holder tier, 0 none */
    int32_t *holder = malloc((nt + 1) * sizeof *holder);
    memset(out, 0, sizeof *out);
    if (!worst || !holder) {
        free(worst);
        free(holder);
        return FM_ENOMEM;
    }
    for (size_t s = 0; s < r->n_students; s++) {
        int32_t t = match[s].target;
        if (t < 0)
            continue;
        uint8_t tier = (uint8_t)fm_student_tier(&r->students[s]);
        if (tier > worst[t]) {
            worst[t] = tier;
            holder[t] = (int32_t)s;
        }
    }
    for (int32_t s = 0; s < c->n_students; s++) {
        int tier = fm_student_tier(&r->students[s]);
        if (tier == 3)
            continue;
        int got = match[s].target >= 0 ? match[s].utility : 0;
        int envious = 0;
        for (int64_t i = c->start[s]; i < c->start[s + 1] && c->utility[i] > got; i++) {
            int32_t t = c->target[i];
            if (worst[t] <= tier)
                continue;
            envious = 1;
            out->pairs++;
            out->pairs_by_tier[tier - 1]++;
            out->pairs_unmatched += match[s].target < 0;
            out->pairs_reserve += !mentors && r->placements[t].reserve_pct > 0 &&
                                  (int64_t)r->placements[t].capacity *
                                  r->placements[t].reserve_pct / 100 > 0;
            if (out->n_examples < FM_ENVY_EXAMPLES)
                out->examples[out->n_examples++] = (fm_envy_example){
                    .student = s, .target = t, .holder = holder[t],
                    .utility_wanted = c->utility[i], .utility_got = (int16_t)got };
        }
        out->students += envious;
    }
    free(worst);
    free(holder);
    return FM_OK;
}
