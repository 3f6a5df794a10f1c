/*
 * cli.h - the subcommands of the `fairmatch` command.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit code: 0 done, 1 failed, 2 bad input or usage.
 */
#ifndef FM_CLI_H
#define FM_CLI_H

enum { FM_EXIT_OK = 0, FM_EXIT_FAILED = 1, FM_EXIT_USAGE = 2,
       FM_EXIT_INFEASIBLE = 3 /* valid input whose extra constraints cannot be met */ };

int fm_cli_solve(int argc, char **argv);

/* Prints "fairmatch: error: <message>" for err to stderr. */
struct fm_error;
void fm_cli_print_error(const struct fm_error *err);

#endif
