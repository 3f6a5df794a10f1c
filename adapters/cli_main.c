/*
 * cli_main.c - `fairmatch`: picks the subcommand and runs it.
 *
 *   fairmatch solve ...                      offline round (cli_solve.c)
 *   fairmatch verify INDIR OUT               re-check a round's files (cli_verify.c)
 *   fairmatch token create|list|revoke ...   local token administration (cli_token.h)
 *   fairmatch purge --db PATH ...            local retention purge (cli_purge.h)
 *   fairmatch [--server HOST:PORT] [--token TOKEN] COMMAND ...
 *                                            client commands (cli_client.h)
 *
 * Normal case: the global options --server, --token (also written
 * --server=HOST:PORT) and --json may stand before or after the command; for client commands they
 * default to FAIRMATCH_SERVER and FAIRMATCH_TOKEN from the environment, and
 * then to 127.0.0.1:7433 and no token.  Failure cases: no command, an
 * unknown command or global option, a global option without its value, or
 * --server/--token before a command that does not talk to the daemon: exit
 * 2 with a hint.  --help and --version exit 0.  --json anywhere before
 * "--" asks every command for JSON on stdout (fm_cli_json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_client.h"
#include "cli_purge.h"
#include "cli_token.h"
#include "error.h"

#ifndef FM_VERSION
#define FM_VERSION "0.1.0"
#endif

#define DEFAULT_SERVER "127.0.0.1:7433"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch COMMAND [OPTIONS]\n"
        "       fairmatch [--server HOST:PORT] [--token TOKEN] COMMAND [OPTIONS]\n"
        "\n"
        "Offline and local commands:\n"
        "  solve     run a whole round offline from CSV files\n"
        "  verify    re-check a finished round's files against its inputs (exit 3: not verified)\n"
        "  token     create, list or revoke the daemon's access tokens (on its database)\n"
        "  purge     purge old pupils' personal data now (on the daemon's database)\n"
        "\n"
        "Commands that talk to fairmatchd:\n");
    fm_cli_client_usage(f);
    fprintf(f,
        "\n"
        "  --server  the daemon's address (default $FAIRMATCH_SERVER, else " DEFAULT_SERVER ")\n"
        "  --token   the access token (default $FAIRMATCH_TOKEN; the environment keeps it\n"
        "            out of the process list)\n"
        "\n"
        "  --json    print the result as one JSON object on stdout (any command)\n"
        "\n"
        "Run 'fairmatch COMMAND --help' for a command's options; 'man fairmatch'.\n"
        "Exit codes: 0 done; 1 failed (the daemon cannot be reached or refused, a round\n"
        "failed, a file could not be read or written); 2 bad usage or bad input;\n"
        "3 (solve) the policy's extra constraints cannot be met.\n");
}

int fm_cli_json;

int fm_cli_json_print(json_t *obj)
{
    size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10);
    char *text = obj ? json_dumps(obj, flags) : NULL;
    json_decref(obj);
    if (!text) {
        fprintf(stderr, "fairmatch: error: out of memory building the JSON output\n");
        return FM_EXIT_FAILED;
    }
    puts(text);
    free(text);
    return FM_EXIT_OK;
}

static int global_option(const char *name, int argc, char **argv, int *i, const char **out);

/* Takes the global options out of argv wherever they stand (up to a "--"):
 * every --json sets fm_cli_json; --server and --token after the command
 * fill *server and *token.  Returns the new argc, or -1 with *bad naming an
 * option whose value is missing. */
static int take_globals(int argc, char **argv, const char **server, const char **token,
                        const char **bad)
{
    int n = 1, i = 1;
    while (i < argc) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--json") == 0) {
            fm_cli_json = 1;
            i++;
            continue;
        }
        int r;
        const char *a = argv[i];
        if ((r = global_option("--server", argc, argv, &i, server)) != 0 ||
            (r = global_option("--token", argc, argv, &i, token)) != 0) {
            if (r < 0) {
                *bad = a;
                return -1;
            }
            continue;
        }
        argv[n++] = argv[i++];
    }
    argv[n] = NULL;
    return n;
}

void fm_cli_print_error(const fm_error *err)
{
    char buf[1024];
    fm_error_format(err, buf, sizeof buf);
    fprintf(stderr, "fairmatch: error: %s\n", buf);
}

/* Takes "--name VALUE" or "--name=VALUE" at argv[*i]: 1 taken (value in
 * *out, *i advanced past it), 0 not this option, -1 the value is missing. */
static int global_option(const char *name, int argc, char **argv, int *i, const char **out)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *out = a + n + 1;
        (*i)++;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *out = argv[*i + 1];
    *i += 2;
    return 1;
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "fairmatch: error: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    fprintf(stderr, "Run 'fairmatch --help' for the commands.\n");
    return FM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *token = NULL, *bad = NULL;
    argc = take_globals(argc, argv, &server, &token, &bad);
    if (argc < 0)
        return usage_error("a value is missing after", bad);
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i];
        int r;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return FM_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            if (fm_cli_json)
                return fm_cli_json_print(json_pack("{s:s}", "version", FM_VERSION));
            printf("fairmatch %s\n", FM_VERSION);
            return FM_EXIT_OK;
        }
        if ((r = global_option("--server", argc, argv, &i, &server)) != 0 ||
            (r = global_option("--token", argc, argv, &i, &token)) != 0) {
            if (r < 0)
                return usage_error("a value is missing after", a);
            continue;
        }
        return usage_error("unknown option", a);
    }
    if (i >= argc) {
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    const char *cmd = argv[i];
    int given = server || token;
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return FM_EXIT_OK;
    }
    if (fm_cli_client_is_command(cmd)) {
        if (!server || !*server)
            server = getenv("FAIRMATCH_SERVER");
        if (!server || !*server)
            server = DEFAULT_SERVER;
        if (!token)
            token = getenv("FAIRMATCH_TOKEN");
        return fm_cli_client(server, token ? token : "", argc - i, argv + i);
    }
    if (strcmp(cmd, "verify") == 0) {
        if (given)
            return usage_error("--server and --token are for the commands that talk to "
                               "fairmatchd, not for", cmd);
        return fm_cli_verify(argc - i, argv + i);
    }
    if (strcmp(cmd, "solve") == 0 || strcmp(cmd, "token") == 0 ||
        strcmp(cmd, "purge") == 0) {
        if (given)
            return usage_error("--server and --token are for the commands that talk to "
                               "fairmatchd, not for", cmd);
        return cmd[0] == 's' ? fm_cli_solve(argc - i, argv + i)
             : cmd[0] == 't' ? fm_cli_token(argc - i, argv + i)
                             : fm_cli_purge(argc - i, argv + i);
    }
    return usage_error("unknown command", cmd);
}
