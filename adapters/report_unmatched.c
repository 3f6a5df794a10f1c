/*
 * report_unmatched.c - the pupils of one side who asked and got nothing,
 * in report.html: how many for each reason (from the summary), then,
 * from the rows, one table per reason with a row per school: how many of
 * each tier, and the first pupils by ref (tier 1 first).
 *
 * Bounded for large regions: at most FM_REPORT_LIST_PER_GROUP refs per
 * (reason, school) group and FM_REPORT_LIST_PER_SIDE per side; past that a
 * group shows only its counts, and the page says every pupil is in
 * placements.csv / mentors.csv with their reason.  So the page grows with
 * the number of schools, never with the number of pupils.  Only refs and
 * tiers are shown: what those CSV files already hold.  When the result kept
 * the nearest misses (fm_miss, solver.h; a round solved here, not one
 * exported from the store), each named pupil also gets theirs: for the
 * outcompeted their best eligible choice and whether it was full or only
 * reserved seats were open; for the others the nearest choice the rule
 * ruled out (explanations.csv says the same in full sentences).
 *
 * Failure: none; without rows the section gives the summary's counts and
 * says the list is in the CSV file.
 */
#include <string.h>

#include "report_page.h"
#include "report_svg.h"

typedef struct reason_text {
    const char *name;   /* as in the summary / the CSV's reason */
    const char *title;
    const char *words;  /* %s: the side's noun */
} reason_text;

/* Indexed by report_rows' reason key. */
static const reason_text reasons[FM_REPORT_KEYS] = {
    {"outcompeted", "Outcompeted",
     "They had eligible choices, but in the best allocation every one of them was full, "
     "or its free seats were reserved for disadvantaged pupils."},
    {"none", "No eligible choice", "No %s was open to them."},
    {"wants", "Did not ask", "They did not ask for a %s."},
    {"sector", "No %s in their sectors", "No %s is in any of the sectors they chose."},
    {"age", "Too young", "Every %s in their sectors asks for an older pupil."},
    {"week", "Wrong weeks", "No %s in their sectors runs in a week they named."},
    {"access", "Access", "They need an accessible workplace, and no %s in their sectors is "
     "accessible or virtual."},
    {"safeguarding", "Safeguarding", "They are under 18, and no %s in their sectors has a "
     "DBS check valid on the round date."},
    {"distance", "Too far", "Every %s in their sectors is farther away than they can "
     "travel."},
};

static const reason_text *reason_by_name(const char *name)
{
    for (int k = 1; k < FM_REPORT_KEYS; k++)
        if (strcmp(reasons[k].name, name) == 0)
            return &reasons[k];
    return NULL;
}

static void put_words(FILE *f, const reason_text *t, const char *noun)
{
    /* the texts hold at most one %s, and only our own */
    char buf[256];
    snprintf(buf, sizeof buf, t->words, noun);
    fm_report_escape(f, buf);
}

static void put_title(FILE *f, const reason_text *t, const char *noun)
{
    char buf[96];
    snprintf(buf, sizeof buf, t->title, noun);
    fm_report_escape(f, buf);
}

/* The counts by reason, from the summary. */
static void reason_counts(FILE *f, const fm_report_side *s)
{
    const json_t *rs = json_object_get(s->json, "reasons");
    const json_t *by_rule = json_object_get(rs, "no_eligible_by_rule");
    const char *rule;
    json_t *v;

    fprintf(f, "<table class=\"small\" id=\"%s-reasons\">\n<thead><tr><th>Why</th>"
               "<th>Pupils</th><th class=\"text\">What it means</th></tr></thead>\n<tbody>\n",
            s->key);
    const json_t *ex = json_object_get(s->json, "explanations");
    fprintf(f, "<tr><td>Outcompeted</td><td data-fm=\"%s-outcompeted\">%lld</td>"
               "<td class=\"text\">", s->key, fm_report_jint(rs, "outcompeted"));
    put_words(f, &reasons[FM_REPORT_KEY_OUTCOMPETED], s->noun);
    if (json_is_object(ex))
        fprintf(f, " For %lld of them every seat of their best choice was taken; for %lld "
                   "only seats reserved for disadvantaged pupils were left.",
                fm_report_jint(ex, "outcompeted_full"),
                fm_report_jint(ex, "outcompeted_reserved"));
    fprintf(f, "</td></tr>\n<tr><td>No eligible choice</td><td data-fm=\"%s-no-eligible\">"
               "%lld</td><td class=\"text\">Nothing they could be given; below, the rule that "
               "ruled out most of their possibilities:</td></tr>\n",
            s->key, fm_report_jint(rs, "no_eligible"));
    json_object_foreach((json_t *)by_rule, rule, v) {
        const reason_text *t = reason_by_name(rule);
        fputs("<tr><td>&emsp;", f);
        fm_report_escape(f, rule);
        fprintf(f, "</td><td>%lld</td><td class=\"text\">", (long long)json_integer_value(v));
        if (t)
            put_words(f, t, s->noun);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* ": best choice PL7 (3.6 km), full" -- a pupil's nearest miss. */
static void put_miss(FILE *f, const fm_report_side *s, int32_t student)
{
    const fm_miss *m = &s->res->miss[student];
    int mentors = s->key[0] == 'm';
    size_t n = mentors ? s->r->n_mentors : s->r->n_placements;
    if (m->target < 0 || (size_t)m->target >= n)
        return;
    fputs(s->res->match[student].reason == FM_REASON_OUTCOMPETED ? ": best choice "
                                                                  : ": nearest ruled out ", f);
    fm_report_escape(f, mentors ? s->r->mentors[m->target].ref
                                : s->r->placements[m->target].ref);
    if (m->distance_km >= 0)
        fprintf(f, " (%.1f km)", m->distance_km);
    else
        fputs(mentors ? " (online)" : " (virtual)", f);
    if (s->res->match[student].reason == FM_REASON_OUTCOMPETED)
        fputs(m->reserved_open ? ", only reserved seats open" : ", full", f);
}

static void put_refs(FILE *f, const fm_report_side *s, const fm_report_group *g,
                     size_t *budget)
{
    size_t shown = 0;
    int misses = s->res->miss != NULL;
    fputs("<td class=\"refs\">", f);
    for (; shown < g->n_listed && *budget > 0; shown++, (*budget)--) {
        const fm_student *st = &s->r->students[g->listed[shown]];
        if (shown)
            fputs(misses ? "<br>" : ", ", f);
        fm_report_escape(f, st->ref);
        fprintf(f, " (T%d)", fm_student_tier(st));
        if (misses)
            put_miss(f, s, g->listed[shown]);
    }
    if ((int64_t)shown < g->n)
        fprintf(f, "%s%lld %s in %s.csv", shown ? (misses ? "<br>and " : ", and ") : "",
                (long long)(g->n - shown), shown ? "more" : "pupils", s->key);
    fputs("</td>", f);
}

static void group_tables(FILE *f, const fm_report_side *s)
{
    const json_t *schools = json_object_get(s->json, "by_school");
    size_t budget = FM_REPORT_LIST_PER_SIDE;
    int open_key = -1;

    for (size_t i = 0; i < s->rows->n_groups; i++) {
        const fm_report_group *g = &s->rows->groups[i];
        const char *ref = g->school >= 0 ? s->r->schools[g->school].ref : "";
        if (g->key != open_key) {
            if (open_key >= 0)
                fputs("</tbody>\n</table>\n", f);
            open_key = g->key;
            fprintf(f, "<h3 id=\"%s-why-%s\">", s->key, reasons[g->key].name);
            put_title(f, &reasons[g->key], s->noun);
            fprintf(f, ": %lld pupils</h3>\n<p>", (long long)s->rows->by_key[g->key]);
            put_words(f, &reasons[g->key], s->noun);
            fprintf(f, "</p>\n<table class=\"data unmatched\" data-reason=\"%s\">\n<thead><tr>"
                       "<th>School</th><th class=\"text\">Name</th><th>Tier 1</th><th>Tier 2</th>"
                       "<th>Tier 3</th><th>All</th><th class=\"text\">Pupils (tier)</th>"
                       "</tr></thead>\n<tbody>\n", reasons[g->key].name);
        }
        fputs("<tr><td>", f);
        fm_report_escape(f, *ref ? ref : "(none)");
        fputs("</td><td class=\"text\">", f);
        fm_report_escape(f, fm_report_jstr(json_object_get(schools, ref), "name"));
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>",
                (long long)g->by_tier[0], (long long)g->by_tier[1], (long long)g->by_tier[2],
                (long long)g->n);
        put_refs(f, s, g, &budget);
        fputs("</tr>\n", f);
    }
    if (open_key >= 0)
        fputs("</tbody>\n</table>\n", f);
}

void fm_report_unmatched_write(FILE *f, const fm_report_side *s)
{
    long long asked = fm_report_jint(s->json, "asked");
    long long matched = fm_report_jint(s->json, "matched");

    fprintf(f, "<section id=\"%s-unmatched\">\n<h2>%s: pupils without one</h2>\n", s->key,
            s->title);
    fprintf(f, "<p><span data-fm=\"%s-unmatched\">%lld</span> of the %lld pupils who asked "
               "for a %s were not %s. Each has exactly one reason.</p>\n", s->key,
            asked - matched, asked, s->noun, s->placed);
    reason_counts(f, s);
    if (!s->rows) {
        fprintf(f, "<p>The pupils' rows were not available here: %s.csv lists every pupil "
                   "with their reason.</p>\n</section>\n", s->key);
        return;
    }
    if (s->rows->n_groups > 0) {
        fprintf(f, "<p>By reason and school, with the first pupils of each group (tier 1 "
                   "first, at most %d per group and %d in all on this page)%s. %s.csv lists "
                   "every pupil with their reason%s.</p>\n", FM_REPORT_LIST_PER_GROUP,
                FM_REPORT_LIST_PER_SIDE, s->res->miss ? " and each one's nearest miss" : "",
                s->key, s->res->miss ? "; explanations.csv explains each in a sentence" : "");
        group_tables(f, s);
    }
    fputs("</section>\n", f);
}
