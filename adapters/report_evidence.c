/*
 * report_evidence.c - the optimality evidence of report.html: for each side
 * and each of the four levels, what was achieved, the proven bound, and
 * what the bound means in words; then whether the independent check of the
 * certificate passed.
 *
 * Normal case: every level's value equals its bound, and the page says the
 * result is the best possible.  A level whose bound is above its value
 * (possible only if a time limit stopped a solve, or a summary was edited)
 * is named, with the gap, in red and in words.  Failure: none; a summary
 * without a proof says so.
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

static void side_evidence(FILE *f, const fm_report_side *s)
{
    const json_t *proof = json_object_get(s->json, "proof");
    const json_t *levels = json_object_get(proof, "levels");
    size_t i;
    json_t *v;

    fprintf(f, "<h3>%s</h3>\n", s->title);
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
