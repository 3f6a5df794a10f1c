/*
 * cli_verify.c - `fairmatch verify INDIR OUT` (verify_round.h).
 *
 * Normal case: prints "verified: ..." with both vectors and exits 0.
 * Exit 3 when the files do not verify: the failures are printed one a line
 * as OUT-FILE:LINE: REF: what is wrong (the first 20; then how many in
 * all).  Exit 2 for bad usage or an input in INDIR that cannot be read or
 * is invalid; exit 1 when memory runs out.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verify_round.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch verify INDIR OUT\n"
        "\n"
        "Re-checks the result files of a finished round in OUT (placements.csv,\n"
        "mentors.csv, summary.json, certificate.csv) against its inputs in INDIR\n"
        "(students.csv, placements.csv; mentors.csv, schools.csv and policy.json if\n"
        "the round had them), without running the solver: eligibility, capacities\n"
        "and reserves, ranks, distances and utilities, every reason, the objective\n"
        "vectors, and the certificate proving each level optimal.  The round date\n"
        "is read from summary.json.\n"
        "Exit codes: 0 verified, 3 not verified (the failures are listed),\n"
        "2 bad usage or unreadable inputs, 1 other failures.\n");
}

static void print_side(const char *name, const fm_verify_report *rep, int k)
{
    const fm_vector *v = &rep->vector[k];
    printf("  %-10s n1=%lld n2=%lld n3=%lld utility=%lld (%zu rows; levels proven: %s)\n",
           name, (long long)v->n1, (long long)v->n2, (long long)v->n3,
           (long long)v->utility, rep->rows[k],
           rep->proven[k] ? "1-4" : rep->constrained[k]
               ? "not re-checked (extra constraints: MIP bound and gap in summary.json)"
               : "no");
}

int fm_cli_verify(int argc, char **argv)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return FM_EXIT_OK;
        }
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "fairmatch: error: verify needs INDIR and OUT\n");
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    fm_verify_report rep;
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_verify_round(argv[optind], argv[optind + 1], &rep, &err);
    if (rc) {
        fm_cli_print_error(&err);
        return rc == FM_ENOMEM ? FM_EXIT_FAILED : FM_EXIT_USAGE;
    }
    if (rep.n_failures == 0) {
        printf("verified: %s against %s (round date %04d-%02d-%02d) in %.2f s\n",
               argv[optind + 1], argv[optind], (int)(rep.date / 10000),
               (int)(rep.date / 100 % 100), (int)(rep.date % 100), rep.seconds);
        print_side("placements", &rep, 0);
        print_side("mentors", &rep, 1);
        return FM_EXIT_OK;
    }
    size_t shown = rep.n_failures < FM_VERIFY_MAX_FAILURES ? rep.n_failures
                                                           : FM_VERIFY_MAX_FAILURES;
    for (size_t i = 0; i < shown; i++) {
        const fm_verify_failure *f = &rep.failures[i];
        fprintf(stderr, "%s", f->file);
        if (f->line > 0)
            fprintf(stderr, ":%ld", f->line);
        fprintf(stderr, ": %s%s%s\n", f->ref, f->ref[0] ? ": " : "", f->message);
    }
    fprintf(stderr, "fairmatch: NOT VERIFIED: %zu failure%s in %s\n", rep.n_failures,
            rep.n_failures == 1 ? "" : "s", argv[optind + 1]);
    return FM_EXIT_NOT_VERIFIED;
}
