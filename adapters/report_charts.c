/*
 * report_charts.c - the chart section of one side of report.html: rate by
 * tier, by school, by gender and sector, the rank of the choice received
 * and the travel distance; each chart followed by its data as a table.
 *
 * Normal case: the bars are built from the summary (rates, rank histogram)
 * and, for the distance, from the rows; each chart is drawn by
 * report_svg.c inside a <figure>, and the same numbers follow as an HTML
 * table, so nothing is only in a picture.  A region with more than
 * FM_REPORT_SCHOOL_BARS_MAX schools gets, instead of one bar per school, a
 * histogram of how many schools reached each rate band; the table still
 * lists every school.  Gender x sector is drawn as one group per sector
 * (a placed pupil counts in the sector of the placement, an unplaced one in
 * the first sector they chose, as the summary counts them).
 *
 * Failure: none reported; a bar list that cannot be allocated is drawn as
 * an empty chart with a note that it is missing, and the table still
 * follows (it needs no memory).
 */
#include <stdlib.h>
#include <string.h>

#include "report_page.h"
#include "report_svg.h"

static const char *const genders[] = {"F", "M", "X", "unspecified"};
static const char *const gender_legend[] = {"F (female)", "M (male)", "X", "not given"};
#define N_GENDERS (sizeof genders / sizeof genders[0])

static void figure_open(FILE *f, const fm_report_side *s, const char *what,
                        const char *caption)
{
    fprintf(f, "<figure id=\"%s-%s-fig\">\n<figcaption>", s->key, what);
    fm_report_escape(f, caption);
    fputs("</figcaption>\n", f);
}

/* The data table behind a chart: label (and group) columns, then asked,
 * placed and rate for rate bars or a count. */
static void bars_table(FILE *f, const fm_report_side *s, const fm_svg_chart *c,
                       const char *group_head, const char *label_head, const char *count_head)
{
    fprintf(f, "<details class=\"data\"><summary>The numbers behind the chart</summary>\n"
               "<table class=\"data\" aria-label=\"Data of the chart: ");
    fm_report_escape(f, c->title);
    fputs("\">\n<thead><tr>", f);
    if (group_head)
        fprintf(f, "<th>%s</th>", group_head);
    fprintf(f, "<th>%s</th>", label_head);
    if (count_head)
        fprintf(f, "<th>%s</th>", count_head);
    else
        fprintf(f, "<th>Asked</th><th>%s</th><th>Rate</th>", s->placed_title);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < c->n_bars; i++) {
        const fm_svg_bar *b = &c->bars[i];
        fputs("<tr>", f);
        if (group_head) {
            fputs("<td class=\"text\">", f);
            fm_report_escape(f, b->group);
            fputs("</td>", f);
        }
        fputs("<td class=\"text\">", f);
        fm_report_escape(f, b->label);
        if (count_head)
            fprintf(f, "</td><td>%lld</td></tr>\n", (long long)b->count);
        else
            fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%.1f%%</td></tr>\n",
                    (long long)b->total, (long long)b->count,
                    fm_report_pct(b->count, b->total));
    }
    fputs("</tbody>\n</table>\n</details>\n", f);
}

/* One chart of the side: its figure (id "KEY-what", caption = title) and
 * the table of its numbers; columns draws a histogram, else bars. */
typedef struct chart_spec {
    const char *what, *title, *desc;
    int columns;
    const char *group_head, *label_head, *count_head; /* as bars_table; no label_head:
                                                       * no table */
} chart_spec;

static void put_chart(FILE *f, const fm_report_side *s, const chart_spec *spec,
                      const fm_svg_bar *bars, size_t n, const char *const *series,
                      size_t n_series)
{
    char id[48];
    snprintf(id, sizeof id, "%s-%s", s->key, spec->what);
    fm_svg_chart c = {id, spec->title, spec->desc, bars, n, series, n_series};
    figure_open(f, s, spec->what, spec->title);
    if (spec->columns)
        fm_svg_columns_write(f, &c);
    else
        fm_svg_hbars_write(f, &c);
    fputs("</figure>\n", f);
    if (spec->label_head)
        bars_table(f, s, &c, spec->group_head, spec->label_head, spec->count_head);
}

static void tier_chart(FILE *f, const fm_report_side *s)
{
    static const char *const labels[3] = {"Tier 1", "Tier 2", "Tier 3"};
    const json_t *tiers = json_object_get(s->json, "by_tier");
    fm_svg_bar bars[3];
    char title[96];
    memset(bars, 0, sizeof bars);
    for (int t = 0; t < 3; t++) {
        char tk[2] = {(char)('1' + t), '\0'};
        const json_t *g = json_object_get(tiers, tk);
        bars[t].label = labels[t];
        bars[t].count = fm_report_jint(g, "placed");
        bars[t].total = fm_report_jint(g, "asked");
    }
    snprintf(title, sizeof title, "Share of pupils %s, by tier", s->placed);
    chart_spec spec = {"tier", title, "One bar per tier: the share of the pupils who asked "
                       "who were given one.", 0, NULL, "Tier", NULL};
    put_chart(f, s, &spec, bars, 3, NULL, 0);
}

static void school_table(FILE *f, const fm_report_side *s, const json_t *schools)
{
    const char *ref;
    json_t *g;
    fprintf(f, "<table class=\"data\" id=\"%s-schools\" aria-label=\"Every school\">\n"
               "<thead><tr><th>School</th><th class=\"text\">Name</th><th>Asked</th><th>Had an eligible "
               "choice</th><th>%s</th><th>Rate</th></tr></thead>\n<tbody>\n",
            s->key, s->placed_title);
    json_object_foreach((json_t *)schools, ref, g) {
        fputs("<tr><td>", f);
        fm_report_escape(f, ref);
        fputs("</td><td class=\"text\">", f);
        fm_report_escape(f, fm_report_jstr(g, "name"));
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%.1f%%</td></tr>\n",
                fm_report_jint(g, "asked"), fm_report_jint(g, "eligible"),
                fm_report_jint(g, "placed"),
                fm_report_pct(fm_report_jint(g, "placed"), fm_report_jint(g, "asked")));
    }
    fputs("</tbody>\n</table>\n", f);
}

static void school_chart(FILE *f, const fm_report_side *s)
{
    static const char *const bands[10] = {"0-10%", "10-20%", "20-30%", "30-40%", "40-50%",
                                          "50-60%", "60-70%", "70-80%", "80-90%", "90-100%"};
    const json_t *schools = json_object_get(s->json, "by_school");
    size_t n = json_object_size(schools), i = 0;
    int many = n > FM_REPORT_SCHOOL_BARS_MAX;
    fm_svg_bar *bars = calloc(many ? 10 : (n ? n : 1), sizeof *bars);
    char title[96];
    const char *ref;
    json_t *g;

    snprintf(title, sizeof title, many ? "Schools by their share of pupils %s"
                                       : "Share of pupils %s, by school", s->placed);
    if (!bars) {
        figure_open(f, s, "school", title);
        fputs("<p class=\"note\">(The chart could not be drawn: out of memory.)</p>\n"
              "</figure>\n", f);
    } else if (many) {
        for (int b = 0; b < 10; b++)
            bars[b].label = bands[b];
        json_object_foreach((json_t *)schools, ref, g) {
            long long asked = fm_report_jint(g, "asked");
            int b = asked > 0 ? (int)(10 * fm_report_jint(g, "placed") / asked) : 0;
            bars[b < 0 ? 0 : b > 9 ? 9 : b].count++;
        }
        chart_spec spec = {"school", title, "One column per band of rates: how many schools "
                           "had that share of their pupils who asked given one.", 1, NULL,
                           "Share of pupils", "Schools"};
        put_chart(f, s, &spec, bars, 10, NULL, 0);
    } else {
        json_object_foreach((json_t *)schools, ref, g) {
            const char *name = fm_report_jstr(g, "name");
            bars[i].label = *name ? name : ref;
            bars[i].count = fm_report_jint(g, "placed");
            bars[i].total = fm_report_jint(g, "asked");
            i++;
        }
        /* no table of its own: the table of every school follows */
        chart_spec spec = {"school", title, "One bar per school: the share of its pupils who "
                           "asked who were given one.", 0, NULL, NULL, NULL};
        put_chart(f, s, &spec, bars, i, NULL, 0);
    }
    school_table(f, s, schools);
    free(bars);
}

static int cmp_str(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int nx = strcmp(x, "none") == 0, ny = strcmp(y, "none") == 0;
    return nx != ny ? nx - ny : strcmp(x, y); /* "none" last */
}

static void gender_sector_chart(FILE *f, const fm_report_side *s)
{
    const json_t *gs = json_object_get(s->json, "by_gender_sector");
    size_t n_pairs = 0, n_sectors = 0, n_bars = 0;
    const char **sectors;
    fm_svg_bar *bars;
    char title[96];
    const char *key, *sec;
    json_t *v, *g;

    json_object_foreach((json_t *)gs, key, v)
        n_pairs += json_object_size(v);
    sectors = malloc((n_pairs ? n_pairs : 1) * sizeof *sectors);
    bars = calloc(n_pairs ? n_pairs : 1, sizeof *bars);
    snprintf(title, sizeof title, "Share of pupils %s, by sector and gender", s->placed);
    if (sectors && bars) {
        json_object_foreach((json_t *)gs, key, v)
            json_object_foreach(v, sec, g)
                sectors[n_sectors++] = sec;
        qsort(sectors, n_sectors, sizeof *sectors, cmp_str);
        for (size_t i = 0; i < n_sectors; i++) {
            if (i > 0 && strcmp(sectors[i - 1], sectors[i]) == 0)
                continue;
            for (size_t k = 0; k < N_GENDERS; k++) {
                g = json_object_get(json_object_get(gs, genders[k]), sectors[i]);
                if (!g)
                    continue;
                bars[n_bars].group = sectors[i];
                bars[n_bars].label = gender_legend[k];
                bars[n_bars].series = (int)k;
                bars[n_bars].count = fm_report_jint(g, "placed");
                bars[n_bars].total = fm_report_jint(g, "asked");
                n_bars++;
            }
        }
    }
    chart_spec spec = {"gender-sector", title, "One group of bars per sector, one bar per "
                       "gender: the share of those who asked who were given one. A pupil given "
                       "one counts in its sector, a pupil without one in their first choice.",
                       0, "Sector", "Gender", NULL};
    put_chart(f, s, &spec, bars, n_bars, gender_legend, N_GENDERS);
    free(sectors);
    free(bars);
}

static void rank_chart(FILE *f, const fm_report_side *s)
{
    static const char *const labels[5] = {"1st choice", "2nd choice", "3rd choice",
                                          "4th choice", "5th choice"};
    const json_t *hist = json_object_get(s->json, "rank_histogram");
    fm_svg_bar bars[5];
    char title[96];
    memset(bars, 0, sizeof bars);
    for (int k = 0; k < 5; k++) {
        char rk[2] = {(char)('1' + k), '\0'};
        bars[k].label = labels[k];
        bars[k].count = (int64_t)json_integer_value(json_object_get(hist, rk));
    }
    snprintf(title, sizeof title, "Which of their sectors the pupils %s got", s->placed);
    chart_spec spec = {"rank", title, "One column per rank: how many pupils were given a match "
                       "in the sector they listed first, second, and so on.", 1, NULL,
                       "Sector received", "Pupils"};
    put_chart(f, s, &spec, bars, 5, NULL, 0);
}

static void distance_chart(FILE *f, const fm_report_side *s)
{
    fm_svg_bar bars[FM_REPORT_DIST_BANDS];
    char title[96];
    snprintf(title, sizeof title, "How far the pupils %s travel", s->placed);
    if (!s->rows) {
        figure_open(f, s, "distance", title);
        fputs("<p>The pupils' rows were not available, so the distances cannot be "
              "shown.</p>\n</figure>\n", f);
        return;
    }
    memset(bars, 0, sizeof bars);
    for (int b = 0; b < FM_REPORT_DIST_BANDS; b++) {
        bars[b].label = b == FM_REPORT_DIST_BANDS - 1 && s->key[0] == 'm'
                            ? "online" : fm_report_dist_labels[b];
        bars[b].count = s->rows->dist[b];
    }
    chart_spec spec = {"distance", title, "One column per band of great-circle distance from "
                       "home to the match; the last column counts virtual placements or online "
                       "mentors.", 1, NULL, "Distance", "Pupils"};
    put_chart(f, s, &spec, bars, FM_REPORT_DIST_BANDS, NULL, 0);
}

void fm_report_charts_write(FILE *f, const fm_report_side *s)
{
    fprintf(f, "<section id=\"%s-charts\">\n<h2>%s: who was %s</h2>\n", s->key, s->title,
            s->placed);
    fprintf(f, "<p>%lld pupils asked for a %s; %lld had at least one eligible choice and "
               "%lld were %s (%lld eligible pupil-%s pairs in all).</p>\n",
            fm_report_jint(s->json, "asked"), s->noun, fm_report_jint(s->json, "eligible"),
            fm_report_jint(s->json, "matched"), s->placed,
            fm_report_jint(s->json, "candidates"), s->noun);
    tier_chart(f, s);
    school_chart(f, s);
    gender_sector_chart(f, s);
    rank_chart(f, s);
    distance_chart(f, s);
    fputs("</section>\n", f);
}
