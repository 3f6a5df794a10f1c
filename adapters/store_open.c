/*
 * store_open.c - opening and closing the store: the connection, its
 * defensive settings, the schema and its migrations, crash recovery; and the
 * small helpers the other store files share (store_private.h).
 *
 * Normal case: fm_store_open() creates the file (mode 0600: it holds
 * children's data) if it does not exist, opens it with SQLite, hardens the
 * connection (SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off, no triggers or
 * views, no double-quoted string literals, tight sqlite3_limit()s), turns on
 * WAL, foreign keys, secure_delete and a busy timeout, then in one
 * BEGIN IMMEDIATE transaction reads PRAGMA user_version and applies every
 * migration from there up to FM_STORE_SCHEMA_VERSION.  A new file gets the
 * whole schema and the fairmatch application_id.  With FM_STORE_DAEMON it
 * first takes an exclusive flock() on "<path>.lock" (a separate file, so
 * that closing it can never drop SQLite's own POSIX locks on the database),
 * and marks rounds left `running` by a crash `failed` with
 * FM_STORE_INTERRUPTED, in the same transaction as the migration.  In that
 * transaction too it reads the database's pupil key (table secrets), making
 * it from randombytes_buf() the first time, keeps it in the fm_store, and
 * registers the SQL function fm_pupil_ref(round_id, employer_ref,
 * student_ref) (fm_store__pupil_ref, direct use only) on the connection.
 *
 * A file that SQLite can only open for reading (its mode, a read-only
 * mount) gives a read-only store: no WAL switch, no migration (a file that
 * needs one is refused with FM_EREADONLY), no recovery, the lock file opened
 * for reading if it cannot be created; every later write fails with
 * FM_EREADONLY and is rolled back.  SQLITE_FULL anywhere is FM_EFULL.
 *
 * Failure cases: the file cannot be created or opened, is a symlink, is
 * not a SQLite database or is another application's (FM_EINVAL or FM_EIO);
 * its user_version is newer than this code (FM_EINVAL: "upgrade
 * fairmatch"); a migration fails (rolled back: the file keeps its old
 * version); another daemon holds the lock (FM_EIO); WAL cannot be turned on
 * (FM_EIO).  Whatever fails, the connection and lock are closed and *out
 * is NULL.
 */
#include "store_private.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id of a fairmatch database: "FMAT". */
#define FM_STORE_APPLICATION_ID 0x464D4154
#define BUSY_TIMEOUT_MS 5000

/* ---- the schema ------------------------------------------------------------
 * migrations[v] takes a database from user_version v to v + 1.  Never edit a
 * released step: add the next one.  Refs are checked to be files.md ids; the
 * CHECKs repeat the ranges of files.md so that no caller can store what a
 * CSV file could not carry.  Dates are 'YYYY-MM-DD' text, ISO weeks
 * 'YYYY-Www', lists '|'-separated, times unix seconds.  JSON columns are
 * checked with json_valid() by the code that writes them (the function is
 * not allowed in a schema under trusted_schema=OFF). */

#define REF_OK(c) "length(" c ") BETWEEN 1 AND 64 AND " c " NOT GLOB '*[^A-Za-z0-9_.-]*'"
#define DATE_OK(c) c " GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
#define WEEK_OK(c) c " GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'"
#define LAT_OK(c) c " BETWEEN -90.0 AND 90.0"
#define LON_OK(c) c " BETWEEN -180.0 AND 180.0"
#define BOOL_OK(c) c " IN (0, 1)"

static const char *const migrations[FM_STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE schools ("
    " ref TEXT NOT NULL PRIMARY KEY CHECK (" REF_OK("ref") "),"
    " name TEXT NOT NULL DEFAULT '',"
    " lat REAL CHECK (" LAT_OK("lat") "),"
    " lon REAL CHECK (" LON_OK("lon") "),"
    " listed INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("listed") "),"
    " CHECK ((lat IS NULL) = (lon IS NULL))"
    ") STRICT, WITHOUT ROWID;"

    "CREATE TABLE students ("
    " ref TEXT NOT NULL PRIMARY KEY CHECK (" REF_OK("ref") "),"
    " school TEXT NOT NULL REFERENCES schools(ref),"
    " birth_date TEXT CHECK (" DATE_OK("birth_date") "),"
    " lat REAL CHECK (" LAT_OK("lat") "),"
    " lon REAL CHECK (" LON_OK("lon") "),"
    " max_travel_km REAL CHECK (max_travel_km >= 0.0),"
    " flags INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 15),"
    " gender TEXT CHECK (gender IN ('F', 'M', 'X')),"
    " sectors TEXT CHECK (length(sectors) >= 1),"
    " weeks TEXT CHECK (length(weeks) >= 8),"
    " wants_placement INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("wants_placement") "),"
    " wants_mentor INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("wants_mentor") "),"
    " updated_at INTEGER NOT NULL,"
    " withdrawn_at INTEGER,"
    " CHECK (withdrawn_at IS NOT NULL OR (birth_date IS NOT NULL AND lat IS NOT NULL"
    "        AND lon IS NOT NULL AND max_travel_km IS NOT NULL)),"
    " CHECK (withdrawn_at IS NOT NULL OR sectors IS NOT NULL"
    "        OR (wants_placement = 0 AND wants_mentor = 0))"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX students_school ON students(school, ref);"

    "CREATE TABLE employers ("
    " ref TEXT NOT NULL PRIMARY KEY CHECK (" REF_OK("ref") ")"
    ") STRICT, WITHOUT ROWID;"

    "CREATE TABLE placements ("
    " ref TEXT NOT NULL PRIMARY KEY CHECK (" REF_OK("ref") "),"
    " employer TEXT NOT NULL REFERENCES employers(ref),"
    " title TEXT NOT NULL DEFAULT '',"
    " sector TEXT NOT NULL CHECK (length(sector) BETWEEN 1 AND 64),"
    " capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 1000),"
    " lat REAL CHECK (" LAT_OK("lat") "),"
    " lon REAL CHECK (" LON_OK("lon") "),"
    " virtual INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("virtual") "),"
    " accessible INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("accessible") "),"
    " profession INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("profession") "),"
    " min_age INTEGER NOT NULL DEFAULT 14 CHECK (min_age BETWEEN 13 AND 25),"
    " week TEXT CHECK (" WEEK_OK("week") "),"
    " reserve_pct INTEGER NOT NULL DEFAULT 0 CHECK (reserve_pct BETWEEN 0 AND 100),"
    " updated_at INTEGER NOT NULL,"
    " withdrawn_at INTEGER,"
    " CHECK ((lat IS NULL) = (lon IS NULL)),"
    " CHECK (virtual = 1 OR lat IS NOT NULL)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX placements_employer ON placements(employer, ref);"

    "CREATE TABLE mentors ("
    " ref TEXT NOT NULL PRIMARY KEY CHECK (" REF_OK("ref") "),"
    " organisation TEXT NOT NULL DEFAULT '',"
    " sectors TEXT NOT NULL CHECK (length(sectors) >= 1),"
    " capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),"
    " lat REAL CHECK (" LAT_OK("lat") "),"
    " lon REAL CHECK (" LON_OK("lon") "),"
    " online INTEGER NOT NULL DEFAULT 0 CHECK (" BOOL_OK("online") "),"
    " max_travel_km REAL NOT NULL CHECK (max_travel_km >= 0.0),"
    " dbs_valid_until TEXT CHECK (" DATE_OK("dbs_valid_until") "),"
    " updated_at INTEGER NOT NULL,"
    " withdrawn_at INTEGER,"
    " CHECK ((lat IS NULL) = (lon IS NULL)),"
    " CHECK (online = 1 OR lat IS NOT NULL)"
    ") STRICT, WITHOUT ROWID;"

    "CREATE TABLE rounds ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " created_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " finished_at INTEGER,"
    " date TEXT NOT NULL CHECK (" DATE_OK("date") "),"
    " policy TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'queued'"
    "   CHECK (status IN ('queued', 'running', 'done', 'failed')),"
    " error TEXT,"
    " timings TEXT,"
    " summary TEXT,"
    " p_n1 INTEGER, p_n2 INTEGER, p_n3 INTEGER, p_utility INTEGER,"
    " m_n1 INTEGER, m_n2 INTEGER, m_n3 INTEGER, m_utility INTEGER,"
    " CHECK ((status = 'done') = (summary IS NOT NULL AND p_n1 IS NOT NULL"
    "        AND m_n1 IS NOT NULL)),"
    " CHECK ((status = 'failed') = (error IS NOT NULL))"
    ") STRICT;"
    "CREATE INDEX rounds_active ON rounds(status) WHERE status IN ('queued', 'running');"

    "CREATE TABLE assignments ("
    " round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,"
    " side INTEGER NOT NULL CHECK (side IN (0, 1)),"
    " student_ref TEXT NOT NULL CHECK (" REF_OK("student_ref") "),"
    " school_ref TEXT NOT NULL CHECK (" REF_OK("school_ref") "),"
    " tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),"
    " target_ref TEXT CHECK (" REF_OK("target_ref") "),"
    " employer_ref TEXT CHECK (" REF_OK("employer_ref") "),"
    " rank INTEGER CHECK (rank BETWEEN 1 AND 5),"
    " distance_km REAL CHECK (distance_km >= 0.0),"
    " utility INTEGER CHECK (utility BETWEEN 1 AND 500),"
    " reason TEXT,"
    " status TEXT CHECK (status IN ('proposed', 'confirmed', 'declined')),"
    " PRIMARY KEY (round_id, side, student_ref),"
    " CHECK ((target_ref IS NULL) = (status IS NULL)),"
    " CHECK ((target_ref IS NULL) = (reason IS NOT NULL)),"
    " CHECK ((target_ref IS NULL) = (rank IS NULL AND utility IS NULL)),"
    " CHECK ((side = 0 AND target_ref IS NOT NULL) = (employer_ref IS NOT NULL))"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX assignments_school ON assignments(round_id, school_ref, side, student_ref);"
    "CREATE INDEX assignments_employer ON assignments(round_id, employer_ref, side, student_ref)"
    " WHERE employer_ref IS NOT NULL;"

    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    " role TEXT NOT NULL CHECK (role IN ('coordinator', 'school', 'employer')),"
    " scope TEXT CHECK (" REF_OK("scope") "),"
    " created_at INTEGER NOT NULL,"
    " revoked_at INTEGER,"
    " CHECK ((role = 'coordinator') = (scope IS NULL))"
    ") STRICT;",

    /* 1 -> 2: per-database secrets.  'pupil_key' (32 random bytes, made by
     * ensure_pupil_key() on the first open at this version) keys the
     * pseudonyms employers see instead of student refs. */
    "CREATE TABLE secrets ("
    " name TEXT NOT NULL PRIMARY KEY,"
    " value BLOB NOT NULL CHECK (length(value) = 32)"
    ") STRICT, WITHOUT ROWID;",

    /* 2 -> 3: retention (store_retention.c).  A purged pupil's rows keep
     * an opaque student_ref and are marked anonymised; the index finds a
     * pupil's rows across rounds. */
    "ALTER TABLE assignments ADD COLUMN anonymised INTEGER NOT NULL DEFAULT 0"
    " CHECK (" BOOL_OK("anonymised") ");"
    "CREATE INDEX assignments_student ON assignments(student_ref) WHERE anonymised = 0;",
};

/* ---- shared helpers (store_private.h) ------------------------------------- */

static void set_file(const fm_store *st, fm_error *err)
{
    if (err && st)
        snprintf(err->file, sizeof err->file, "%s", st->path);
}

int fm_store__fail(const fm_store *st, fm_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    set_file(st, err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int fm_store__sql_fail(const fm_store *st, fm_error *err, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_NOMEM: code = FM_ENOMEM; break;
    case SQLITE_CONSTRAINT: code = FM_EINVAL; break;
    case SQLITE_TOOBIG: code = FM_EINVAL; break;
    case SQLITE_NOTADB: code = FM_EINVAL; break;
    case SQLITE_FULL: code = FM_EFULL; break;
    case SQLITE_READONLY: code = FM_EREADONLY; break;
    default: code = FM_EIO; break;
    }
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        msg = "the database is busy (another writer held it too long); try again";
    else if (code == FM_EFULL)
        msg = "the disk or the database's size limit is full; nothing of this was stored";
    else if (code == FM_EREADONLY)
        msg = "the database is read-only; nothing of this was stored";
    return fm_store__fail(st, err, code, "%s: %s", what, msg);
}

void fm_store__set_row(fm_error *err, const char *field, const char *id_field,
                       const char *ref)
{
    if (!err)
        return;
    if (field)
        snprintf(err->field, sizeof err->field, "%s", field);
    if (id_field && ref)
        snprintf(err->id, sizeof err->id, "%s %.64s", id_field, ref);
}

int fm_store__prepare(fm_store *st, const char *sql, sqlite3_stmt **stmt, fm_error *err)
{
    *stmt = NULL;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, 0, stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        return fm_store__sql_fail(st, err, rc, "preparing a statement");
    }
    return 0;
}

int fm_store__exec(fm_store *st, const char *sql, fm_error *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fm_store__sql_fail(st, err, rc, "running a statement");
    return 0;
}

int fm_store__begin_write(fm_store *st, fm_error *err)
{
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fm_store__sql_fail(st, err, rc, "starting a transaction");
}

int fm_store__begin_read(fm_store *st, fm_error *err)
{
    int rc = sqlite3_exec(st->db, "BEGIN DEFERRED", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fm_store__sql_fail(st, err, rc, "starting a transaction");
}

int fm_store__commit(fm_store *st, fm_error *err)
{
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int code = fm_store__sql_fail(st, err, rc, "committing");
    fm_store__rollback(st);
    return code;
}

void fm_store__rollback(fm_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int fm_store__finish(fm_store *st, int rc, fm_error *err)
{
    if (rc == 0)
        return fm_store__commit(st, err);
    fm_store__rollback(st);
    return rc;
}

int fm_store__step_done(const fm_store *st, sqlite3_stmt *s, const char *what,
                        fm_error *err)
{
    int step = sqlite3_step(s);
    return step == SQLITE_DONE ? 0 : fm_store__sql_fail(st, err, step, what);
}

int fm_store__bind_text(sqlite3_stmt *s, int i, const char *text)
{
    if (!text)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

void fm_store__column_copy(sqlite3_stmt *s, int i, char *buf, size_t size)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(buf, size, "%s", t ? (const char *)t : "");
}

int fm_store__valid_ref(const char *ref)
{
    if (!ref)
        return 0;
    size_t n = 0;
    for (const char *p = ref; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok || n >= FM_STORE_REF_MAX)
            return 0;
    }
    return n >= 1;
}

int fm_store__check_scope(const fm_store *st, const fm_store_scope *who, fm_error *err)
{
    int ok = 0;
    if (who) {
        switch (who->role) {
        case FM_ROLE_COORDINATOR: ok = who->ref[0] == '\0'; break;
        case FM_ROLE_SCHOOL:
        case FM_ROLE_EMPLOYER: ok = fm_store__valid_ref(who->ref); break;
        default: ok = 0; break;
        }
    }
    if (ok)
        return 0;
    fm_store__set_row(err, "scope", NULL, NULL);
    return fm_store__fail(st, err, FM_EINVAL, "the caller's role and scope are not valid");
}

int fm_store__enter(const fm_store *st, const fm_store_scope *who, fm_error *err)
{
    if (err)
        fm_error_clear(err);
    return fm_store__check_scope(st, who, err);
}

void fm_store__bind_limit(sqlite3_stmt *s, int i, size_t cap)
{
    sqlite3_bind_int64(s, i, (sqlite3_int64)(cap > INT32_MAX ? INT32_MAX : cap));
}

int fm_store__page_begin(fm_store *st, const char *sql, int64_t after, size_t cap,
                         size_t *n, sqlite3_stmt **s, fm_error *err)
{
    *n = 0;
    *s = NULL;
    if (err)
        fm_error_clear(err);
    if (cap == 0)
        return 0;
    int rc = fm_store__prepare(st, sql, s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(*s, 1, after);
    fm_store__bind_limit(*s, 2, cap);
    return 0;
}

int fm_store__deny(const fm_store *st, const fm_store_scope *who, const char *what,
                   fm_error *err)
{
    fm_store__set_row(err, "scope", NULL, NULL);
    return fm_store__fail(st, err, FM_EINVAL, "%s is not allowed for the %s role", what,
                          who ? fm_store_role_name(who->role) : "unknown");
}

int64_t fm_store__now(void)
{
    return (int64_t)time(NULL);
}

const char *fm_store_role_name(fm_store_role role)
{
    switch (role) {
    case FM_ROLE_COORDINATOR: return "coordinator";
    case FM_ROLE_SCHOOL: return "school";
    case FM_ROLE_EMPLOYER: return "employer";
    default: return "";
    }
}

fm_store_role fm_store_role_parse(const char *name)
{
    if (!name)
        return FM_ROLE_NONE;
    if (strcmp(name, "coordinator") == 0)
        return FM_ROLE_COORDINATOR;
    if (strcmp(name, "school") == 0)
        return FM_ROLE_SCHOOL;
    if (strcmp(name, "employer") == 0)
        return FM_ROLE_EMPLOYER;
    return FM_ROLE_NONE;
}

const char *fm_store_path(const fm_store *st)
{
    return st ? st->path : "";
}

/* ---- opening ---------------------------------------------------------------- */

/* Reads one integer PRAGMA. */
static int pragma_int(fm_store *st, const char *sql, int64_t *out, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, sql, &s, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = fm_store__sql_fail(st, err, step, "reading the database header");
    }
    sqlite3_finalize(s);
    return rc;
}

static int harden(fm_store *st, fm_error *err)
{
    static const struct { int op, value; } configs[] = {
        { SQLITE_DBCONFIG_DEFENSIVE, 1 },
        { SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0 },
        { SQLITE_DBCONFIG_ENABLE_TRIGGER, 0 },
        { SQLITE_DBCONFIG_ENABLE_VIEW, 0 },
        { SQLITE_DBCONFIG_DQS_DDL, 0 },
        { SQLITE_DBCONFIG_DQS_DML, 0 },
        { SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0 },
        { SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0 },
        { SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0 },
        { SQLITE_DBCONFIG_ENABLE_FKEY, 1 },
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        int got = -1;
        int rc = sqlite3_db_config(st->db, configs[i].op, configs[i].value, &got);
        if (rc != SQLITE_OK || got != configs[i].value)
            return fm_store__fail(st, err, FM_EIO,
                                  "cannot configure the SQLite connection (option %d)",
                                  configs[i].op);
    }
    static const struct { int id, value; } limits[] = {
        { SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024 },  /* a summary JSON fits */
        { SQLITE_LIMIT_SQL_LENGTH, 100000 },
        { SQLITE_LIMIT_COLUMN, 100 },
        { SQLITE_LIMIT_EXPR_DEPTH, 100 },
        { SQLITE_LIMIT_COMPOUND_SELECT, 4 },
        { SQLITE_LIMIT_VDBE_OP, 100000 },
        { SQLITE_LIMIT_FUNCTION_ARG, 8 },
        { SQLITE_LIMIT_ATTACHED, 0 },
        { SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 64 },
        { SQLITE_LIMIT_VARIABLE_NUMBER, 32 },
        { SQLITE_LIMIT_TRIGGER_DEPTH, 1 },
        { SQLITE_LIMIT_WORKER_THREADS, 0 },
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        sqlite3_limit(st->db, limits[i].id, limits[i].value);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);

    int rc = fm_store__exec(st,
                            "PRAGMA trusted_schema = OFF;"
                            "PRAGMA foreign_keys = ON;"
                            "PRAGMA secure_delete = ON;"
                            "PRAGMA cell_size_check = ON;"
                            "PRAGMA mmap_size = 0;"
                            "PRAGMA synchronous = FULL;", err);
    if (rc < 0)
        return rc;

    /* WAL; the answer says which mode the file is really in.  A read-only
     * file stays in the mode it was left in (a fairmatch file is in WAL). */
    sqlite3_stmt *s = NULL;
    rc = fm_store__prepare(st, st->read_only ? "PRAGMA journal_mode"
                                             : "PRAGMA journal_mode = WAL", &s, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
        rc = fm_store__sql_fail(st, err, step, "opening the database");
    } else {
        const unsigned char *mode = sqlite3_column_text(s, 0);
        if (!st->read_only && (!mode || strcmp((const char *)mode, "wal") != 0))
            rc = fm_store__fail(st, err, FM_EIO,
                                "cannot put the database in WAL mode (it is in \"%s\" mode)",
                                mode ? (const char *)mode : "?");
    }
    sqlite3_finalize(s);
    if (rc < 0)
        return rc;

    int64_t fk = 0;
    rc = pragma_int(st, "PRAGMA foreign_keys", &fk, err);
    if (rc == 0 && fk != 1)
        rc = fm_store__fail(st, err, FM_EIO, "this SQLite cannot enforce foreign keys");
    return rc;
}

/* Inside the open transaction: brings the schema to FM_STORE_SCHEMA_VERSION. */
static int migrate(fm_store *st, fm_error *err)
{
    int64_t version = 0, app = 0, n_objects = 0;
    int rc = pragma_int(st, "PRAGMA user_version", &version, err);
    if (rc == 0)
        rc = pragma_int(st, "PRAGMA application_id", &app, err);
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM sqlite_schema", &n_objects, err);
    if (rc < 0)
        return rc;

    if (app != FM_STORE_APPLICATION_ID && (app != 0 || n_objects > 0))
        return fm_store__fail(st, err, FM_EINVAL,
                              "not a fairmatch database (it belongs to another "
                              "application); give another --db path");
    if (version > FM_STORE_SCHEMA_VERSION)
        return fm_store__fail(st, err, FM_EINVAL,
                              "the database has schema version %lld, newer than this "
                              "fairmatch knows (%d); upgrade fairmatch",
                              (long long)version, FM_STORE_SCHEMA_VERSION);
    if (version < 0)
        return fm_store__fail(st, err, FM_EINVAL,
                              "the database has a bad schema version %lld", (long long)version);
    if (version == FM_STORE_SCHEMA_VERSION)
        return 0;
    if (st->read_only)
        return fm_store__fail(st, err, FM_EREADONLY,
                              "the database is read-only and has schema version %lld; "
                              "this fairmatch must first migrate it to %d",
                              (long long)version, FM_STORE_SCHEMA_VERSION);

    for (int64_t v = version; v < FM_STORE_SCHEMA_VERSION; v++) {
        int step = sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL);
        if (step != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migrating the schema to version %lld",
                     (long long)v + 1);
            return fm_store__sql_fail(st, err, step, what);
        }
    }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
             FM_STORE_APPLICATION_ID, FM_STORE_SCHEMA_VERSION);
    return fm_store__exec(st, sql, err);
}

/* ---- the pupil key and pseudonyms ------------------------------------------ */

void fm_store__pupil_ref(const fm_store *st, int64_t round_id, const char *employer_ref,
                         const char *student_ref, char *out)
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char hash[crypto_generichash_BYTES], id[8];
    for (int i = 0; i < 8; i++)
        id[i] = (unsigned char)((uint64_t)round_id >> (56 - 8 * i));
    crypto_generichash_state h;
    crypto_generichash_init(&h, st->pupil_key, sizeof st->pupil_key, sizeof hash);
    crypto_generichash_update(&h, id, sizeof id);
    crypto_generichash_update(&h, (const unsigned char *)employer_ref,
                              strlen(employer_ref) + 1); /* with its NUL */
    crypto_generichash_update(&h, (const unsigned char *)student_ref, strlen(student_ref));
    crypto_generichash_final(&h, hash, sizeof hash);
    out[0] = 'P';
    out[1] = '-';
    uint64_t bits = 0;
    for (int i = 0; i < 7; i++)
        bits = bits << 8 | hash[i];                  /* 56 bits; the top 50 are used */
    for (int i = 0; i < 10; i++)
        out[2 + i] = b32[(bits >> (51 - 5 * i)) & 31];
    out[12] = '\0';
    sodium_memzero(&h, sizeof h);
}

/* SQL fm_pupil_ref(round_id, employer_ref, student_ref): NULL if an
 * argument is NULL. */
static void sql_pupil_ref(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const fm_store *st = sqlite3_user_data(ctx);
    const unsigned char *emp = sqlite3_value_text(argv[1]);
    const unsigned char *stu = sqlite3_value_text(argv[2]);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !emp || !stu) {
        sqlite3_result_null(ctx);
        return;
    }
    char out[FM_STORE__PUPIL_REF_SIZE];
    fm_store__pupil_ref(st, sqlite3_value_int64(argv[0]), (const char *)emp,
                        (const char *)stu, out);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* Inside the open transaction: reads the pupil key, making it on first use,
 * and registers fm_pupil_ref(). */
static int ensure_pupil_key(fm_store *st, fm_error *err)
{
    if (sodium_init() < 0)
        return fm_store__fail(st, err, FM_EINTERNAL, "libsodium cannot start");
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, "SELECT value FROM secrets WHERE name = 'pupil_key'",
                               &s, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(s);
    int found = 0;
    if (step == SQLITE_ROW && sqlite3_column_bytes(s, 0) == (int)sizeof st->pupil_key) {
        memcpy(st->pupil_key, sqlite3_column_blob(s, 0), sizeof st->pupil_key);
        found = 1;
    } else if (step != SQLITE_DONE) {
        rc = step == SQLITE_ROW
                 ? fm_store__fail(st, err, FM_EINTERNAL, "the stored pupil key is corrupt")
                 : fm_store__sql_fail(st, err, step, "reading the pupil key");
    }
    sqlite3_finalize(s);
    if (rc == 0 && !found && st->read_only)
        rc = fm_store__fail(st, err, FM_EREADONLY,
                            "the database is read-only and has no pupil key yet");
    if (rc == 0 && !found) {
        randombytes_buf(st->pupil_key, sizeof st->pupil_key);
        rc = fm_store__prepare(st, "INSERT INTO secrets(name, value)"
                               " VALUES ('pupil_key', ?1)", &s, err);
        if (rc == 0) {
            sqlite3_bind_blob(s, 1, st->pupil_key, (int)sizeof st->pupil_key,
                              SQLITE_STATIC);
            rc = fm_store__step_done(st, s, "storing the pupil key", err);
        }
        sqlite3_finalize(s);
    }
    if (rc == 0) {
        int frc = sqlite3_create_function_v2(st->db, "fm_pupil_ref", 3,
                                             SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                             SQLITE_DIRECTONLY, st, sql_pupil_ref,
                                             NULL, NULL, NULL);
        if (frc != SQLITE_OK)
            rc = fm_store__sql_fail(st, err, frc, "registering fm_pupil_ref");
    }
    return rc;
}

/* Inside the open transaction, daemon only: rounds a crash left running. */
static int recover(fm_store *st, fm_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st,
        "UPDATE rounds SET status = 'failed', error = ?1, finished_at = ?2"
        " WHERE status = 'running'", &s, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, FM_STORE_INTERRUPTED, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, fm_store__now());
    int step = sqlite3_step(s);
    if (step != SQLITE_DONE)
        rc = fm_store__sql_fail(st, err, step, "marking interrupted rounds failed");
    sqlite3_finalize(s);
    return rc;
}

/* The daemon's exclusive lock on "<path>.lock". */
static int take_lock(fm_store *st, const char *path, fm_error *err)
{
    char lock_path[4096 + 8];
    int n = snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    if (n < 0 || (size_t)n >= sizeof lock_path)
        return fm_store__fail(st, err, FM_EINVAL, "the database path is too long");
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && (errno == EROFS || errno == EACCES)) /* flock needs no write access */
        fd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return fm_store__fail(st, err, FM_EIO, "cannot open the lock file %s: %s",
                              lock_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return fm_store__fail(st, err, FM_EIO,
                                  "another fairmatchd is using this database");
        return fm_store__fail(st, err, FM_EIO, "cannot lock %s: %s", lock_path,
                              strerror(e));
    }
    st->lock_fd = fd;
    return 0;
}

int fm_store_open(const char *path, unsigned flags, fm_store **out, fm_error *err)
{
    assert(path && out);
    *out = NULL;
    if (err)
        fm_error_clear(err);

    fm_store *st = sqlite3_malloc64(sizeof *st);
    if (!st) {
        if (err) {
            snprintf(err->file, sizeof err->file, "%s", path);
            fm_error_set(err, FM_ENOMEM, "out of memory opening the database");
        }
        return FM_ENOMEM;
    }
    memset(st, 0, sizeof *st);
    st->lock_fd = -1;
    snprintf(st->path, sizeof st->path, "%s", path);

    int rc = 0;
    if (path[0] == '\0' || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
        rc = fm_store__fail(st, err, FM_EINVAL, "give the database as a file path");
        goto fail;
    }
    if (flags & FM_STORE_DAEMON) {
        rc = take_lock(st, path, err);
        if (rc < 0)
            goto fail;
    }

    /* Create a missing file ourselves, readable by its owner only; SQLite
     * gives the -wal and -shm files the same mode. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        close(fd);
    } else if (errno != EEXIST && !((errno == EROFS || errno == EACCES) &&
                                     access(path, F_OK) == 0)) {
        rc = fm_store__fail(st, err, FM_EIO, "cannot create the database: %s",
                            strerror(errno));
        goto fail;
    }

    int orc = sqlite3_open_v2(path, &st->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                              SQLITE_OPEN_NOFOLLOW, NULL);
    if (orc != SQLITE_OK) {
        if (!st->db) {
            rc = fm_store__fail(st, err, FM_ENOMEM, "out of memory opening the database");
            goto fail;
        }
        rc = fm_store__sql_fail(st, err, orc, "cannot open the database");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    /* SQLite falls back to reading only when the file or its mount cannot
     * be written; such a store serves reads and refuses every write with
     * FM_EREADONLY. */
    st->read_only = sqlite3_db_readonly(st->db, "main") == 1;

    rc = harden(st, err);
    if (rc < 0)
        goto fail;

    rc = st->read_only ? fm_store__begin_read(st, err) : fm_store__begin_write(st, err);
    if (rc < 0)
        goto fail;
    rc = migrate(st, err);
    if (rc == 0)
        rc = ensure_pupil_key(st, err);
    if (rc == 0 && (flags & FM_STORE_DAEMON) && !st->read_only)
        rc = recover(st, err);
    rc = fm_store__finish(st, rc, err);
    if (rc < 0)
        goto fail;

    *out = st;
    return 0;

fail:
    if (err && err->file[0] == '\0')
        snprintf(err->file, sizeof err->file, "%s", path);
    fm_store_close(st);
    return rc < 0 ? rc : FM_EINTERNAL;
}

void fm_store_close(fm_store *st)
{
    if (!st)
        return;
    if (st->db) {
        /* Every statement is finalised by the function that prepared it, so
         * this close is final; should one have escaped, _v2 still frees the
         * connection once it is finalised. */
        if (sqlite3_close(st->db) != SQLITE_OK)
            (void)sqlite3_close_v2(st->db);
    }
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* after SQLite: another daemon may start now */
    sodium_memzero(st->pupil_key, sizeof st->pupil_key);
    sqlite3_free(st);
}

int fm_store_read_only(const fm_store *st)
{
    return st->read_only;
}

int fm_store_set_max_bytes(fm_store *st, uint64_t max_bytes, fm_error *err)
{
    if (err)
        fm_error_clear(err);
    int64_t page_size = 0;
    int rc = pragma_int(st, "PRAGMA page_size", &page_size, err);
    if (rc < 0)
        return rc;
    if (page_size <= 0)
        return fm_store__fail(st, err, FM_EINTERNAL, "the database has no page size");
    /* SQLite's ceiling is 4294967294 pages; "no cap" is that ceiling. */
    uint64_t pages = max_bytes ? max_bytes / (uint64_t)page_size : 4294967294u;
    if (pages < 1)
        pages = 1;
    if (pages > 4294967294u)
        pages = 4294967294u;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %llu", (unsigned long long)pages);
    int64_t got = 0;
    return pragma_int(st, sql, &got, err);
}

int fm_store_check(fm_store *st, fm_error *err)
{
    assert(st);
    sqlite3_stmt *s = NULL;
    int rc = fm_store__prepare(st, "PRAGMA integrity_check(1)", &s, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
        rc = fm_store__sql_fail(st, err, step, "checking the database");
    } else {
        const unsigned char *t = sqlite3_column_text(s, 0);
        if (!t || strcmp((const char *)t, "ok") != 0)
            rc = fm_store__fail(st, err, FM_EIO, "integrity check: %s",
                                t ? (const char *)t : "no answer");
    }
    sqlite3_finalize(s);
    if (rc < 0)
        return rc;

    rc = fm_store__prepare(st, "PRAGMA foreign_key_check", &s, err);
    if (rc < 0)
        return rc;
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        rc = fm_store__fail(st, err, FM_EIO, "foreign key check: a row of table %s "
                            "refers to a missing row", t ? (const char *)t : "?");
    } else if (step != SQLITE_DONE) {
        rc = fm_store__sql_fail(st, err, step, "checking the database");
    }
    sqlite3_finalize(s);
    return rc;
}
