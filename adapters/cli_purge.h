/*
 * cli_purge.h - `fairmatch purge`: the retention purge of pupils' personal
 * data, run locally on the database file (no daemon needed).
 *
 *   fairmatch purge --db PATH [--days N] [--now YYYY-MM-DD]
 *
 * fm_cli_purge() takes the arguments after `fairmatch` (argv[0] is "purge")
 * and returns the exit code of cli.h: 0 done, 1 failed, 2 bad usage.
 */
#ifndef FM_CLI_PURGE_H
#define FM_CLI_PURGE_H

int fm_cli_purge(int argc, char **argv);

#endif
