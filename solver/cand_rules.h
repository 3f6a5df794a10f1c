/*
 * cand_rules.h - the exact one-pair rules of policy.md that the candidate
 * listing (candidates.c) shares with fm_cands_check_placement/_mentor
 * (cand_rules.c).  Private to the solver.
 */
#ifndef FM_CAND_RULES_H
#define FM_CAND_RULES_H

#include <stdint.h>

#include "region.h"

/* Distances counted for a remote pair in the utility (policy.md). */
#define FM_VIRTUAL_PLACEMENT_KM 50
#define FM_ONLINE_MENTOR_KM 25

/* The rank (1..5) at which student s first lists sector, or 0. */
int fm_cand_rules_rank_of(const fm_student *s, int32_t sector);

/* Whether student s is free in ISO week `week` (0 = any week). */
int fm_cand_rules_week_ok(const fm_region *r, const fm_student *s, int32_t week);

/* The distance rule for student s and an in-person target at (lat, lon),
 * with both cos(latitude) as fm_geo_cos_lat gives them: the utility's
 * distance cost (floor of the km, at most 99) when the target is within
 * limit km, else -1.  chord2: the squared chord between the two unit
 * vectors when known (it spares the haversine where it cannot matter),
 * else negative. */
int fm_cand_rules_distance_cost(const fm_student *s, double lat, double lon,
                                double cos_s, double cos_t, double chord2, double limit);

#endif
