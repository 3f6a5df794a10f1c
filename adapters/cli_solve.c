/*
 * cli_solve.c - `fairmatch solve`: a whole round offline, no daemon.
 *
 * Reads the CSV files (students and placements required; mentors and
 * schools optional), solves with the fair-access v1 policy, and writes the
 * result files into --out.  Bad options or input: exit 2 with a message
 * naming the file, line, column, field and id; nothing is written.
 * A failure while solving or writing: exit 1.  Extra constraints (in the
 * policy file) that cannot be met: exit 3, with OUT/summary.json saying
 * which constraint failed for whom (status "infeasible") and nothing else
 * written.  Prints the two objective vectors (with each level's gap when a
 * time limit stopped a MIP search) and where the files are; on a terminal,
 * the solver's progress (phase, level, bound, incumbent, gap) on stderr.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "csv_input.h"
#include "csv_reader.h"
#include "policy_file.h"
#include "region.h"
#include "round_output.h"
#include "solver.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch solve --students S.csv --placements P.csv [--mentors M.csv]\n"
        "                       [--schools K.csv] [--date YYYY-MM-DD] [--policy FILE]\n"
        "                       --out DIR\n"
        "\n"
        "Runs one fair-access round offline and writes DIR/placements.csv,\n"
        "DIR/mentors.csv, DIR/summary.json and DIR/report.html.\n"
        "  --date     the round date (ages and DBS checks are taken on it); default today\n"
        "  --policy   a JSON file of policy options, e.g. {\"time_limit_seconds\": 600}\n"
        "Exit codes: 0 done, 1 failed while solving or writing, 2 bad input or usage,\n"
        "3 the policy's extra constraints cannot be met (DIR/summary.json says which).\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int32_t today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

typedef int (*reader_fn)(fm_region *, const char *, fm_csv_warnings *, fm_error *);

static int read_file(fm_region *r, reader_fn read, const char *path, fm_error *err)
{
    fm_csv_warnings warnings;
    fm_csv_warnings_clear(&warnings);
    int rc = read(r, path, &warnings, err);
    for (size_t i = 0; i < warnings.count && i < FM_CSV_WARNINGS_MAX; i++)
        fprintf(stderr, "fairmatch: warning: %s\n", warnings.text[i]);
    if (warnings.count > FM_CSV_WARNINGS_MAX)
        fprintf(stderr, "fairmatch: warning: %s: %zu more warnings\n", path,
                warnings.count - FM_CSV_WARNINGS_MAX);
    return rc;
}

static void print_vector(const char *side, const fm_side_result *s)
{
    int proven = s->certificate_checked;
    for (int k = 0; k < 4; k++)
        proven &= s->proof[k].value == s->proof[k].bound;
    printf("%-10s n1=%lld n2=%lld n3=%lld utility=%lld (%lld asked, proven optimal: %s)\n",
           side, (long long)s->vector.n1, (long long)s->vector.n2,
           (long long)s->vector.n3, (long long)s->vector.utility,
           (long long)s->n_students_asked, proven ? "yes" : "no");
    if (!s->constrained || proven)
        return;
    static const char *const names[4] = {"n1", "n2", "n3", "utility"};
    for (int k = 0; k < 4; k++) {
        const fm_constrained_level *L = &s->constrained->level[k];
        if (L->bound < 0)
            printf("           %s=%lld: not optimised (time limit)\n", names[k],
                   (long long)L->value);
        else if (L->bound != L->value)
            printf("           %s=%lld: bound %lld, gap %.2f%% (time limit)\n", names[k],
                   (long long)L->value, (long long)L->bound, 100.0 * L->gap);
    }
}

/* Progress on a terminal: one line, rewritten. */
static void show_progress(const fm_progress *p, void *arg)
{
    (void)arg;
    char nums[160] = "";
    if (!isnan(p->bound) || !isnan(p->incumbent))
        snprintf(nums, sizeof nums, " bound %.0f incumbent %.0f gap %.2f%%", p->bound,
                 p->incumbent, isnan(p->gap) ? 0.0 : 100.0 * p->gap);
    fprintf(stderr, "\r%-10s %-12s", p->side, p->phase);
    if (p->level)
        fprintf(stderr, " level %d", p->level);
    fprintf(stderr, "%s %.1f s\033[K", nums, p->elapsed_s);
    fflush(stderr);
}

static json_t *vector_json(const fm_side_result *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:b}", "n1", (json_int_t)s->vector.n1, "n2",
                     (json_int_t)s->vector.n2, "n3", (json_int_t)s->vector.n3, "utility",
                     (json_int_t)s->vector.utility, "asked", (json_int_t)s->n_students_asked,
                     "proven_optimal", s->certificate_checked);
}

int fm_cli_solve(int argc, char **argv)
{
    static const struct option options[] = {
        { "students", required_argument, NULL, 's' },
        { "placements", required_argument, NULL, 'p' },
        { "mentors", required_argument, NULL, 'm' },
        { "schools", required_argument, NULL, 'k' },
        { "date", required_argument, NULL, 'd' },
        { "policy", required_argument, NULL, 'y' },
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *students = NULL, *placements = NULL, *mentors = NULL, *schools = NULL;
    const char *date = NULL, *policy = NULL, *outdir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': students = optarg; break;
        case 'p': placements = optarg; break;
        case 'm': mentors = optarg; break;
        case 'k': schools = optarg; break;
        case 'd': date = optarg; break;
        case 'y': policy = optarg; break;
        case 'o': outdir = optarg; break;
        case 'h': usage(stdout); return FM_EXIT_OK;
        default: usage(stderr); return FM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fairmatch: error: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    if (!students || !placements || !outdir) {
        fprintf(stderr, "fairmatch: error: solve needs --students, --placements and --out\n");
        usage(stderr);
        return FM_EXIT_USAGE;
    }

    double t0 = now_seconds();
    fm_error err;
    fm_error_clear(&err);
    fm_round_params params = { .date = today() };
    if (date && fm_csv_parse_date(date, &params.date) != 0) {
        fprintf(stderr, "fairmatch: error: --date: \"%s\" is not a date YYYY-MM-DD\n", date);
        return FM_EXIT_USAGE;
    }
    if (policy && fm_policy_file_read(policy, &params, &err) != FM_OK) {
        fm_cli_print_error(&err);
        return FM_EXIT_USAGE;
    }

    fm_region region;
    fm_region_init(&region);
    fm_result result;
    fm_result_init(&result);
    int code = FM_EXIT_USAGE;
    if (read_file(&region, fm_csv_read_students, students, &err) ||
        read_file(&region, fm_csv_read_placements, placements, &err) ||
        (mentors && read_file(&region, fm_csv_read_mentors, mentors, &err)) ||
        (schools && read_file(&region, fm_csv_read_schools, schools, &err))) {
        fm_cli_print_error(&err);
        code = err.code == FM_EINVAL ? FM_EXIT_USAGE : FM_EXIT_FAILED;
        goto out;
    }
    fm_region_sort_by_ref(&region);
    double t1 = now_seconds();

    code = FM_EXIT_FAILED;
    int tty = isatty(2);
    if (tty)
        params.progress = show_progress;
    int src = fm_solver_run(&region, &params, &result, &err);
    if (tty)
        fprintf(stderr, "\r\033[K");
    if (src != FM_OK) {
        fm_cli_print_error(&err);
        if (src == FM_EINFEASIBLE) {
            fm_error werr;
            fm_error_clear(&werr);
            code = FM_EXIT_INFEASIBLE;
            if (fm_summary_infeasible_write(outdir, &params, &err, &region, result.infeasible,
                                            &werr) != FM_OK) {
                fm_cli_print_error(&werr);
                code = FM_EXIT_FAILED;
            } else {
                fprintf(stderr, "fairmatch: the round is infeasible; wrote %s/summary.json\n",
                        outdir);
            }
        }
        goto out;
    }
    double t2 = now_seconds();

    fm_round_timing timing = {
        .read_s = t1 - t0,
        .candidates_s = result.placements.seconds_candidates + result.mentors.seconds_candidates,
        .check_s = result.placements.seconds_check + result.mentors.seconds_check,
    };
    timing.solve_s = (t2 - t1) - timing.candidates_s - timing.check_s;
    timing.peak_rss_mb = peak_rss_mb();
    double t3 = now_seconds();
    timing.total_s = t3 - t0; /* refined by the writer, which adds its own time */
    if (fm_round_write(outdir, &region, &params, &result, &timing, &err) != FM_OK) {
        fm_cli_print_error(&err);
        goto out;
    }
    if (fm_cli_json) {
        code = fm_cli_json_print(json_pack("{s:s,s:o,s:o,s:f}", "out", outdir, "placements",
                                           vector_json(&result.placements), "mentors",
                                           vector_json(&result.mentors), "seconds",
                                           now_seconds() - t0));
        goto out;
    }
    print_vector("placements", &result.placements);
    print_vector("mentors", &result.mentors);
    printf("wrote %s/placements.csv, mentors.csv, summary.json, report.html in %.2f s\n",
           outdir, now_seconds() - t0);
    code = FM_EXIT_OK;
out:
    fm_result_free(&result);
    fm_region_free(&region);
    return code;
}
