/*
 * report_policy.c - the policy of the round in plain words, in report.html:
 * who comes first (the tiers), who can be given what, how the fit of a
 * match is scored, reserved seats (with this round's numbers when the
 * summary has them), the four levels in their order, and the options the
 * round was run with.  The words follow policy.md and the README; the
 * numbers come from the summary.
 *
 * Failure: none; a summary without counts or options says less.
 */
#include <stdlib.h>
#include <string.h>

#include "report_page.h"
#include "report_svg.h"

static void put_reserves(FILE *f, const json_t *counts)
{
    const json_t *with = json_object_get(counts, "placements_with_reserve");
    fputs("<p>A placement may reserve a share of its seats for disadvantaged pupils "
          "(tiers 1 and 2): with a reserve of <i>p</i>% on <i>c</i> seats, at most "
          "<i>c</i> &minus; floor(<i>c</i> &times; <i>p</i> / 100) pupils of tier 3 go "
          "there, even if reserved seats then stay empty; the employer chose that.", f);
    if (json_is_integer(with))
        fprintf(f, " In this round %lld of the %lld placements have a reserve, holding "
                   "%lld of their %lld seats.", (long long)json_integer_value(with),
                fm_report_jint(counts, "placements"), fm_report_jint(counts, "reserved_seats"),
                fm_report_jint(counts, "seats"));
    fputs("</p>\n", f);
}

/* Any other option, as key: JSON value. */
static void put_raw(FILE *f, const char *key, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs("<li>", f);
    fm_report_escape(f, key);
    fputs(": ", f);
    fm_report_escape(f, text ? text : "?");
    fputs("</li>\n", f);
    free(text);
}

/* The extra constraints (policy_file.h keys) of one side in words. */
static void put_constraints(FILE *f, const json_t *opts, const char *side, const char *noun)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)opts, key, v) {
        if (!strcmp(key, "school_floor_pct")) {
            fprintf(f, "<li>School floor (%s): every school gets at least %g%% of its "
                       "pupils who had an eligible choice given a %s.</li>\n", side,
                    json_number_value(v), noun);
        } else if (!strcmp(key, "employer_spread_max")) {
            fprintf(f, "<li>Employer spread (%s): no school has more than %lld pupils placed "
                       "with one employer.</li>\n", side, (long long)json_integer_value(v));
        } else if (!strcmp(key, "stable_tiers")) {
            fprintf(f, "<li>Stable tiers (%s): %s.</li>\n", side, json_is_true(v)
                    ? "no pupil may miss out on a choice they could have, or get a worse one, "
                      "while a pupil of a lower tier holds it" : "off");
        } else if (!strcmp(key, "gender_targets") && json_is_array(v)) {
            size_t i;
            json_t *t;
            json_array_foreach(v, i, t) {
                fprintf(f, "<li>Gender target (%s): among the pupils placed in ", side);
                fm_report_escape(f, fm_report_jstr(t, "sector"));
                fprintf(f, ", at least %g%% have gender ",
                        json_number_value(json_object_get(t, "min_pct")));
                fm_report_escape(f, fm_report_jstr(t, "gender"));
                fputs(".</li>\n", f);
            }
        } else if (strcmp(key, "time_limit_seconds") && strcmp(key, "mentors")) {
            put_raw(f, key, v);
        }
    }
}

static void put_options(FILE *f, const json_t *summary)
{
    const json_t *opts = json_object_get(summary, "options");
    const json_t *limit = json_object_get(opts, "time_limit_seconds");
    const char *date = fm_report_jstr(summary, "date");

    fputs("<h3>Options of this round</h3>\n<ul id=\"options\">\n<li>Round date (ages and "
          "safeguarding checks are taken on it): ", f);
    fm_report_escape(f, *date ? date : "not recorded");
    fputs("</li>\n", f);
    if (!json_is_object(opts)) {
        fputs("<li>No other options were recorded with this round.</li>\n</ul>\n", f);
        return;
    }
    if (json_is_number(limit) && json_number_value(limit) > 0)
        fprintf(f, "<li>Time limit: %g seconds.</li>\n", json_number_value(limit));
    else
        fputs("<li>Time limit: none.</li>\n", f);
    put_constraints(f, opts, "placements", "placement");
    put_constraints(f, json_object_get(opts, "mentors"), "mentors", "mentor");
    if (json_object_size(opts) <= 1)
        fputs("<li>Extra constraints: none; the result is the plain policy's.</li>\n", f);
    fputs("</ul>\n", f);
}

void fm_report_policy_write(FILE *f, const json_t *summary)
{
    fputs("<section id=\"policy\">\n<h2>The policy in plain words</h2>\n<p>This round "
          "follows the published policy <strong>", f);
    fm_report_escape(f, fm_report_jstr(summary, "policy"));
    fputs("</strong>. It is exact: anyone can check the result with another solver and must find "
          "the same numbers.</p>\n<h3>Who comes first</h3>\n<ul>\n", f);
    for (int t = 0; t < 3; t++)
        fprintf(f, "<li><strong>Tier %d</strong>: %s.</li>\n", t + 1, fm_report_tier_who[t]);
    fputs("</ul>\n<p>Disadvantaged means from a low-income home or looked after. Gender is "
          "never used to decide who gets what; it is only reported.</p>\n"
          "<h3>Who can be given what</h3>\n<p>A pupil can be given a work-experience "
          "placement when they asked for one, its sector is one of the sectors they listed, "
          "they are old enough on the round date, it runs in a week they named (or either "
          "side named none), it is accessible if they need that (or virtual), and it is "
          "within the distance they can travel (unless virtual). A mentor works in one of "
          "their sectors, is within both their travel limits (or online), and, for pupils "
          "under 18, has a DBS check valid on the round date.</p>\n"
          "<h3>How good a match is</h3>\n<p>Each match scores its <i>utility</i>: 100 "
          "&times; (6 &minus; the rank of the sector in the pupil's list), less the distance "
          "in whole km (at most 99; a virtual placement counts as 50 km, an online mentor "
          "as 25 km). A first choice next door scores about 500, a fifth choice far away "
          "about 1.</p>\n<h3>Reserved seats</h3>\n", f);
    put_reserves(f, json_object_get(summary, "counts"));
    fputs("<h3>The four levels, in order</h3>\n<p>Each pupil gets at most one placement and "
          "one mentor, and nobody gets more than their capacity. Among all allocations "
          "that keep these rules, the round takes the one that</p>\n<ol>\n"
          "<li>places the most tier-1 pupils;</li>\n"
          "<li>then, keeping that number, the most tier-2 pupils;</li>\n"
          "<li>then, keeping both, the most tier-3 pupils;</li>\n"
          "<li>then, keeping all three, the largest total utility.</li>\n</ol>\n"
          "<p>So no pupil of a higher tier is ever left out to place one of a lower tier, "
          "and how well the matches fit only counts once the numbers are settled. Mentors "
          "are allocated the same way, separately.</p>\n", f);
    put_options(f, summary);
    fputs("</section>\n", f);
}
