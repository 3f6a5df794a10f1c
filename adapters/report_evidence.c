/*
 * report_evidence.c - the optimality evidence of report.html: for each side
 * and each of the four levels, what was achieved, the proven bound, and
 * what the bound means in words; then whether the independent check of the
 * certificate passed.
 *
 * Normal case: every level's value equals its bound, and the page says the
 * result is the best possible.  A level whose bound is above its value
 * (possible only if a time limit stopped a solve, or a summary was edited)
 * is named, with the gap, in red and in words.  A side solved under extra
 * constraints (summary "constrained", solved as an LP/MIP) shows instead
 * each level's value, bound, gap and how it was settled, what the
 * constraints cost against the plain optimum, and which constraints are
 * tight (at most FM_REPORT_TIGHT_MAX listed).  Then, when the summary has
 * it, the justified-envy audit (audit.h): what the policy does not promise,
 * how many such pairs the round has, and a few examples.  Failure: none; a
 * summary without a proof says so.
 */
#include "report_page.h"
#include "report_svg.h"

static void level_words(FILE *f, const fm_report_side *s, long long level, long long value,
                        long long bound)
{
    switch (level) {
    case 1:
        fprintf(f, "No allocation that keeps the rules can give more than %lld tier-1 pupils "
                   "a %s: a minimum cut of that size separates them from the seats.",
                bound, s->noun);
        break;
    case 2:
    case 3:
        fprintf(f, "With the tiers above held at their best, no allocation gives more than "
                   "%lld pupils of tiers 1&ndash;%lld a %s (a minimum cut again).", bound,
                level, s->noun);
        break;
    default:
        fprintf(f, "With the three counts held, no allocation has a total utility above "
                   "%lld: the prices of a dual solution of the min-cost flow prove it.", bound);
        break;
    }
    if (value != bound)
        fprintf(f, " <span class=\"bad\">Not reached: %lld short of the bound.</span>",
                bound - value);
}

enum { FM_REPORT_TIGHT_MAX = 20 };

static void put_json_number(FILE *f, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        fprintf(f, "%g", json_number_value(v));
    else
        fputs("unknown", f);
}

/* The tight rows of the extra constraints: those with no room left. */
static void tight_constraints(FILE *f, const fm_report_side *s, const json_t *rows)
{
    size_t i, n_tight = 0, shown = 0;
    json_t *r;
    json_array_foreach(rows, i, r)
        n_tight += json_is_true(json_object_get(r, "tight"));
    fprintf(f, "<p>%zu constraint rows; %zu of them are tight (they hold exactly at their "
               "limit, so they shaped the result)%s</p>\n", json_array_size(rows), n_tight,
            n_tight ? ":" : ".");
    if (!n_tight)
        return;
    fprintf(f, "<table class=\"data\" id=\"%s-tight\">\n<thead><tr><th>Constraint</th>"
               "<th class=\"text\">Who</th><th>Value</th><th>Limit</th></tr></thead>\n"
               "<tbody>\n", s->key);
    json_array_foreach(rows, i, r) {
        if (!json_is_true(json_object_get(r, "tight")) || shown++ >= FM_REPORT_TIGHT_MAX)
            continue;
        fputs("<tr><td>", f);
        fm_report_escape(f, fm_report_jstr(r, "kind"));
        fputs("</td><td class=\"text\">", f);
        fm_report_escape(f, fm_report_jstr(r, "who"));
        fputs("</td><td>", f);
        put_json_number(f, json_object_get(r, "value"));
        fputs("</td><td>", f);
        put_json_number(f, json_object_get(r, "limit"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    if (n_tight > FM_REPORT_TIGHT_MAX)
        fprintf(f, "<p class=\"note\">and %zu more tight rows (summary.json lists them "
                   "all).</p>\n", n_tight - FM_REPORT_TIGHT_MAX);
}

static void constrained_evidence(FILE *f, const fm_report_side *s, const json_t *con)
{
    static const char *const what[4] = {"tier-1 pupils", "tier-2 pupils", "tier-3 pupils",
                                        "total utility"};
    static const char *const keys[4] = {"n1", "n2", "n3", "utility"};
    const json_t *plain = json_object_get(con, "plain_vector");
    const json_t *cost = json_object_get(con, "cost_vs_plain");
    int proven = !json_is_true(json_object_get(con, "stopped_by_time_limit"));
    size_t i;
    json_t *v;

    fputs("<p>This side had extra constraints, so it was solved as a linear or integer "
          "program with the four levels in the same order. Each level's bound is what no "
          "allocation meeting the rules and the constraints can beat; the gap is how far "
          "the result may be from it.</p>\n", f);
    if (json_is_true(json_object_get(con, "stopped_by_time_limit")))
        fputs("<p class=\"bad\">The time limit stopped the search: a level with a gap is "
              "not proven best possible.</p>\n", f);
    fprintf(f, "<table class=\"small\" id=\"%s-constrained\">\n<thead><tr><th>Level</th>"
               "<th>What</th><th>Achieved</th><th>Proven bound</th><th>Gap</th>"
               "<th>Settled by</th></tr></thead>\n<tbody>\n", s->key);
    json_array_foreach(json_object_get(con, "levels"), i, v) {
        long long level = fm_report_jint(v, "level");
        const json_t *gap = json_object_get(v, "gap");
        proven &= json_is_number(gap) && json_number_value(gap) == 0;
        fprintf(f, "<tr><td>%lld</td><td class=\"text\">%s</td><td data-fm=\"%s-level%lld-"
                   "value\">%lld</td><td>", level, level >= 1 && level <= 4 ? what[level - 1]
                                                                         : "?",
                s->key, level, fm_report_jint(v, "value"));
        put_json_number(f, json_object_get(v, "bound"));
        if (json_is_number(gap))
            fprintf(f, "</td><td>%.2f%%</td><td>", 100.0 * json_number_value(gap));
        else
            fputs("</td><td>unknown</td><td>", f);
        fm_report_escape(f, fm_report_jstr(v, "method"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p>Without the extra constraints the best result would "
          "have been", f);
    for (int k = 0; k < 4; k++)
        fprintf(f, "%s %lld %s", k ? (k == 3 ? " and" : ",") : "", fm_report_jint(plain, keys[k]),
                what[k]);
    fputs("; the constraints cost", f);
    for (int k = 0; k < 4; k++)
        fprintf(f, "%s %lld %s", k ? (k == 3 ? " and" : ",") : "", fm_report_jint(cost, keys[k]),
                what[k]);
    fputs(".</p>\n", f);
    if (proven)
        fprintf(f, "<p><span class=\"ok\" data-fm=\"%s-optimal\">Proven best possible under "
                   "the constraints:</span> every level's gap is 0.</p>\n", s->key);
    else
        fprintf(f, "<p><span class=\"bad\" data-fm=\"%s-optimal\">Not proven best "
                   "possible:</span> some level has a gap or no bound.</p>\n", s->key);
    tight_constraints(f, s, json_object_get(con, "constraints"));
}

/* The justified-envy audit of a side, from the summary's "envy". */
static void envy_audit(FILE *f, const fm_report_side *s)
{
    const json_t *e = json_object_get(s->json, "envy");
    const json_t *by = json_object_get(e, "pairs_by_tier");
    const json_t *examples = json_object_get(e, "examples");
    long long unmatched = fm_report_jint(e, "pairs_unmatched");
    size_t i;
    json_t *x;

    if (!json_is_object(e))
        return;
    fprintf(f, "<h4>Justified envy</h4>\n<p>The policy makes the counts of each tier as "
               "large as they can be, then the total fit; it does not promise that nobody "
               "would rather have a %s that a pupil of a lower tier holds. The audit counts "
               "such pairs: a pupil eligible for a %s they like better than what they got, "
               "held by a pupil of a lower tier. This round has <span data-fm=\"%s-envy\">"
               "%lld</span> such pairs (%lld of tier-1 pupils, %lld of tier-2 pupils), "
               "involving %lld pupils. ", s->noun, s->noun, s->key, fm_report_jint(e, "pairs"),
            fm_report_jint(by, "1"), fm_report_jint(by, "2"), fm_report_jint(e, "students"));
    if (json_is_object(json_object_get(s->json, "by_tier")) && s->key[0] == 'p')
        fprintf(f, "%lld of the pairs are at placements with reserved seats. ",
                fm_report_jint(e, "pairs_at_reserved_placements"));
    if (unmatched == 0)
        fprintf(f, "None of them is a pupil who got nothing: every envious pupil was %s, "
                   "just not where they would have liked best.</p>\n", s->placed);
    else
        fprintf(f, "<span class=\"bad\">%lld of them are pupils who got nothing, which the "
                   "four levels should rule out.</span></p>\n", unmatched);
    if (json_array_size(examples) == 0)
        return;
    fprintf(f, "<table class=\"data small\" id=\"%s-envy\">\n<thead><tr><th>Pupil</th>"
               "<th>Tier</th><th>Would rather have</th><th>Held by</th><th>Tier</th>"
               "<th>Fit wanted</th><th>Fit got</th></tr></thead>\n<tbody>\n", s->key);
    json_array_foreach(examples, i, x) {
        fputs("<tr><td>", f);
        fm_report_escape(f, fm_report_jstr(x, "student_ref"));
        fprintf(f, "</td><td>%lld</td><td>", fm_report_jint(x, "student_tier"));
        fm_report_escape(f, fm_report_jstr(x, "target_ref"));
        fputs("</td><td>", f);
        fm_report_escape(f, fm_report_jstr(x, "holder_ref"));
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n",
                fm_report_jint(x, "holder_tier"), fm_report_jint(x, "utility_wanted"),
                fm_report_jint(x, "utility_got"));
    }
    fputs("</tbody>\n</table>\n", f);
}

static void side_evidence(FILE *f, const fm_report_side *s)
{
    const json_t *proof = json_object_get(s->json, "proof");
    const json_t *levels = json_object_get(proof, "levels");
    size_t i;
    json_t *v;

    fprintf(f, "<h3>%s</h3>\n", s->title);
    if (json_is_object(json_object_get(s->json, "constrained"))) {
        constrained_evidence(f, s, json_object_get(s->json, "constrained"));
        envy_audit(f, s);
        return;
    }
    if (!json_is_array(levels) || json_array_size(levels) == 0) {
        fputs("<p class=\"bad\">This summary holds no proof.</p>\n", f);
        return;
    }
    fprintf(f, "<table class=\"small\" id=\"%s-proof\">\n<thead><tr><th>Level</th><th>What "
               "is maximised</th><th>Achieved</th><th>Proven bound</th><th class=\"text\">"
               "What the bound means</th></tr></thead>\n<tbody>\n", s->key);
    json_array_foreach(levels, i, v) {
        long long level = fm_report_jint(v, "level");
        long long value = fm_report_jint(v, "value"), bound = fm_report_jint(v, "bound");
        fprintf(f, "<tr><td>%lld</td><td class=\"text\">", level);
        fm_report_escape(f, fm_report_jstr(v, "name"));
        fprintf(f, "</td><td data-fm=\"%s-level%lld-value\">%lld</td><td data-fm=\"%s-level"
                   "%lld-bound\">%lld</td><td class=\"text\">", s->key, level, value, s->key,
                level, bound);
        level_words(f, s, level, value, bound);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<p>", f);
    if (json_is_true(json_object_get(proof, "optimal")))
        fprintf(f, "<span class=\"ok\" data-fm=\"%s-optimal\">Proven best possible:</span> "
                   "every level reaches its bound.", s->key);
    else
        fprintf(f, "<span class=\"bad\" data-fm=\"%s-optimal\">Not proven best "
                   "possible:</span> some level is below its bound.", s->key);
    if (json_is_true(json_object_get(proof, "certificate_checked")))
        fputs(" An independent routine re-checked every match against the rules and the "
              "capacities, recomputed the cuts over all pairs and the dual objective, and "
              "found them equal to the values above.", f);
    else
        fputs(" <span class=\"bad\">The certificate was not checked independently.</span>",
              f);
    fputs(" Method: ", f);
    fm_report_escape(f, fm_report_jstr(proof, "method"));
    fputs(".</p>\n", f);
    envy_audit(f, s);
}

void fm_report_evidence_write(FILE *f, const fm_report_side *sides, int n_sides)
{
    fputs("<section id=\"evidence\">\n<h2>Evidence that the result is the best possible</h2>"
          "\n<p>For each level the solver hands over, with its result, a bound that no "
          "allocation can beat. When the achieved number equals the bound, nothing better "
          "exists: not more pupils of a tier, and not a better fit once the numbers are "
          "settled. Levels 2 and 3 count the tiers together (tiers 1&ndash;2, then "
          "1&ndash;3).</p>\n", f);
    for (int k = 0; k < n_sides; k++)
        side_evidence(f, &sides[k]);
    fputs("</section>\n", f);
}
