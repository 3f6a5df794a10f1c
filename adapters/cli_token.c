/*
 * cli_token.c - `fairmatch token create|list|revoke`: the daemon's access
 * tokens, administered locally on the database file (store.h).
 *
 * Normal case: `token create --db PATH --role ROLE [--scope REF]` opens (and
 * on first use creates) the database, makes a token for the role -- school
 * and employer tokens need the --scope ref they act for, a coordinator token
 * takes none -- prints the token alone on stdout, once, and a note on stderr
 * that it cannot be shown again: the database keeps only its BLAKE2b hash.
 * `token list` prints id, role, scope and times of every token (never a
 * token or hash); `token revoke ID` revokes one.  All exit 0.
 *
 * Failure cases: bad or missing options, an unknown role, a scope missing,
 * superfluous or not an id, a revoke ID that is not a number: exit 2 with a
 * usage hint, before the database is touched (so a typo creates no file).
 * The database cannot be opened or written, or the ID is unknown: exit 1
 * (2 for the unknown ID) with the store's message.
 */
#include "cli_token.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "error.h"
#include "store.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch token create --db PATH --role coordinator|school|employer\n"
        "                              [--scope REF]\n"
        "       fairmatch token list   --db PATH\n"
        "       fairmatch token revoke --db PATH ID\n"
        "\n"
        "Administers the access tokens of fairmatchd, directly on its database.\n"
        "  create   prints a new token once; the database keeps only its hash.\n"
        "           A school token needs --scope SCHOOL_REF, an employer token\n"
        "           --scope EMPLOYER_REF; a coordinator token takes no scope.\n"
        "  list     shows every token's id, role, scope and dates (never the token).\n"
        "  revoke   makes token ID unusable from the daemon's next check on.\n"
        "Exit codes: 0 done, 1 failed, 2 bad usage.\n");
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fairmatch: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'fairmatch token --help' for the options.\n");
    va_end(ap);
    return FM_EXIT_USAGE;
}

static int is_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > FM_STORE_REF_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static void format_time(int64_t t, char *buf, size_t size)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

static int exit_for(const fm_error *err)
{
    fm_cli_print_error(err);
    return err->code == FM_EINVAL ? FM_EXIT_USAGE : FM_EXIT_FAILED;
}

static int do_create(const char *db, fm_store_role role, const char *scope)
{
    fm_error err;
    fm_error_clear(&err);
    int existed = access(db, F_OK) == 0;
    fm_store *st = NULL;
    if (fm_store_open(db, 0, &st, &err) != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    if (!existed)
        fprintf(stderr, "fairmatch: created the database %s\n", db);
    char token[FM_STORE_TOKEN_SIZE];
    int64_t id = 0;
    int code = FM_EXIT_OK;
    if (fm_store_token_create(st, role, scope, token, sizeof token, &id, &err) != 0) {
        code = exit_for(&err);
    } else {
        if (fm_cli_json)
            fm_cli_json_print(json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "role",
                                        fm_store_role_name(role), "scope", scope ? scope : "",
                                        "token", token));
        else
            printf("%s\n", token);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            /* The token exists nowhere now: revoke it rather than leave it. */
            fprintf(stderr, "fairmatch: error: cannot print the token: %s; it was revoked\n",
                    strerror(errno ? errno : EIO));
            fm_store_token_revoke(st, id, &err);
            code = FM_EXIT_FAILED;
        } else {
            fprintf(stderr,
                    "fairmatch: token %lld created for role %s%s%s. It is shown only this "
                    "once: the database keeps only its hash.\n",
                    (long long)id, fm_store_role_name(role), scope ? ", scope " : "",
                    scope ? scope : "");
        }
        memset(token, 0, sizeof token);
    }
    fm_store_close(st);
    return code;
}

static int do_list(const char *db)
{
    fm_error err;
    fm_error_clear(&err);
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "fairmatch: error: %s: no such database\n", db);
        return FM_EXIT_FAILED;
    }
    fm_store *st = NULL;
    if (fm_store_open(db, 0, &st, &err) != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    json_t *all = fm_cli_json ? json_array() : NULL;
    if (!fm_cli_json)
        printf("%-6s %-12s %-24s %-21s %s\n", "id", "role", "scope", "created", "revoked");
    fm_token_info rows[64];
    size_t n = 0;
    int64_t after = 0;
    int code = FM_EXIT_OK;
    do {
        if (fm_store_token_list(st, after, rows, 64, &n, &err) != 0) {
            code = exit_for(&err);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            char created[32], revoked[32];
            format_time(rows[i].created_at, created, sizeof created);
            format_time(rows[i].revoked_at, revoked, sizeof revoked);
            after = rows[i].id;
            if (all) {
                json_array_append_new(all, json_pack(
                    "{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)rows[i].id, "role",
                    fm_store_role_name(rows[i].scope.role), "scope", rows[i].scope.ref,
                    "created", created, "revoked", rows[i].revoked_at ? revoked : ""));
                continue;
            }
            printf("%-6lld %-12s %-24s %-21s %s\n", (long long)rows[i].id,
                   fm_store_role_name(rows[i].scope.role),
                   rows[i].scope.ref[0] ? rows[i].scope.ref : "-", created, revoked);
        }
    } while (n == 64);
    fm_store_close(st);
    if (all && code == FM_EXIT_OK)
        return fm_cli_json_print(json_pack("{s:o}", "tokens", all));
    json_decref(all);
    return code;
}

static int do_revoke(const char *db, int64_t id)
{
    fm_error err;
    fm_error_clear(&err);
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "fairmatch: error: %s: no such database\n", db);
        return FM_EXIT_FAILED;
    }
    fm_store *st = NULL;
    if (fm_store_open(db, 0, &st, &err) != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    int code = FM_EXIT_OK;
    if (fm_store_token_revoke(st, id, &err) != 0)
        code = exit_for(&err);
    else if (fm_cli_json)
        code = fm_cli_json_print(json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
    else
        fprintf(stderr, "fairmatch: token %lld revoked\n", (long long)id);
    fm_store_close(st);
    return code;
}

int fm_cli_token(int argc, char **argv)
{
    static const struct option options[] = {
        { "db", required_argument, NULL, 'd' },
        { "role", required_argument, NULL, 'r' },
        { "scope", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (argc < 2) {
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    const char *action = argv[1];
    if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0 ||
        strcmp(action, "help") == 0) {
        usage(stdout);
        return FM_EXIT_OK;
    }
    if (strcmp(action, "create") != 0 && strcmp(action, "list") != 0 &&
        strcmp(action, "revoke") != 0)
        return usage_error("unknown token command '%s'", action);

    const char *db = NULL, *role_name = NULL, *scope = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': role_name = optarg; break;
        case 's': scope = optarg; break;
        case 'h': usage(stdout); return FM_EXIT_OK;
        default: usage(stderr); return FM_EXIT_USAGE;
        }
    }
    int n_args = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (!db || !*db)
        return usage_error("token %s needs --db PATH", action);

    if (strcmp(action, "create") == 0) {
        if (n_args > 0)
            return usage_error("unexpected argument '%s'", args[0]);
        if (!role_name)
            return usage_error("%s", "token create needs --role coordinator|school|employer");
        fm_store_role role = fm_store_role_parse(role_name);
        if (role == FM_ROLE_NONE)
            return usage_error("--role: '%s' is not coordinator, school or employer",
                               role_name);
        if (role == FM_ROLE_COORDINATOR && scope)
            return usage_error("%s", "--scope: a coordinator token takes no scope");
        if (role != FM_ROLE_COORDINATOR && !scope)
            return usage_error("--scope: a %s token needs --scope REF (the ref it acts for)",
                               role_name);
        if (scope && !is_id(scope))
            return usage_error("--scope: '%s' is not an id (1-64 of A-Z a-z 0-9 _ - .)",
                               scope);
        return do_create(db, role, scope);
    }
    if (role_name || scope)
        return usage_error("token %s takes no --role or --scope", action);
    if (strcmp(action, "list") == 0) {
        if (n_args > 0)
            return usage_error("unexpected argument '%s'", args[0]);
        return do_list(db);
    }
    if (n_args != 1)
        return usage_error("%s", "token revoke needs one token ID (see token list)");
    char *end = NULL;
    errno = 0;
    long long id = strtoll(args[0], &end, 10);
    if (errno || !end || *end || end == args[0] || id <= 0)
        return usage_error("'%s' is not a token ID", args[0]);
    return do_revoke(db, (int64_t)id);
}
