/*
 * report_svg.c - bar charts and histograms as inline SVG (report_svg.h),
 * and the HTML escaping the whole page uses.
 *
 * Normal case: the chart is laid out on a fixed 640-unit-wide viewBox (the
 * page scales it with CSS, so it shrinks on a phone and in print): for
 * horizontal bars a label column, the bars, and the value written after
 * each bar; for columns, a plot area with the value above and the label
 * under each column.  Rate charts get a 0-50-100% scale; count charts are
 * scaled to their largest count, and their values are written out, so no
 * axis is needed.  Colours are the Okabe-Ito palette (distinguishable with
 * the common colour-vision deficiencies), and each series also has its own
 * legend entry, so colour is never the only cue.
 *
 * Failure cases: none reported here.  Bad numbers (a negative count, a
 * count above its total, a series outside the palette) are drawn clamped;
 * an empty chart is drawn as a frame saying "No data".  Write errors stay
 * in the stream for the caller's ferror().
 */
#include "report_svg.h"

#include <inttypes.h>
#include <string.h>

enum {
    WIDTH = 640,
    LABEL_X = 4,          /* hbars: labels start here */
    LABEL_CHARS = 30,     /* ... and are cut to this many characters */
    BAR_X = 196,          /* hbars: the bars start here */
    BAR_W = 300,          /* ... and a full bar is this long */
    ROW_H = 20,
    BAR_H = 13,
    GROUP_H = 18,
    LEGEND_H = 20,
    AXIS_H = 16,
    COL_TOP = 18,         /* columns: room for the value above the tallest */
    COL_PLOT_H = 160,
    COL_LABEL_H = 34
};

static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                      "#56B4E9", "#D55E00"};
#define N_COLOURS (sizeof palette / sizeof palette[0])

/* Writes the first n bytes of s, escaped. */
static void escape_n(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(s[i], f); break;
        }
    }
}

void fm_report_escape(FILE *f, const char *s)
{
    if (s)
        escape_n(f, s, strlen(s));
}

/* The byte offset where the first n characters of s end (UTF-8: a
 * character starts at every byte that is not 10xxxxxx). */
static size_t chars_end(const char *s, size_t n)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == n)
            break;
    return i;
}

void fm_report_escape_short(FILE *f, const char *s, size_t max_chars)
{
    if (!s)
        return;
    if (!s[chars_end(s, max_chars)]) {
        fm_report_escape(f, s);
        return;
    }
    /* Longer: max_chars - 1 characters and an ellipsis. */
    escape_n(f, s, chars_end(s, max_chars ? max_chars - 1 : 0));
    fputs("\xE2\x80\xA6", f); /* U+2026 */
}

static int64_t clamp_count(const fm_svg_bar *b)
{
    int64_t c = b->count < 0 ? 0 : b->count;
    if (b->total > 0 && c > b->total)
        c = b->total;
    return c;
}

char *fm_svg_bar_note(const fm_svg_bar *b, char *buf, size_t size)
{
    int64_t c = clamp_count(b);
    if (b->total > 0)
        snprintf(buf, size, "%.1f%% (%" PRId64 " of %" PRId64 ")",
                 100.0 * (double)c / (double)b->total, c, b->total);
    else
        snprintf(buf, size, "%" PRId64, c);
    return buf;
}

/* The bar's length as a share of the full length, 0..1. */
static double bar_share(const fm_svg_bar *b, int64_t max_count)
{
    int64_t c = clamp_count(b);
    if (b->total > 0)
        return (double)c / (double)b->total;
    return max_count > 0 ? (double)c / (double)max_count : 0.0;
}

static int64_t largest_count(const fm_svg_chart *c)
{
    int64_t m = 0;
    for (size_t i = 0; i < c->n_bars; i++)
        if (c->bars[i].total <= 0 && clamp_count(&c->bars[i]) > m)
            m = clamp_count(&c->bars[i]);
    return m;
}

static int any_rate(const fm_svg_chart *c)
{
    for (size_t i = 0; i < c->n_bars; i++)
        if (c->bars[i].total > 0)
            return 1;
    return 0;
}

static const char *colour(const fm_svg_chart *c, int series)
{
    if (series < 0 || c->n_series <= 1)
        series = 0;
    return palette[(size_t)series % N_COLOURS];
}

static int group_starts(const fm_svg_chart *c, size_t i)
{
    const char *g = c->bars[i].group;
    if (!g)
        return 0;
    return i == 0 || !c->bars[i - 1].group || strcmp(c->bars[i - 1].group, g) != 0;
}

/* The chart's id with a suffix, then after, escaped. */
static void put_id(FILE *f, const fm_svg_chart *c, const char *suffix, const char *after)
{
    fm_report_escape(f, c->id);
    fputs(suffix, f);
    fputs(after, f);
}

static void open_svg(FILE *f, const fm_svg_chart *c, int height)
{
    fprintf(f, "<svg class=\"chart\" role=\"img\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "font-family=\"sans-serif\" font-size=\"11\" "
               "aria-labelledby=\"", WIDTH, height, WIDTH, height);
    put_id(f, c, "-t ", "");
    put_id(f, c, "-d", "\" id=\"");
    put_id(f, c, "", "\">\n<title id=\"");
    put_id(f, c, "-t", "\">");
    fm_report_escape(f, c->title);
    fputs("</title>\n<desc id=\"", f);
    put_id(f, c, "-d", "\">");
    fm_report_escape(f, c->desc);
    fputs("</desc>\n", f);
}

static void no_data(FILE *f, int height)
{
    fprintf(f, "<rect x=\"0.5\" y=\"0.5\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"#ccc\"/>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
               "fill=\"#555\">No data</text>\n", WIDTH - 1, height - 1, WIDTH / 2,
            height / 2 + 4);
}

/* One legend row of swatches; returns its height. */
static int legend(FILE *f, const fm_svg_chart *c, int y)
{
    int x = BAR_X;
    if (c->n_series <= 1 || !c->series)
        return 0;
    for (size_t s = 0; s < c->n_series; s++) {
        fprintf(f, "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
                   "fill=\"%s\"/><text x=\"%d\" y=\"%d\">", x, y + 4,
                colour(c, (int)s), x + 14, y + 13);
        fm_report_escape(f, c->series[s]);
        fputs("</text>\n", f);
        x += 24 + 7 * (int)strlen(c->series[s] ? c->series[s] : "");
    }
    return LEGEND_H;
}

/* The bar's tooltip: "group, label: note". */
static void bar_title(FILE *f, const fm_svg_bar *b, const char *series)
{
    char note[64];
    fputs("<title>", f);
    if (b->group) {
        fm_report_escape(f, b->group);
        fputs(", ", f);
    }
    fm_report_escape(f, b->label);
    if (series) {
        fputs(" (", f);
        fm_report_escape(f, series);
        fputs(")", f);
    }
    fputs(": ", f);
    fm_report_escape(f, fm_svg_bar_note(b, note, sizeof note));
    fputs("</title>", f);
}

static const char *series_name(const fm_svg_chart *c, const fm_svg_bar *b)
{
    if (c->n_series <= 1 || !c->series || b->series < 0 || (size_t)b->series >= c->n_series)
        return NULL;
    return c->series[b->series];
}

void fm_svg_hbars_write(FILE *f, const fm_svg_chart *c)
{
    int64_t max_count = largest_count(c);
    int rates = any_rate(c);
    int height = 4, y;
    char note[64];

    if (c->n_bars == 0) {
        open_svg(f, c, 60);
        no_data(f, 60);
        fputs("</svg>\n", f);
        return;
    }
    if (c->n_series > 1 && c->series)
        height += LEGEND_H;
    if (rates)
        height += AXIS_H;
    for (size_t i = 0; i < c->n_bars; i++)
        height += ROW_H + (group_starts(c, i) ? GROUP_H : 0);
    open_svg(f, c, height);

    y = 2;
    y += legend(f, c, y);
    if (rates) {
        for (int k = 0; k <= 2; k++) {
            int x = BAR_X + BAR_W * k / 2;
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%d%%"
                       "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                    x, y + 11, 50 * k, x, y + AXIS_H, x, height - 2);
        }
        y += AXIS_H;
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
            BAR_X, y, BAR_X, height - 2);
    for (size_t i = 0; i < c->n_bars; i++) {
        const fm_svg_bar *b = &c->bars[i];
        const char *sname = series_name(c, b);
        double w = bar_share(b, max_count) * BAR_W;
        if (group_starts(c, i)) {
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", LABEL_X, y + 14);
            fm_report_escape_short(f, b->group, LABEL_CHARS);
            fputs("</text>\n", f);
            y += GROUP_H;
        }
        fprintf(f, "<text x=\"%d\" y=\"%d\">", b->group ? LABEL_X + 12 : LABEL_X, y + 14);
        fm_report_escape_short(f, b->label, b->group ? LABEL_CHARS - 2 : LABEL_CHARS);
        fprintf(f, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
                   "height=\"%d\" fill=\"%s\">", BAR_X, y + 3, w, BAR_H,
                colour(c, b->series));
        bar_title(f, b, sname);
        fprintf(f, "</rect><text x=\"%.1f\" y=\"%d\" fill=\"#333\">", BAR_X + w + 5, y + 14);
        fm_report_escape(f, fm_svg_bar_note(b, note, sizeof note));
        fputs("</text>\n", f);
        y += ROW_H;
    }
    fputs("</svg>\n", f);
}

void fm_svg_columns_write(FILE *f, const fm_svg_chart *c)
{
    int64_t max_count = largest_count(c);
    int height = COL_TOP + COL_PLOT_H + COL_LABEL_H;
    int base = COL_TOP + COL_PLOT_H;
    double slot;
    char note[64];

    open_svg(f, c, height);
    if (c->n_bars == 0) {
        no_data(f, height);
        fputs("</svg>\n", f);
        return;
    }
    slot = (double)(WIDTH - 8) / (double)c->n_bars;
    fprintf(f, "<line x1=\"4\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", base,
            WIDTH - 4, base);
    for (size_t i = 0; i < c->n_bars; i++) {
        const fm_svg_bar *b = &c->bars[i];
        double h = bar_share(b, max_count) * COL_PLOT_H;
        double x = 4 + slot * (double)i, w = slot * 0.7, mid = x + slot / 2;
        size_t chars = slot / 6.5 > 3 ? (size_t)(slot / 6.5) : 3;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"%s\">", x + slot * 0.15, base - h, w, h, colour(c, b->series));
        bar_title(f, b, series_name(c, b));
        fprintf(f, "</rect><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">",
                mid, base - h - 4);
        if (b->total > 0)
            fprintf(f, "%.0f%%", 100.0 * bar_share(b, max_count));
        else
            fm_report_escape(f, fm_svg_bar_note(b, note, sizeof note));
        fprintf(f, "</text><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", mid, base + 15);
        fm_report_escape_short(f, b->label, chars);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}
