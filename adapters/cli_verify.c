/*
 * cli_verify.c - `fairmatch verify [--policy FILE] INDIR OUT` (verify_round.h).
 *
 * Normal case: prints "verified: ..." with both vectors, where the policy
 * came from, and for a side under extra constraints what was re-checked
 * (each constraint, and each level's incumbent, bound, gap and method),
 * and exits 0.  Exit 3 when the files do not verify: the failures are
 * printed one a line as OUT-FILE:LINE: REF: what is wrong (the first 20;
 * then how many in all).  Exit 2 for bad usage or an input in INDIR (or
 * the --policy file) that cannot be read or is invalid; exit 1 when memory
 * runs out.  With --json (fm_cli_json) the same report is one JSON object
 * on stdout, failures included; the failures also stay on stderr.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verify_round.h"

static const char *const level_names[4] = { "n1", "n2", "n3", "utility" };

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch verify [--policy FILE] INDIR OUT\n"
        "\n"
        "Re-checks the result files of a finished round in OUT (placements.csv,\n"
        "mentors.csv, summary.json, certificate.csv) against its inputs in INDIR\n"
        "(students.csv, placements.csv; mentors.csv, schools.csv and policy.json if\n"
        "the round had them), without running the solver: eligibility, capacities\n"
        "and reserves, ranks, distances and utilities, every reason, the objective\n"
        "vectors, and the certificate proving each level optimal.  The round date\n"
        "is read from summary.json.\n"
        "Extra constraints (school floors, employer spread, gender targets, stable\n"
        "tiers) are re-checked on the rows.  The policy is --policy FILE, else\n"
        "INDIR/policy.json, else the options recorded in summary.json; a policy file\n"
        "must agree with those options.  A side solved by LP/MIP has no certificate:\n"
        "its levels are checked for consistency (each incumbent is what the rows give,\n"
        "bound >= incumbent, gap = (bound - incumbent) / max(1, |bound|)); a MIP bound\n"
        "itself cannot be re-derived without solving.  An infeasible round's\n"
        "evidence (LP certificates that the school floors cannot be met) is\n"
        "re-checked from the inputs.\n"
        "Exit codes: 0 verified, 3 not verified (the failures are listed),\n"
        "2 bad usage or unreadable inputs, 1 other failures.\n");
}

static const char *proven_text(const fm_verify_report *rep, int k)
{
    if (rep->proven[k])
        return "1-4 (certificate)";
    if (rep->cons[k].has_levels)
        return "by the solver's LP/MIP bounds in summary.json (checked for consistency, "
               "not re-derived)";
    return "no";
}

/* The constraints of one side, in words. */
static void print_constraints(const fm_verify_constrained *c)
{
    const fm_side_constraints *o = &c->opt;
    printf("    constraints re-checked on the rows:");
    const char *sep = " ";
    if (o->school_floor_pct > 0) {
        printf("%sschool floor %g%%: %d schools, %d below", sep, o->school_floor_pct,
               (int)c->floor_schools, (int)c->floor_broken);
        sep = "; ";
    }
    if (o->employer_spread_max > 0) {
        printf("%semployer spread <= %d: largest school/employer group %d", sep,
               (int)o->employer_spread_max, (int)c->spread_largest);
        sep = "; ";
    }
    if (o->n_gender_targets > 0) {
        printf("%sgender targets: %d, %d missed", sep, c->gender_targets, c->gender_broken);
        sep = "; ";
    }
    if (o->stable_tiers)
        printf("%sstable tiers: %lld envy pairs", sep, (long long)c->envy_pairs);
    printf("\n");
}

static void print_levels(const fm_verify_report *rep, int k)
{
    const fm_verify_constrained *c = &rep->cons[k];
    const fm_vector *v = &rep->vector[k];
    const int64_t val[4] = { v->n1, v->n2, v->n3, v->utility };
    for (int l = 0; l < 4; l++) {
        printf("    level %-7s %lld", level_names[l], (long long)val[l]);
        if (c->bound[l] < 0)
            printf(", not optimised (%s; time limit)\n", c->method[l]);
        else if (c->bound[l] == val[l])
            printf(" = bound %lld (%s, proven)\n", (long long)c->bound[l], c->method[l]);
        else
            printf(" < bound %lld, gap %.4g (%s, stopped by the time limit)\n",
                   (long long)c->bound[l], c->gap[l], c->method[l]);
    }
}

static json_t *side_json(const fm_verify_report *rep, int k)
{
    const fm_vector *v = &rep->vector[k];
    const fm_verify_constrained *c = &rep->cons[k];
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s}", "n1", (json_int_t)v->n1, "n2",
                          (json_int_t)v->n2, "n3", (json_int_t)v->n3, "utility",
                          (json_int_t)v->utility, "rows", (json_int_t)rep->rows[k],
                          "levels_proven", rep->proven[k] ? "certificate"
                              : c->has_levels ? "constrained bounds, consistent, not re-derived"
                              : "no");
    if (o && c->on) {
        json_t *cons = json_object();
        const fm_side_constraints *p = &c->opt;
        if (p->school_floor_pct > 0)
            json_object_set_new(cons, "school_floor", json_pack("{s:f,s:i,s:i}", "pct",
                                p->school_floor_pct, "schools", (int)c->floor_schools,
                                "below", (int)c->floor_broken));
        if (p->employer_spread_max > 0)
            json_object_set_new(cons, "employer_spread", json_pack("{s:i,s:i,s:i}", "max",
                                (int)p->employer_spread_max, "largest", (int)c->spread_largest,
                                "over", (int)c->spread_broken));
        if (p->n_gender_targets > 0)
            json_object_set_new(cons, "gender_targets", json_pack("{s:i,s:i}", "targets",
                                c->gender_targets, "missed", c->gender_broken));
        if (p->stable_tiers)
            json_object_set_new(cons, "stable_tiers", json_pack("{s:I}", "envy_pairs",
                                (json_int_t)c->envy_pairs));
        json_object_set_new(o, "constraints", cons);
    }
    if (o && c->has_levels) {
        json_t *levels = json_array();
        for (int l = 0; l < 4; l++)
            json_array_append_new(levels, json_pack(
                "{s:s,s:s,s:o,s:o}", "name", level_names[l], "method", c->method[l], "bound",
                c->bound[l] < 0 ? json_null() : json_integer(c->bound[l]), "gap",
                isnan(c->gap[l]) ? json_null() : json_real(c->gap[l])));
        json_object_set_new(o, "levels", levels);
        json_object_set_new(o, "stopped_by_time_limit", json_boolean(c->stopped));
    }
    return o;
}

/* An infeasible round: what its evidence came to. */
static json_t *infeasible_json(const fm_verify_infeasible_report *vi)
{
    return json_pack("{s:s,s:f,s:I,s:i,s:i,s:s}", "side", vi->side ? "mentors" : "placements",
                     "floor_pct", vi->floor_pct, "least_total_shortfall",
                     (json_int_t)vi->least_shortfall, "certificates", vi->n_given,
                     "certificates_proving", vi->n_certs, "proven",
                     vi->n_certs > 0 ? "from the inputs (LP certificate)"
                                     : "by the solver's branch and bound, not re-derived");
}

static void print_infeasible(const fm_verify_infeasible_report *vi)
{
    const char *side = vi->side ? "mentors" : "placements";
    if (vi->n_certs > 0)
        printf("  infeasible: the %s school floors of %g%% cannot be met, proven from the "
               "inputs\n  by %d LP certificate%s (no solver run): within the capacities at "
               "most %.6g\n  weighted pupils of the certificate's schools can be placed; "
               "their floors need %.6g\n", side, vi->floor_pct, vi->n_certs,
               vi->n_certs > 1 ? "s" : "", vi->most, vi->needed);
    else
        printf("  infeasible: the %s school floors of %g%%: no LP certificate; the solver's\n"
               "  branch and bound found a least total shortfall of %lld (not re-derived:\n"
               "  that needs solving)\n", side, vi->floor_pct, (long long)vi->least_shortfall);
}

static int print_json(const fm_verify_report *rep, const char *indir, const char *outdir)
{
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", (int)(rep->date / 10000),
             (int)(rep->date / 100 % 100), (int)(rep->date % 100));
    json_t *failures = json_array();
    size_t shown = rep->n_failures < FM_VERIFY_MAX_FAILURES ? rep->n_failures
                                                           : FM_VERIFY_MAX_FAILURES;
    for (size_t i = 0; failures && i < shown; i++) {
        const fm_verify_failure *f = &rep->failures[i];
        json_array_append_new(failures, json_pack("{s:s,s:i,s:s,s:s}", "file", f->file,
                                                  "line", (int)f->line, "ref", f->ref,
                                                  "message", f->message));
    }
    json_t *o = json_pack("{s:b,s:s,s:s,s:s,s:s,s:f,s:o,s:o,s:I,s:o}", "verified",
                          rep->n_failures == 0, "out", outdir, "inputs", indir, "date", date,
                          "policy", rep->policy_source, "seconds", rep->seconds, "placements",
                          side_json(rep, 0), "mentors", side_json(rep, 1), "n_failures",
                          (json_int_t)rep->n_failures, "failures", failures);
    if (o && rep->infeasible.is)
        json_object_set_new(o, "infeasible", infeasible_json(&rep->infeasible));
    return fm_cli_json_print(o);
}

static void print_side(const char *name, const fm_verify_report *rep, int k)
{
    const fm_vector *v = &rep->vector[k];
    printf("  %-10s n1=%lld n2=%lld n3=%lld utility=%lld (%zu rows; levels proven: %s)\n",
           name, (long long)v->n1, (long long)v->n2, (long long)v->n3,
           (long long)v->utility, rep->rows[k], proven_text(rep, k));
    if (rep->cons[k].on)
        print_constraints(&rep->cons[k]);
    if (rep->cons[k].has_levels && !rep->proven[k])
        print_levels(rep, k);
}

int fm_cli_verify(int argc, char **argv)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "policy", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    const char *policy = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return FM_EXIT_OK;
        }
        if (c == 'p') {
            policy = optarg;
            continue;
        }
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "fairmatch: error: verify needs INDIR and OUT\n");
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    const char *indir = argv[optind], *outdir = argv[optind + 1];
    fm_verify_report rep;
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_verify_round(indir, outdir, policy, &rep, &err);
    if (rc) {
        fm_cli_print_error(&err);
        return rc == FM_ENOMEM ? FM_EXIT_FAILED : FM_EXIT_USAGE;
    }
    int mip = (rep.cons[0].has_levels && !rep.proven[0]) ||
              (rep.cons[1].has_levels && !rep.proven[1]);
    if (rep.n_failures == 0 && !fm_cli_json) {
        printf("verified: %s against %s (round date %04d-%02d-%02d) in %.2f s\n",
               outdir, indir, (int)(rep.date / 10000),
               (int)(rep.date / 100 % 100), (int)(rep.date % 100), rep.seconds);
        printf("  policy: %s\n", rep.policy_source);
        if (rep.infeasible.is) {
            print_infeasible(&rep.infeasible);
            return FM_EXIT_OK;
        }
        print_side("placements", &rep, 0);
        print_side("mentors", &rep, 1);
        if (mip)
            printf("  note: a MIP or LP bound cannot be re-derived without solving; verify\n"
                   "  checked that each bound is at least its incumbent, that each gap is\n"
                   "  (bound - incumbent) / max(1, |bound|), and that each incumbent is what\n"
                   "  the rows give.\n");
        return FM_EXIT_OK;
    }
    if (fm_cli_json && print_json(&rep, indir, outdir) != FM_EXIT_OK)
        return FM_EXIT_FAILED;
    if (rep.n_failures == 0)
        return FM_EXIT_OK;
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
            rep.n_failures == 1 ? "" : "s", outdir);
    return FM_EXIT_NOT_VERIFIED;
}
