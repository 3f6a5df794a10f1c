/*
 * store_tokens.c - access tokens: created for a role and scope, checked on
 * every connection of the daemon, revoked by id.
 *
 * Normal case: fm_store_token_create() draws 32 bytes from libsodium's
 * randombytes_buf(), writes them as "fm_" + 43 base64url characters (no
 * padding) for the caller to print once, and stores only the token's
 * BLAKE2b-256 hash (crypto_generichash) with the role, scope and creation
 * time.  A slow password hash would buy nothing: with 256 random bits there
 * is nothing to brute-force, and the daemon checks a token on every new
 * connection.  fm_store_token_check() hashes the presented token, looks the
 * hash up through the UNIQUE index, compares the stored hash with
 * sodium_memcmp(), and refuses revoked tokens.  The random bytes and the
 * hash are wiped from the stack after use.
 *
 * Failure cases: a role without its scope (school, employer), a scope for
 * the coordinator, or a scope that is not a files.md id is FM_EINVAL;
 * libsodium failing to start is FM_EINTERNAL.  A malformed, unknown or
 * revoked token is FM_EINVAL with one message for all three that never
 * quotes the token.  SQLite failures are FM_EIO / FM_ENOMEM as usual.
 */
#include "store_private.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_PREFIX "fm_"
#define TOKEN_BYTES 32
#define HASH_BYTES crypto_generichash_BYTES /* 32 */

static int start_sodium(const fm_store *st, fm_error *err)
{
    if (sodium_init() < 0)
        return fm_store__fail(st, err, FM_EINTERNAL, "libsodium cannot start");
    return 0;
}

static void hash_token(const char *token, unsigned char hash[HASH_BYTES])
{
    crypto_generichash(hash, HASH_BYTES, (const unsigned char *)token, strlen(token),
                       NULL, 0);
}

/* A well-formed token: the prefix, then exactly the base64url characters of
 * TOKEN_BYTES bytes. */
static int well_formed(const char *token)
{
    if (!token || strlen(token) != FM_STORE_TOKEN_LEN ||
        strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
        return 0;
    for (const char *p = token + strlen(TOKEN_PREFIX); *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static void info_from_row(sqlite3_stmt *s, int first, fm_token_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, first);
    out->scope.role = fm_store_role_parse((const char *)sqlite3_column_text(s, first + 1));
    fm_store__column_copy(s, first + 2, out->scope.ref, sizeof out->scope.ref);
    out->created_at = sqlite3_column_int64(s, first + 3);
    out->revoked_at = sqlite3_column_int64(s, first + 4);
}

int fm_store_token_create(fm_store *st, fm_store_role role, const char *scope,
                          char *token_out, size_t size, int64_t *id, fm_error *err)
{
    assert(st && token_out);
    if (id)
        *id = 0;
    if (size > 0)
        token_out[0] = '\0';
    if (err)
        fm_error_clear(err);
    if (size < FM_STORE_TOKEN_SIZE)
        return fm_store__fail(st, err, FM_EINVAL, "the token buffer is too small");
    if (scope && !*scope)
        scope = NULL;
    if (role != FM_ROLE_COORDINATOR && role != FM_ROLE_SCHOOL && role != FM_ROLE_EMPLOYER) {
        fm_store__set_row(err, "role", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL,
                              "the role must be coordinator, school or employer");
    }
    if (role == FM_ROLE_COORDINATOR && scope) {
        fm_store__set_row(err, "scope", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL, "a coordinator token takes no scope");
    }
    if (role != FM_ROLE_COORDINATOR && !scope) {
        fm_store__set_row(err, "scope", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL, "a %s token needs a scope: the %s_ref "
                              "it acts for", fm_store_role_name(role),
                              fm_store_role_name(role));
    }
    if (scope && !fm_store__valid_ref(scope)) {
        fm_store__set_row(err, "scope", NULL, NULL);
        return fm_store__fail(st, err, FM_EINVAL, "the scope must be an id: 1-64 "
                              "characters of A-Z a-z 0-9 _ - .");
    }
    int rc = start_sodium(st, err);
    if (rc < 0)
        return rc;

    unsigned char raw[TOKEN_BYTES], hash[HASH_BYTES];
    char token[FM_STORE_TOKEN_SIZE];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
    sodium_bin2base64(token + strlen(TOKEN_PREFIX), sizeof token - strlen(TOKEN_PREFIX),
                      raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert(well_formed(token));
    hash_token(token, hash);

    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, "INSERT INTO tokens(hash, role, scope, created_at)"
                           " VALUES (?1, ?2, ?3, ?4)", &s, err);
    if (rc == 0) {
        sqlite3_bind_blob(s, 1, hash, sizeof hash, SQLITE_STATIC);
        fm_store__bind_text(s, 2, fm_store_role_name(role));
        fm_store__bind_text(s, 3, scope);
        sqlite3_bind_int64(s, 4, fm_store__now());
        int step = sqlite3_step(s);
        if (step != SQLITE_DONE) {
            rc = fm_store__sql_fail(st, err, step, "storing a token");
        } else {
            if (id)
                *id = sqlite3_last_insert_rowid(st->db);
            memcpy(token_out, token, sizeof token);
        }
    }
    sqlite3_finalize(s);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(token, sizeof token);
    return rc;
}

int fm_store_token_check(fm_store *st, const char *token, fm_token_info *out,
                         fm_error *err)
{
    assert(st && out);
    memset(out, 0, sizeof *out);
    if (err)
        fm_error_clear(err);
    int rc = start_sodium(st, err);
    if (rc < 0)
        return rc;
    if (!well_formed(token))
        goto refuse;

    unsigned char hash[HASH_BYTES];
    hash_token(token, hash);
    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, "SELECT hash, id, role, scope, created_at, revoked_at"
                           " FROM tokens WHERE hash = ?1", &s, err);
    if (rc < 0) {
        sodium_memzero(hash, sizeof hash);
        return rc;
    }
    sqlite3_bind_blob(s, 1, hash, sizeof hash, SQLITE_STATIC);
    int step = sqlite3_step(s);
    int found = 0;
    if (step == SQLITE_ROW) {
        const void *stored = sqlite3_column_blob(s, 0);
        found = stored && sqlite3_column_bytes(s, 0) == HASH_BYTES &&
                sodium_memcmp(stored, hash, HASH_BYTES) == 0 &&
                sqlite3_column_type(s, 5) == SQLITE_NULL;
        if (found)
            info_from_row(s, 1, out);
    } else if (step != SQLITE_DONE) {
        rc = fm_store__sql_fail(st, err, step, "checking a token");
    }
    sqlite3_finalize(s);
    sodium_memzero(hash, sizeof hash);
    if (rc < 0)
        return rc;
    if (found && out->scope.role != FM_ROLE_NONE)
        return 0;
    memset(out, 0, sizeof *out);

refuse:
    fm_store__set_row(err, "token", NULL, NULL);
    return fm_store__fail(st, err, FM_EINVAL, "the token is not valid (unknown or revoked)");
}

int fm_store_token_revoke(fm_store *st, int64_t id, fm_error *err)
{
    assert(st);
    if (err)
        fm_error_clear(err);
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2)"
                               " WHERE id = ?1", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, fm_store__now());
    int step = sqlite3_step(s);
    if (step != SQLITE_DONE) {
        rc = fm_store__sql_fail(st, err, step, "revoking a token");
    } else if (sqlite3_changes(st->db) == 0) {
        if (err)
            snprintf(err->id, sizeof err->id, "token %lld", (long long)id);
        rc = fm_store__fail(st, err, FM_EINVAL, "no token %lld", (long long)id);
    }
    sqlite3_finalize(s);
    return rc;
}

int fm_store_token_list(fm_store *st, int64_t after_id, fm_token_info *rows, size_t cap,
                        size_t *n, fm_error *err)
{
    assert(st && n && (rows || cap == 0));
    sqlite3_stmt *s;
    int rc = fm_store__page_begin(st, "SELECT id, role, scope, created_at, revoked_at"
                                  " FROM tokens WHERE id > ?1 ORDER BY id LIMIT ?2",
                                  after_id, cap, n, &s, err);
    if (rc < 0 || !s)
        return rc;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW)
        info_from_row(s, 0, &rows[(*n)++]);
    if (step != SQLITE_DONE) {
        rc = fm_store__sql_fail(st, err, step, "listing tokens");
        *n = 0;
    }
    sqlite3_finalize(s);
    return rc;
}
