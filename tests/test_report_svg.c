/*
 * test_report_svg.c - cmocka tests of report.html's chart helpers
 * (adapters/report_svg.c): escaping of names with < & " ', shortening on a
 * UTF-8 character boundary, empty charts, one bar, clamped and zero
 * values (never NaN), groups, series and their legend.  Each chart is
 * written to a memory stream and the SVG text is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_svg.h"

typedef void (*draw_fn)(FILE *f, const fm_svg_chart *c);

/* What was written to f so far (malloc); closes f.  A temporary file
 * rather than open_memstream, whose buffer GCC's -Wdangling-pointer
 * misreads. */
static char *take(FILE *f)
{
    long len;
    char *text;
    assert_int_equal(fflush(f), 0);
    len = ftell(f);
    assert_true(len >= 0);
    text = malloc((size_t)len + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

static FILE *scratch(void)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    return f;
}

static char *render(draw_fn draw, const fm_svg_chart *c)
{
    FILE *f = scratch();
    draw(f, c);
    return take(f);
}

static char *escaped(const char *s)
{
    FILE *f = scratch();
    fm_report_escape(f, s);
    return take(f);
}

static char *shortened(const char *s, size_t max)
{
    FILE *f = scratch();
    fm_report_escape_short(f, s, max);
    return take(f);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The width="..." of the n-th rect.bar. */
static double bar_width(const char *svg, size_t n)
{
    const char *p = svg;
    for (size_t i = 0; i <= n; i++) {
        p = strstr(p, "<rect class=\"bar\"");
        assert_non_null(p);
        p++;
    }
    p = strstr(p, "width=\"");
    assert_non_null(p);
    return strtod(p + 7, NULL);
}

/* Every '<' in the SVG opens a tag we wrote, never a name. */
static void assert_only_our_tags(const char *svg)
{
    static const char *const tags[] = {"<svg", "</svg", "<title", "</title", "<desc", "</desc",
                                       "<rect", "</rect", "<text", "</text", "<line"};
    for (const char *p = strchr(svg, '<'); p; p = strchr(p + 1, '<')) {
        int ok = 0;
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
            ok |= strncmp(p, tags[i], strlen(tags[i])) == 0;
        if (!ok)
            fail_msg("unexpected markup at: %.40s", p);
    }
}

static void test_escape(void **state)
{
    (void)state;
    char *s = escaped("<b>St Mary & St John's \"Academy\"</b>");
    assert_string_equal(s, "&lt;b&gt;St Mary &amp; St John&#39;s &quot;Academy&quot;&lt;/b&gt;");
    free(s);
    s = escaped(NULL);
    assert_string_equal(s, "");
    free(s);
    s = escaped("plain");
    assert_string_equal(s, "plain");
    free(s);
}

static void test_escape_short(void **state)
{
    (void)state;
    /* fits: unchanged */
    char *s = shortened("Eastholm", 8);
    assert_string_equal(s, "Eastholm");
    free(s);
    /* one too long: 3 characters and an ellipsis */
    s = shortened("abcde", 4);
    assert_string_equal(s, "abc\xE2\x80\xA6");
    free(s);
    /* multi-byte characters are never cut in half: "École" is 5 chars */
    s = shortened("\xC3\x89" "cole \xC3\xA9l\xC3\xA9mentaire", 3);
    assert_string_equal(s, "\xC3\x89" "c\xE2\x80\xA6");
    free(s);
    s = shortened("\xC3\x89" "cole", 5);
    assert_string_equal(s, "\xC3\x89" "cole");
    free(s);
    /* escaping still applies, and an entity is never cut */
    s = shortened("A&B<C>D", 4);
    assert_string_equal(s, "A&amp;B\xE2\x80\xA6");
    free(s);
    s = shortened(NULL, 4);
    assert_string_equal(s, "");
    free(s);
}

static void test_names_escaped_in_chart(void **state)
{
    (void)state;
    fm_svg_bar bars[2] = {
        {"<script>alert(1)</script>", NULL, 0, 3, 4},
        {"O'Brien & \"Sons\"", NULL, 0, 1, 4},
    };
    fm_svg_chart c = {"c1", "Title with <tags> & \"quotes\"", "Desc 'quoted'", bars, 2,
                      NULL, 0};
    char *svg = render(fm_svg_hbars_write, &c);
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;: 75.0% (3 of 4)"));
    assert_non_null(strstr(svg, "O&#39;Brien &amp; &quot;Sons&quot;"));
    assert_non_null(strstr(svg, "Title with &lt;tags&gt; &amp; &quot;quotes&quot;</title>"));
    assert_non_null(strstr(svg, "Desc &#39;quoted&#39;</desc>"));
    assert_only_our_tags(svg);
    free(svg);
}

static void test_empty(void **state)
{
    (void)state;
    fm_svg_chart c = {"empty", "Nothing", "No bars", NULL, 0, NULL, 0};
    char *h = render(fm_svg_hbars_write, &c);
    char *v = render(fm_svg_columns_write, &c);
    for (int k = 0; k < 2; k++) {
        const char *svg = k ? v : h;
        assert_int_equal(count(svg, "class=\"bar\""), 0);
        assert_non_null(strstr(svg, "No data"));
        assert_non_null(strstr(svg, "role=\"img\""));
        assert_non_null(strstr(svg, "aria-labelledby=\"empty-t empty-d\""));
        assert_non_null(strstr(svg, "</svg>\n"));
        assert_only_our_tags(svg);
    }
    free(h);
    free(v);
}

static void test_one_school(void **state)
{
    (void)state;
    fm_svg_bar bar = {"Eastholm Academy", NULL, 0, 1, 2};
    fm_svg_chart c = {"school", "By school", "One bar per school", &bar, 1, NULL, 0};
    char *svg = render(fm_svg_hbars_write, &c);
    assert_int_equal(count(svg, "<rect class=\"bar\""), 1);
    assert_non_null(strstr(svg, "50.0% (1 of 2)"));
    assert_non_null(strstr(svg, ">Eastholm Academy</text>"));
    assert_true(bar_width(svg, 0) > 149.0 && bar_width(svg, 0) < 151.0); /* half of 300 */
    /* the rate scale is drawn for rate charts */
    assert_non_null(strstr(svg, ">100%</text>"));
    free(svg);
}

static void test_clamped_and_zero(void **state)
{
    (void)state;
    fm_svg_bar rates[3] = {
        {"over", NULL, 0, 9, 4},   /* count above total: full */
        {"negative", NULL, 0, -3, 4},
        {"none asked", NULL, 0, 0, 0}, /* no total: a count of 0 */
    };
    fm_svg_chart c = {"r", "Rates", "d", rates, 3, NULL, 0};
    char *svg = render(fm_svg_hbars_write, &c);
    assert_true(bar_width(svg, 0) > 299.0 && bar_width(svg, 0) < 301.0);
    assert_true(bar_width(svg, 1) == 0.0);
    assert_true(bar_width(svg, 2) == 0.0);
    assert_non_null(strstr(svg, "100.0% (4 of 4)"));
    assert_non_null(strstr(svg, "0.0% (0 of 4)"));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);

    /* a histogram whose every count is 0 */
    fm_svg_bar zeros[4] = {{"a", NULL, 0, 0, 0}, {"b", NULL, 0, 0, 0}, {"c", NULL, 0, 0, 0},
                           {"d", NULL, 0, 0, 0}};
    fm_svg_chart z = {"z", "Zeros", "d", zeros, 4, NULL, 0};
    svg = render(fm_svg_columns_write, &z);
    assert_int_equal(count(svg, "<rect class=\"bar\""), 4);
    assert_null(strstr(svg, "nan"));
    assert_non_null(strstr(svg, "height=\"0.0\""));
    free(svg);
}

static void test_columns_scale(void **state)
{
    (void)state;
    fm_svg_bar bars[3] = {{"1st choice", NULL, 0, 80, 0}, {"2nd choice", NULL, 0, 40, 0},
                          {"3rd choice", NULL, 0, 0, 0}};
    fm_svg_chart c = {"rank", "Rank", "d", bars, 3, NULL, 0};
    char *svg = render(fm_svg_columns_write, &c);
    assert_int_equal(count(svg, "<rect class=\"bar\""), 3);
    assert_non_null(strstr(svg, "<title>1st choice: 80</title>"));
    assert_non_null(strstr(svg, "height=\"160.0\"")); /* the largest fills the plot */
    assert_non_null(strstr(svg, "height=\"80.0\""));
    free(svg);
}

static void test_groups_and_series(void **state)
{
    (void)state;
    static const char *const series[] = {"F (female)", "M (male)"};
    fm_svg_bar bars[3] = {
        {"F (female)", "health", 0, 1, 2},
        {"M (male)", "health", 1, 2, 2},
        {"F (female)", "law & order", 0, 0, 3},
    };
    fm_svg_chart c = {"gs", "By sector and gender", "d", bars, 3, series, 2};
    char *svg = render(fm_svg_hbars_write, &c);
    assert_int_equal(count(svg, "<rect class=\"bar\""), 3);
    assert_int_equal(count(svg, "<rect class=\"legend\""), 2);
    /* one heading per group */
    assert_int_equal(count(svg, "font-weight=\"bold\">health</text>"), 1);
    assert_int_equal(count(svg, "font-weight=\"bold\">law &amp; order</text>"), 1);
    /* the tooltip names group, bar and series */
    assert_non_null(strstr(svg, "<title>health, M (male) (M (male)): 100.0% (2 of 2)</title>"));
    /* two series, two colours */
    assert_non_null(strstr(svg, "fill=\"#0072B2\""));
    assert_non_null(strstr(svg, "fill=\"#E69F00\""));
    assert_only_our_tags(svg);
    free(svg);
}

static void test_note(void **state)
{
    (void)state;
    char buf[64];
    fm_svg_bar rate = {"x", NULL, 0, 48, 89};
    fm_svg_bar plain = {"x", NULL, 0, 48, 0};
    assert_string_equal(fm_svg_bar_note(&rate, buf, sizeof buf), "53.9% (48 of 89)");
    assert_string_equal(fm_svg_bar_note(&plain, buf, sizeof buf), "48");
    /* a small buffer is still terminated */
    assert_int_equal(strlen(fm_svg_bar_note(&rate, buf, 5)), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_escape_short),
        cmocka_unit_test(test_names_escaped_in_chart),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_school),
        cmocka_unit_test(test_clamped_and_zero),
        cmocka_unit_test(test_columns_scale),
        cmocka_unit_test(test_groups_and_series),
        cmocka_unit_test(test_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
