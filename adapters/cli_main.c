/*
 * cli_main.c - `fairmatch`: picks the subcommand and runs it.
 * Unknown subcommands and bad usage exit 2 with a hint; --help and
 * --version exit 0.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"

#ifndef FM_VERSION
#define FM_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatch COMMAND [OPTIONS]\n"
        "\n"
        "Commands:\n"
        "  solve     run a whole round offline from CSV files\n"
        "\n"
        "Run 'fairmatch COMMAND --help' for a command's options.\n"
        "Exit codes: 0 done, 1 failed, 2 bad input or usage.\n");
}

void fm_cli_print_error(const fm_error *err)
{
    char buf[1024];
    fm_error_format(err, buf, sizeof buf);
    fprintf(stderr, "fairmatch: error: %s\n", buf);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return FM_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("fairmatch %s\n", FM_VERSION);
        return FM_EXIT_OK;
    }
    if (strcmp(cmd, "solve") == 0)
        return fm_cli_solve(argc - 1, argv + 1);
    fprintf(stderr, "fairmatch: error: unknown command '%s'\n", cmd);
    usage(stderr);
    return FM_EXIT_USAGE;
}
