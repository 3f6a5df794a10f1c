/*
 * report_headline.c - the headline of report.html: how many pupils the
 * round placed (and matched with a mentor), by tier, and against the
 * previous round when the caller knows one (a re-run's source round, or the
 * last finished round before it in the daemon's store).
 *
 * Normal case: three key figures, then per side a table tier by tier:
 * who the tier is, asked, placed (from the summary's objective vector, so
 * the page shows exactly what summary.json proves optimal), the rate, and
 * with a previous round its placed count and the change in words and sign
 * (colour is never the only cue).  Without a previous round a sentence
 * says why there is none (offline, or the first round in the store).
 * Failure: none; missing keys read as 0.
 */
#include <inttypes.h>

#include "report_page.h"
#include "report_svg.h"

const char *const fm_report_tier_who[3] = {
    "disadvantaged and gifted (low income or looked after, and gifted)",
    "disadvantaged, not gifted",
    "everyone else"};

double fm_report_pct(long long num, long long den)
{
    return den > 0 ? 100.0 * (double)num / (double)den : 0.0;
}

static void put_change(FILE *f, long long now, long long before)
{
    long long d = now - before;
    if (d > 0)
        fprintf(f, "<td class=\"up\">+%lld (more)</td>", d);
    else if (d < 0)
        fprintf(f, "<td class=\"down\">&minus;%lld (fewer)</td>", -d);
    else
        fputs("<td>no change</td>", f);
}

static void put_prev_cells(FILE *f, long long placed, long long asked, long long now)
{
    fprintf(f, "<td>%lld of %lld (%.1f%%)</td>", placed, asked, fm_report_pct(placed, asked));
    put_change(f, now, placed);
}

static void side_table(FILE *f, const fm_report_side *s, const fm_report_previous *prev)
{
    static const char *const nkey[3] = {"n1", "n2", "n3"};
    const json_t *obj = json_object_get(s->json, "objective");
    const json_t *tiers = json_object_get(s->json, "by_tier");
    long long asked_all = 0, placed_all = 0, b_asked = 0, b_placed = 0;

    fprintf(f, "<table class=\"headline small\" id=\"%s-headline\">\n<caption>%s: pupils "
               "%s, by tier</caption>\n<thead><tr><th>Tier</th><th class=\"text\">Who</th><th>Asked</th>"
               "<th>%s</th><th>Rate</th>", s->key, s->title, s->placed, s->placed_title);
    if (s->before)
        fprintf(f, "<th>Round %lld</th><th>Change</th>", (long long)prev->round_id);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int t = 0; t < 3; t++) {
        char tk[2] = {(char)('1' + t), '\0'};
        long long asked = fm_report_jint(json_object_get(tiers, tk), "asked");
        long long placed = fm_report_jint(obj, nkey[t]);
        asked_all += asked;
        placed_all += placed;
        fprintf(f, "<tr><td>Tier %d</td><td class=\"text\">%s</td><td>%lld</td>"
                   "<td class=\"num\" data-fm=\"%s-%s\">%lld</td><td>%.1f%%</td>",
                t + 1, fm_report_tier_who[t], asked, s->key, nkey[t], placed,
                fm_report_pct(placed, asked));
        if (s->before) {
            b_asked += s->before->asked[t];
            b_placed += s->before->placed[t];
            put_prev_cells(f, s->before->placed[t], s->before->asked[t], placed);
        }
        fputs("</tr>\n", f);
    }
    fprintf(f, "<tr><th>All</th><td></td><td>%lld</td><td class=\"num\" "
               "data-fm=\"%s-placed\">%lld</td><td>%.1f%%</td>",
            asked_all, s->key, placed_all, fm_report_pct(placed_all, asked_all));
    if (s->before)
        put_prev_cells(f, b_placed, b_asked, placed_all);
    fputs("</tr>\n</tbody>\n</table>\n", f);
    fprintf(f, "<p class=\"note\">The %s vector (n1, n2, n3, U) is (%lld, %lld, %lld, "
               "<span data-fm=\"%s-utility\">%lld</span>): U is the total utility, how well "
               "the matches fit the pupils' wishes (see the policy below).</p>\n",
            s->key, fm_report_jint(obj, "n1"), fm_report_jint(obj, "n2"),
            fm_report_jint(obj, "n3"), s->key, fm_report_jint(obj, "utility"));
}

static void put_kpi(FILE *f, const fm_report_side *s)
{
    long long asked = fm_report_jint(s->json, "asked");
    long long matched = fm_report_jint(s->json, "matched");
    fprintf(f, "<div>Pupils %s (%s)<strong>%lld</strong>of %lld who asked (%.1f%%)</div>\n",
            s->placed, s->key, matched, asked, fm_report_pct(matched, asked));
}

static void put_previous(FILE *f, const fm_report_context *ctx)
{
    const fm_report_previous *p = ctx ? &ctx->previous : NULL;
    fputs("<p id=\"previous\">", f);
    if (!ctx || ctx->round_id <= 0) {
        fputs("This round was solved offline with <code>fairmatch solve</code>, so there is "
              "no previous round to compare it with.", f);
    } else if (p->round_id <= 0) {
        fprintf(f, "Round %lld is the first finished round in this service: there is no "
                   "previous round to compare it with.", (long long)ctx->round_id);
    } else if (p->rerun) {
        fprintf(f, "Compared with round %lld", (long long)p->round_id);
        if (p->date[0]) {
            fputs(" of ", f);
            fm_report_escape(f, p->date);
        }
        fputs(", which this round re-ran: the matches schools and employers had confirmed "
              "there were kept, and the rest was allocated again.", f);
    } else {
        fprintf(f, "Compared with round %lld", (long long)p->round_id);
        if (p->date[0]) {
            fputs(" of ", f);
            fm_report_escape(f, p->date);
        }
        fputs(", the last finished round before this one.", f);
    }
    fputs("</p>\n", f);
}

void fm_report_headline_write(FILE *f, const json_t *summary, const fm_report_context *ctx,
                              const fm_report_side *sides, int n_sides)
{
    const json_t *counts = json_object_get(summary, "counts");
    fputs("<section id=\"headline\">\n<h2 class=\"first\">Headline</h2>\n<div class=\"kpi\">\n",
          f);
    fprintf(f, "<div>Pupils in the region<strong>%lld</strong>in %lld schools</div>\n",
            fm_report_jint(counts, "students"), fm_report_jint(counts, "schools"));
    for (int k = 0; k < n_sides; k++)
        put_kpi(f, &sides[k]);
    fputs("</div>\n", f);
    put_previous(f, ctx);
    for (int k = 0; k < n_sides; k++)
        side_table(f, &sides[k], ctx ? &ctx->previous : NULL);
    fputs("</section>\n", f);
}
