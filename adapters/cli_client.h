/*
 * cli_client.h - the client commands of `fairmatch`, which talk to a running
 * fairmatchd over the wire protocol (files.md, "Command line"):
 *
 *   fairmatch [--server HOST:PORT] [--token TOKEN] [--json] COMMAND ...
 *     status
 *     health [--wait S] [--timeout S]
 *     import students|placements|mentors|schools FILE
 *     withdraw students|placements|mentors|schools REF...
 *     round run [--date D] [--policy FILE] [--time-limit S]
 *     round show|cancel ID
 *     round list
 *     round export ID --out OUT       (what the token's party may see)
 *     round assignments ID [--side placements|mentors] [--unmatched]
 *     round confirm|decline ID placements|mentors STUDENT_REF
 *
 * cli_main.c resolves the server and token (options, else FAIRMATCH_SERVER
 * and FAIRMATCH_TOKEN, else 127.0.0.1:7433 and no token) and hands over the
 * arguments from COMMAND on (argv[0] is the command).  Returns the exit
 * code of cli.h: 0 done, 1 failed (connection, daemon error, failed round),
 * 2 usage or bad input (including the daemon's INVALID_ARGUMENT).  With
 * --json (fm_cli_json, cli.h) each command prints one JSON object on
 * stdout holding the numbers of its text.
 */
#ifndef FM_CLI_CLIENT_H
#define FM_CLI_CLIENT_H

#include <stdio.h>

/* Nonzero if name is one of the client commands above. */
int fm_cli_client_is_command(const char *name);

/* Runs a client command; server and token are never NULL (token may be ""). */
int fm_cli_client(const char *server, const char *token, int argc, char **argv);

/* The client commands' lines for `fairmatch --help`. */
void fm_cli_client_usage(FILE *f);

#endif
