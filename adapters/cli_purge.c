/*
 * cli_purge.c - `fairmatch purge --db PATH [--days N] [--now YYYY-MM-DD]`:
 * the retention purge of pupils' personal data (fm_store_purge), run
 * locally on the database, as `fairmatch token` is.  fairmatchd runs the
 * same purge at start and daily; this is the on-demand one.
 *
 * Normal case: opens the existing database (a running daemon may hold it:
 * the purge waits for its writes like any writer), purges every pupil last
 * seen more than N days (default 365) before --now (default: today, UTC),
 * and prints the counts -- pupils purged, their round rows anonymised,
 * pupils kept -- and the time taken; exit 0.  --days 0 purges nothing.
 *
 * Failure cases: a missing or bad option, a --now that is not a date, a
 * --days that is not 0..36500: exit 2 before the database is touched.  No
 * such database, or the store fails (read-only, full, busy): the store's
 * message, exit 1; nothing was purged.
 */
#include "cli_purge.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "csv_reader.h"
#include "error.h"
#include "store.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch purge --db PATH [--days N] [--now YYYY-MM-DD]\n"
        "\n"
        "Purges, directly on fairmatchd's database, the personal fields of every\n"
        "pupil last seen (their last round, last update or withdrawal) more than\n"
        "N days before --now: their row is deleted and their rows in past rounds\n"
        "get an opaque ref; rounds, results and exports keep adding up.\n"
        "  --days   the retention limit in days (default 365; 0 purges nothing)\n"
        "  --now    the day to count from (default today, UTC)\n"
        "Exit codes: 0 done, 1 failed, 2 bad usage.\n");
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "fairmatch: error: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "Run 'fairmatch purge --help' for the options.\n");
    return FM_EXIT_USAGE;
}

int fm_cli_purge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"days", required_argument, NULL, 'n'},
        {"now", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *now_s = NULL;
    long days = 365;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 't': now_s = optarg; break;
        case 'n': {
            char *end;
            days = strtol(optarg, &end, 10);
            if (!*optarg || *end || days < 0 || days > 36500)
                return usage_error("--days must be a number of days from 0 to 36500", optarg);
            break;
        }
        case 'h': usage(stdout); return FM_EXIT_OK;
        default: return usage_error("unknown option or missing value", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (!db || !*db)
        return usage_error("--db PATH is required", NULL);
    time_t now = time(NULL);
    if (now_s) {
        int32_t d;
        if (fm_csv_parse_date(now_s, &d) != 0)
            return usage_error("--now is not a date (YYYY-MM-DD)", now_s);
        struct tm tm = {0};
        tm.tm_year = d / 10000 - 1900;
        tm.tm_mon = d / 100 % 100 - 1;
        tm.tm_mday = d % 100;
        tm.tm_hour = 12;
        now = timegm(&tm);
    }
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "fairmatch: error: %s: no such database\n", db);
        return FM_EXIT_FAILED;
    }

    fm_error err;
    fm_error_clear(&err);
    fm_store *st = NULL;
    if (fm_store_open(db, 0, &st, &err) != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fm_store_purge_counts counts;
    int rc = fm_store_purge(st, (int64_t)now, (unsigned)days, &counts, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fm_store_close(st);
    if (rc != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    printf("purged %lld pupils (%lld round rows anonymised); kept %lld; %.3f s\n",
           (long long)counts.pupils, (long long)counts.assignments, (long long)counts.kept,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return FM_EXIT_OK;
}
