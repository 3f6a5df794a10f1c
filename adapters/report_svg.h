/*
 * report_svg.h - the charts of report.html, drawn as inline SVG in C, and
 * the HTML text helpers they share with the rest of the page.
 *
 * A chart is a list of bars.  A bar either shows a rate (count of total,
 * drawn on a fixed 0-100% scale) or a plain count (drawn against the
 * largest count of the chart).  fm_svg_hbars_write() draws horizontal bars
 * with their labels on the left, in optional groups (one heading row per
 * group, e.g. one per sector with a bar per gender) and series (colours,
 * with a legend); fm_svg_columns_write() draws columns, as a histogram.
 * Every bar is one <rect class="bar"> with a <title> saying what it shows,
 * the <svg> carries role="img", a <title> and a <desc> (aria-labelledby),
 * so screen readers and tests can read what is drawn.  Labels longer than
 * the label column are shortened on a UTF-8 character boundary, with the
 * full text kept in the bar's <title>.  Every string is HTML-escaped.
 *
 * Empty charts (no bars) are drawn as a frame saying "No data".  Negative
 * counts, or a count above its total, are drawn as 0 and full.  The
 * functions only write to the stream; the caller checks ferror().
 */
#ifndef FM_REPORT_SVG_H
#define FM_REPORT_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct fm_svg_bar {
    const char *label;   /* beside (hbars) or under (columns) the bar */
    const char *group;   /* hbars: a heading row when it differs from the
                          * previous bar's group; NULL: no heading */
    int series;          /* colour, 0 .. n_series-1 (0 without series) */
    int64_t count;       /* what the bar shows */
    int64_t total;       /* > 0: the bar is the rate count/total */
} fm_svg_bar;

typedef struct fm_svg_chart {
    const char *id;      /* unique on the page: [A-Za-z0-9-] */
    const char *title;   /* the chart's accessible name */
    const char *desc;    /* one sentence on what it shows */
    const fm_svg_bar *bars;
    size_t n_bars;
    const char *const *series; /* names of the series, for the legend */
    size_t n_series;           /* 0 or 1: no legend */
} fm_svg_chart;

void fm_svg_hbars_write(FILE *f, const fm_svg_chart *c);
void fm_svg_columns_write(FILE *f, const fm_svg_chart *c);

/* The bar's value as text: "54.0% (48 of 89)" for a rate, "48" for a
 * count.  Always NUL-terminated; returns buf. */
char *fm_svg_bar_note(const fm_svg_bar *b, char *buf, size_t size);

/* Writes s (NULL: nothing) with & < > " ' escaped as HTML/XML entities. */
void fm_report_escape(FILE *f, const char *s);

/* Writes at most max_chars UTF-8 characters of s, escaped, and "..." when
 * s was longer. */
void fm_report_escape_short(FILE *f, const char *s, size_t max_chars);

#endif
