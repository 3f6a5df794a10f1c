/*
 * cli.h - the subcommands of the `fairmatch` command.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit code, the same for every command (README.md, "Exit codes";
 * fairmatch.1): 0 done; 1 failed (the daemon cannot be reached or refused,
 * a round failed, a file could not be read or written); 2 bad usage or bad
 * input (the message names the option, or file, line, column and field);
 * 3 (solve) valid input whose extra constraints cannot be met.
 */
#ifndef FM_CLI_H
#define FM_CLI_H

enum { FM_EXIT_OK = 0, FM_EXIT_FAILED = 1, FM_EXIT_USAGE = 2,
       FM_EXIT_INFEASIBLE = 3,  /* solve: valid input whose extra constraints cannot be met */
       FM_EXIT_NOT_VERIFIED = 3 /* verify: the files do not verify */ };

int fm_cli_solve(int argc, char **argv);
int fm_cli_verify(int argc, char **argv); /* exit 3: the files do not verify */

/* Set by --json (given anywhere before "--"): every command that prints a
 * result prints one JSON object on stdout instead of its text; messages,
 * warnings and errors stay text on stderr. */
extern int fm_cli_json;

/* Prints obj (taken over, may be NULL after a failed build) as one line of
 * JSON on stdout.  Returns FM_EXIT_OK, or FM_EXIT_FAILED after saying why. */
struct json_t;
int fm_cli_json_print(struct json_t *obj);

/* Prints "fairmatch: error: <message>" for err to stderr. */
struct fm_error;
void fm_cli_print_error(const struct fm_error *err);

#endif
