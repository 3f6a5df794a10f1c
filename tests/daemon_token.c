/*
 * daemon_token.c - test helper: creates an access token in a fairmatch
 * database and prints it, like `fairmatch token create`, so that the daemon
 * tests do not depend on the client.
 *
 *     daemon_token DB coordinator|school|employer [SCOPE_REF]
 *
 * Normal case: prints the token and a newline, exit 0.  Failure: a bad role
 * or missing scope (exit 2), or the store's error (exit 1), on stderr.
 */
#include <stdio.h>

#include "store.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: daemon_token DB ROLE [SCOPE]\n");
        return 2;
    }
    fm_store_role role = fm_store_role_parse(argv[2]);
    if (role == FM_ROLE_NONE) {
        fprintf(stderr, "daemon_token: unknown role %s\n", argv[2]);
        return 2;
    }
    fm_error err;
    fm_error_clear(&err);
    fm_store *st = NULL;
    char token[FM_STORE_TOKEN_SIZE];
    int rc = fm_store_open(argv[1], 0, &st, &err);
    if (rc == 0)
        rc = fm_store_token_create(st, role, argc == 4 ? argv[3] : NULL, token, sizeof token,
                                   NULL, &err);
    fm_store_close(st);
    if (rc != 0) {
        char buf[1024];
        fm_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "daemon_token: %s\n", buf);
        return 1;
    }
    printf("%s\n", token);
    return 0;
}
