/*
 * report_previous.c - the numbers of a previous round that report.html
 * compares with (fm_report_previous_from_summary, report_html.h): asked
 * and placed per tier and side, read from that round's summary JSON as
 * summary.json holds it.  Who finds the previous round is the caller's
 * business (the client asks the daemon for a re-run's source round, or the
 * last finished round before it).
 *
 * Failure: FM_EINVAL when the summary is not a JSON object (*p cleared);
 * missing keys read as 0.
 */
#include "report_html.h"

#include <string.h>

static void read_tiers(fm_report_tiers *t, const json_t *side)
{
    const json_t *tiers = json_object_get(side, "by_tier");
    for (int k = 0; k < 3; k++) {
        char key[2] = {(char)('1' + k), '\0'};
        const json_t *g = json_object_get(tiers, key);
        t->asked[k] = (int64_t)json_integer_value(json_object_get(g, "asked"));
        t->placed[k] = (int64_t)json_integer_value(json_object_get(g, "placed"));
    }
}

int fm_report_previous_from_summary(fm_report_previous *p, int64_t round_id, int rerun,
                                    const char *date, const json_t *summary)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(summary))
        return FM_EINVAL;
    p->round_id = round_id;
    p->rerun = rerun != 0;
    if (!date || !*date)
        date = json_string_value(json_object_get(summary, "date"));
    if (date)
        snprintf(p->date, sizeof p->date, "%s", date);
    read_tiers(&p->placements, json_object_get(summary, "placements"));
    read_tiers(&p->mentors, json_object_get(summary, "mentors"));
    return 0;
}
