/*
 * cli_token.h - `fairmatch token`: local administration of the daemon's
 * access tokens, straight on the database file (no daemon needed).
 *
 *   fairmatch token create --db PATH --role coordinator|school|employer [--scope REF]
 *   fairmatch token list   --db PATH
 *   fairmatch token revoke --db PATH ID
 *
 * fm_cli_token() takes the arguments after `fairmatch` (argv[0] is "token")
 * and returns the exit code of cli.h: 0 done, 1 failed, 2 bad usage.
 */
#ifndef FM_CLI_TOKEN_H
#define FM_CLI_TOKEN_H

int fm_cli_token(int argc, char **argv);

#endif
