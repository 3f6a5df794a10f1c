/*
 * store_retention.c - purging pupils' personal data a number of days after
 * their last round (fm_store_purge, store.h).
 *
 * Normal case: in one BEGIN IMMEDIATE transaction, every pupil is given a
 * "last seen" date: the latest of the dates of the rounds they have rows in
 * (a round's date, or the day it was created if that is later), the day
 * their row was last written and the day they withdrew.  Pupils last seen
 * before now - retention_days are purged: their students row (birth date,
 * location, travel limit, flags, gender, sectors, weeks, wishes, the ref
 * itself) is deleted, and in every round their assignment rows get one new
 * opaque student_ref, "anon-" and 20 base32 characters of a BLAKE2b of the
 * ref keyed with a random key drawn for this purge and then forgotten (the
 * same for all their rows, so per-pupil counts of old reports still add up;
 * no key kept anywhere leads back to the ref), marked anonymised.  Tier, school, target, employer, rank, distance, utility,
 * reason and status stay, so old exports and summaries still add up.  A ref
 * left only in assignment rows (a pupil purged while a round ran) is
 * treated the same way.  Mentors' rows, their DBS dates included, are not
 * touched: a safeguarding date is a fact about an adult volunteer.  After
 * the commit the WAL is checkpointed and truncated (best effort), so that
 * the old pages leave the disk (secure_delete zeroes them in the file).
 *
 * Failure cases: any SQLite failure rolls the whole purge back (the store's
 * codes: FM_EIO, FM_EFULL, FM_EREADONLY, FM_ENOMEM); retention_days 0 purges
 * nothing.  Messages and counts never name a pupil.
 */
#include "store_private.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANON_PREFIX "anon-"
#define ANON_SIZE (sizeof ANON_PREFIX - 1 + 20 + 1)

/* Every pupil and ref left in unanonymised rows, with 1 if last seen before
 * ?1 (YYYY-MM-DD). */
static const char *const candidates_sql =
    "WITH last_round AS ("
    "  SELECT a.student_ref AS ref,"
    "         max(max(r.date, date(r.created_at, 'unixepoch'))) AS d"
    "  FROM assignments a JOIN rounds r ON r.id = a.round_id"
    "  WHERE a.anonymised = 0 GROUP BY a.student_ref),"
    " seen AS ("
    "  SELECT s.ref AS ref, max(coalesce(l.d, ''), date(s.updated_at, 'unixepoch'),"
    "                           coalesce(date(s.withdrawn_at, 'unixepoch'), '')) AS d"
    "  FROM students s LEFT JOIN last_round l ON l.ref = s.ref"
    "  UNION ALL"
    "  SELECT l.ref, l.d FROM last_round l"
    "  WHERE NOT EXISTS (SELECT 1 FROM students s WHERE s.ref = l.ref))"
    " SELECT ref, d < ?1 FROM seen";

/* The opaque ref of a purged pupil: BLAKE2b of the ref keyed with a key
 * drawn for this purge alone and forgotten after it (one random draw per
 * purge rather than per pupil), 100 bits in base32. */
static void anon_id(const unsigned char key[crypto_generichash_KEYBYTES], const char *ref,
                    char out[ANON_SIZE])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char h[20];
    crypto_generichash(h, sizeof h, (const unsigned char *)ref, strlen(ref), key,
                       crypto_generichash_KEYBYTES);
    memcpy(out, ANON_PREFIX, sizeof ANON_PREFIX - 1);
    for (size_t i = 0; i < 20; i++)
        out[sizeof ANON_PREFIX - 1 + i] = b32[h[i] & 31];
    out[ANON_SIZE - 1] = '\0';
}

typedef struct ref_list {
    char (*refs)[FM_STORE_REF_MAX + 1];
    size_t n, cap;
} ref_list;

static int ref_push(ref_list *l, const unsigned char *ref)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        void *p = realloc(l->refs, cap * sizeof *l->refs);
        if (!p)
            return FM_ENOMEM;
        l->refs = p;
        l->cap = cap;
    }
    snprintf(l->refs[l->n++], FM_STORE_REF_MAX + 1, "%s", ref ? (const char *)ref : "");
    return 0;
}

/* Inside the transaction: the refs to purge into l, the others counted. */
static int find_expired(fm_store *st, const char *cutoff, ref_list *l, int64_t *kept,
                        fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, candidates_sql, &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, cutoff, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_int(s, 1) == 0) {
            (*kept)++;
        } else if (ref_push(l, sqlite3_column_text(s, 0)) != 0) {
            rc = fm_store__fail(st, err, FM_ENOMEM, "out of memory purging old pupils");
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fm_store__sql_fail(st, err, step, "finding pupils past the retention limit");
    sqlite3_finalize(s);
    return rc;
}

/* Inside the transaction: anonymises the rows of and deletes each ref. */
static int purge_refs(fm_store *st, const ref_list *l, fm_store_purge_counts *out,
                      fm_error *err)
{
    sqlite3_stmt *upd = NULL, *del = NULL;
    unsigned char key[crypto_generichash_KEYBYTES];
    randombytes_buf(key, sizeof key);
    int rc = fm_store__prepare(st, "UPDATE assignments SET student_ref = ?2, anonymised = 1"
                               " WHERE student_ref = ?1 AND anonymised = 0", &upd, err);
    if (rc == 0)
        rc = fm_store__prepare(st, "DELETE FROM students WHERE ref = ?1", &del, err);
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        char anon[ANON_SIZE];
        anon_id(key, l->refs[i], anon);
        sqlite3_bind_text(upd, 1, l->refs[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 2, anon, -1, SQLITE_STATIC);
        rc = fm_store__step_done(st, upd, "anonymising a pupil's round rows", err);
        out->assignments += sqlite3_changes(st->db);
        sqlite3_reset(upd);
        if (rc < 0)
            break;
        sqlite3_bind_text(del, 1, l->refs[i], -1, SQLITE_STATIC);
        rc = fm_store__step_done(st, del, "deleting a pupil's personal fields", err);
        out->pupils++;
        sqlite3_reset(del);
    }
    sodium_memzero(key, sizeof key);
    sqlite3_finalize(upd);
    sqlite3_finalize(del);
    return rc;
}

int fm_store_purge(fm_store *st, int64_t now, unsigned retention_days,
                   fm_store_purge_counts *out, fm_error *err)
{
    assert(st && out);
    memset(out, 0, sizeof *out);
    if (err)
        fm_error_clear(err);
    if (retention_days == 0)
        return 0;
    if (sodium_init() < 0)
        return fm_store__fail(st, err, FM_EINTERNAL, "libsodium cannot start");
    time_t cut = (time_t)(now - (int64_t)retention_days * 86400);
    struct tm tm;
    char cutoff[16];
    if (!gmtime_r(&cut, &tm) || strftime(cutoff, sizeof cutoff, "%Y-%m-%d", &tm) != 10)
        return fm_store__fail(st, err, FM_EINVAL, "the purge date is out of range");

    ref_list l = {0};
    /* Each pupil's UPDATE rewrites a few rows, so SQLite keeps a statement
     * journal of the pages it touches: in a temporary file by default, some
     * 35 writes a pupil.  In memory for this one transaction. */
    (void)sqlite3_exec(st->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    int rc = fm_store__begin_write(st, err);
    if (rc == 0)
        rc = find_expired(st, cutoff, &l, &out->kept, err);
    if (rc == 0)
        rc = purge_refs(st, &l, out, err);
    rc = fm_store__finish(st, rc, err);
    (void)sqlite3_exec(st->db, "PRAGMA temp_store = DEFAULT", NULL, NULL, NULL);
    free(l.refs);
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (out->pupils > 0) /* best effort: a reader may hold old frames a while */
        (void)sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return 0;
}
