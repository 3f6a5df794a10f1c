/*
 * store.h - the whole public face of the fairmatch store: the SQLite
 * database that fairmatchd keeps schools, students, employers, placements,
 * mentors, rounds, their results and the access tokens in.
 *
 * The store owns one database file and the schema in it (migrated by
 * PRAGMA user_version); nothing else opens that file with SQL of its own.
 * It does not parse CSV (csv_input.h fills the regions it is given), solve
 * (solver.h) or speak the wire protocol (engine/).  It must not include
 * libuv or protobuf headers.
 *
 * Conventions, for every function here:
 * - 0 on success, or a negative FM_E* code with *err filled (err may be
 *   NULL): file = the database path, field / id where they apply, and a
 *   message that names rows by their refs but never quotes a personal value
 *   (birth dates, locations, flags, gender, names...).
 * - FM_EINVAL: bad input, a row that breaks a constraint, or a caller acting
 *   outside its scope.  A scope refusal always has err->field "scope", so the
 *   daemon can answer "permission denied" rather than "bad request".
 *   FM_EIO: the database could not be read or written, or is busy beyond
 *   the busy timeout.  FM_EFULL: the disk, or the database's size limit
 *   (fm_store_set_max_bytes), is full.  FM_EREADONLY: the database cannot be
 *   written (file mode, read-only mount).  After FM_EIO, FM_EFULL and
 *   FM_EREADONLY too the write was rolled back whole and reads keep
 *   working.  FM_ENOMEM: memory ran out.  FM_EINTERNAL: a broken
 *   invariant (a result that does not fit its region, a corrupt row).
 * - Every write is one transaction: on any failure it is rolled back and
 *   nothing of the call is visible.
 * - Reads that take several statements (fm_store_load_region) run in one
 *   read transaction, so they see one consistent snapshot.
 * - Scope: functions that read or write rows on behalf of a user take the
 *   caller's fm_store_scope (from fm_store_token_check) and enforce it row
 *   by row: a school sees and changes only its own pupils and school row, an
 *   employer only its own placements and the assignments to them, the
 *   coordinator everything.  Mentors are the coordinator's alone.
 * - One fm_store is one SQLite connection: use it from one thread at a time
 *   (the daemon may open a second store for its solving thread).  Several
 *   processes may open the same file (WAL; writers wait up to the busy
 *   timeout), but only one may open it with FM_STORE_DAEMON.
 *
 * Orders are fixed so that a round run from the store equals
 * `fairmatch solve` on the same rows: fm_store_load_region adds students by
 * student_ref, then placements by placement_ref, then mentors by
 * mentor_ref, then the listed schools by school_ref, each in bytewise
 * (strcmp / SQLite BINARY) order of the ref, interning schools, employers
 * and sectors as they first appear in that sequence.
 */
#ifndef FM_STORE_H
#define FM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "region.h"
#include "solver.h"

/* ---- opening -------------------------------------------------------------- */

/* The schema version this code writes (PRAGMA user_version). */
#define FM_STORE_SCHEMA_VERSION 3

/* Longest ref (student_ref, school_ref, ...), as files.md allows. */
#define FM_STORE_REF_MAX 64

typedef struct fm_store fm_store;

enum {
    /* Open as the daemon that owns the database: takes an exclusive flock()
     * on "<path>.lock" (created 0600 and left in place) for as long as the
     * store is open (a second daemon on the same file gets FM_EIO), and marks every round left `running` by a
     * crash as `failed` with the message FM_STORE_INTERRUPTED.  Other
     * openers (`fairmatch token create`) leave running rounds alone. */
    FM_STORE_DAEMON = 1u << 0
};

#define FM_STORE_INTERRUPTED "interrupted: the daemon stopped while this round ran"

/* Opens the database at path, creating the file and its schema on first
 * use, and migrating an older schema inside one transaction.  The
 * connection runs in WAL mode with foreign keys on, a busy timeout,
 * SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off, secure_delete on and
 * tight sqlite3_limit()s.  Refuses (FM_EINVAL) a database whose
 * user_version is newer than FM_STORE_SCHEMA_VERSION, or a file that is not
 * a fairmatch database (another application_id).  On success *out is a new
 * store that the caller closes with fm_store_close; on failure *out is NULL
 * and nothing is left open. */
int fm_store_open(const char *path, unsigned flags, fm_store **out, fm_error *err);

/* Closes the store (NULL is fine).  Cannot fail in a way the caller could
 * act on. */
void fm_store_close(fm_store *st);

/* The path the store was opened with (borrowed). */
const char *fm_store_path(const fm_store *st);

/* 1 if the database file could only be opened for reading (its file mode
 * or a read-only mount): reads work, every write fails with FM_EREADONLY,
 * and fm_store_open neither migrated it nor, for the daemon, marked
 * interrupted rounds failed (it refuses a file that would need a
 * migration).  0 otherwise. */
int fm_store_read_only(const fm_store *st);

/* Caps this connection's database at max_bytes (0: SQLite's own maximum):
 * a write that would grow the file beyond it fails with FM_EFULL and is
 * rolled back, as on a full disk.  For tests of a full disk where no small
 * filesystem can be mounted (fairmatchd's db_max_bytes).  A cap below the
 * file's current size holds it at its current size. */
int fm_store_set_max_bytes(fm_store *st, uint64_t max_bytes, fm_error *err);

/* Runs PRAGMA integrity_check and foreign_key_check: 0 if both are clean,
 * FM_EIO with the first problem otherwise. */
int fm_store_check(fm_store *st, fm_error *err);

/* ---- who is asking -------------------------------------------------------- */

typedef enum fm_store_role {
    FM_ROLE_NONE = 0,
    FM_ROLE_COORDINATOR = 1,  /* everything; no scope ref */
    FM_ROLE_SCHOOL = 2,       /* one school: ref = its school_ref */
    FM_ROLE_EMPLOYER = 3      /* one employer: ref = its employer_ref */
} fm_store_role;

typedef struct fm_store_scope {
    fm_store_role role;
    char ref[FM_STORE_REF_MAX + 1]; /* "" for the coordinator */
} fm_store_scope;

/* "coordinator", "school", "employer" ("" for anything else). */
const char *fm_store_role_name(fm_store_role role);
/* The role of a name, or FM_ROLE_NONE. */
fm_store_role fm_store_role_parse(const char *name);

/* ---- rows: schools, students, employers with placements, mentors ---------- */

typedef enum fm_store_kind {
    FM_STORE_STUDENTS = 1,
    FM_STORE_PLACEMENTS = 2,
    FM_STORE_MENTORS = 3,
    FM_STORE_SCHOOLS = 4
} fm_store_kind;

/* "students", "placements", "mentors", "schools". */
const char *fm_store_kind_name(fm_store_kind kind);

/* Upserts every row of one kind held by batch, a region filled from one CSV
 * file by fm_csv_read_*_mem (or built by hand): its students (with their
 * school refs), placements (with their employers), mentors, or listed
 * schools.  A row that exists is replaced by the new values, and a withdrawn
 * row comes back.  All in one transaction: any failure -- a row outside the
 * caller's scope, a value that breaks a constraint, a school-scoped student
 * ref that belongs to another school -- leaves the database as it was, and
 * err->id names the row.  *n_rows (may be NULL) gets the number of rows
 * written.  Who may write: students -- coordinator, or a school for its own
 * pupils; placements -- coordinator, or an employer for its own; mentors --
 * coordinator; schools -- coordinator, or a school for its own row. */
int fm_store_put_region_rows(fm_store *st, const fm_store_scope *who,
                             const fm_region *batch, fm_store_kind kind,
                             size_t *n_rows, fm_error *err);

/* Withdraws the rows with the given refs, in one transaction: they stop
 * being listed and stop taking part in rounds; a later put brings them
 * back.  A withdrawn student keeps only its ref and school (so past rounds
 * still read); its personal fields are erased at once.  Withdrawing a
 * school unlists it (its name and location go).  A ref that is unknown or
 * outside the caller's scope fails the whole call (FM_EINVAL, err->id names
 * it); one already withdrawn is left as it is.  *n_withdrawn (may be NULL)
 * counts the rows that changed. */
int fm_store_withdraw(fm_store *st, const fm_store_scope *who, fm_store_kind kind,
                      const char *const *refs, size_t n_refs,
                      size_t *n_withdrawn, fm_error *err);

/* One page of the caller's rows of one kind that are not withdrawn, in ref
 * order, starting after after_ref (NULL or "" for the first page), at most
 * limit (1..10000) rows, appended to out, which must be an empty region
 * (fm_region_init).  Students come with their schools and sectors, placements
 * with their employers and sectors, mentors with their sectors; for
 * FM_STORE_SCHOOLS the listed schools fill out->schools.  A page shorter than
 * limit is the last; the next page starts after the last ref returned.  On
 * failure out is left empty. */
int fm_store_list(fm_store *st, const fm_store_scope *who, fm_store_kind kind,
                  const char *after_ref, size_t limit, fm_region *out,
                  fm_error *err);

/* Everything not withdrawn, for a round, into out (an empty region), in the
 * order given at the top of this file, from one snapshot.  Coordinator only.
 * On failure out is left empty. */
int fm_store_load_region(fm_store *st, const fm_store_scope *who, fm_region *out,
                         fm_error *err);

/* How many rows the caller can see: active students, placements, mentors,
 * listed schools, and rounds. */
typedef struct fm_store_counts {
    int64_t students, placements, mentors, schools, rounds;
} fm_store_counts;

int fm_store_count(fm_store *st, const fm_store_scope *who, fm_store_counts *out,
                   fm_error *err);

/* ---- rounds ---------------------------------------------------------------- */

typedef enum fm_round_status {
    FM_ROUND_QUEUED = 0,
    FM_ROUND_RUNNING = 1,
    FM_ROUND_DONE = 2,
    FM_ROUND_FAILED = 3
} fm_round_status;

/* "queued", "running", "done", "failed". */
const char *fm_round_status_name(fm_round_status s);

/* A round as stored.  Caller-owned: fm_store_round_init before use,
 * fm_store_round_free after (frees the JSON texts). */
typedef struct fm_store_round {
    int64_t id;
    int64_t created_at, started_at, finished_at; /* unix seconds, 0 = not yet */
    int32_t date;                 /* round date D, yyyymmdd */
    fm_round_status status;
    fm_vector placements, mentors; /* set when done */
    char *policy_json;            /* as given at creation; NULL if not read */
    char *timings_json;           /* set when done, else NULL */
    char *summary_json;           /* set when done, else NULL */
    char error[512];              /* why it failed, else "" */
} fm_store_round;

void fm_store_round_init(fm_store_round *r);
void fm_store_round_free(fm_store_round *r);

/* Queues a new round for date (yyyymmdd) with the policy options as JSON
 * text (NULL means "{}"); *id gets its id.  Coordinator only. */
int fm_store_round_create(fm_store *st, const fm_store_scope *who, int32_t date,
                          const char *policy_json, int64_t *id, fm_error *err);

/* The daemon's transitions (no scope: the daemon acts for the coordinator
 * who queued the round).  start: queued -> running.  fail: queued or
 * running -> failed, keeping message (at most 511 bytes; ids only, no
 * personal values).  Another starting state is FM_EINVAL. */
int fm_store_round_start(fm_store *st, int64_t id, fm_error *err);
int fm_store_round_fail(fm_store *st, int64_t id, const char *message, fm_error *err);

/* running -> done, in one transaction with its results: both objective
 * vectors, the timings and summary JSON texts (from the report writer;
 * NULL means "{}"), and one assignment row per student who asked, per
 * side, from res and the region the round was solved on (matched rows are
 * `proposed`).  FM_EINTERNAL if res does not fit region. */
int fm_store_round_finish(fm_store *st, int64_t id, const fm_region *region,
                          const fm_result *res, const char *timings_json,
                          const char *summary_json, fm_error *err);

/* The same for a re-run (rerun_round): confirmed (may be NULL, as may
 * either entry) holds per side (FM_SIDE_*) one flag per region student;
 * a matched row whose flag is set is stored `confirmed` (kept from the
 * source round) instead of `proposed`. */
int fm_store_round_finish_kept(fm_store *st, int64_t id, const fm_region *region,
                               const fm_result *res, const uint8_t *const confirmed[2],
                               const char *timings_json, const char *summary_json,
                               fm_error *err);

/* Reads round id into out (cleared first; on failure it stays cleared).
 * The coordinator gets everything; a school or employer gets the status,
 * dates and vectors but no policy, timings or summary (those stay NULL).
 * An unknown id is FM_EINVAL. */
int fm_store_round_get(fm_store *st, const fm_store_scope *who, int64_t id,
                       fm_store_round *out, fm_error *err);

/* Rounds newest first, with ids below before_id (0: from the newest), at
 * most cap; *n gets how many were filled.  Rows come without JSON texts
 * (NULL); free each with fm_store_round_free anyway.  Any role. */
int fm_store_round_list(fm_store *st, int64_t before_id, fm_store_round *rows,
                        size_t cap, size_t *n, fm_error *err);

/* ---- assignments (one row per student who asked, per side) ---------------- */

typedef enum fm_store_side {
    FM_SIDE_PLACEMENT = 0,
    FM_SIDE_MENTOR = 1
} fm_store_side;

typedef enum fm_assignment_status {
    FM_ASSIGNMENT_UNMATCHED = 0, /* no target: see reason */
    FM_ASSIGNMENT_PROPOSED = 1,
    FM_ASSIGNMENT_CONFIRMED = 2,
    FM_ASSIGNMENT_DECLINED = 3
} fm_assignment_status;

/* "", "proposed", "confirmed", "declined". */
const char *fm_assignment_status_name(fm_assignment_status s);

/* A row as the result files carry it (files.md), no heap memory. */
typedef struct fm_store_assignment {
    int64_t round_id;
    fm_store_side side;
    char student_ref[FM_STORE_REF_MAX + 1];
    char school_ref[FM_STORE_REF_MAX + 1];
    int tier;                               /* 1..3 */
    char target_ref[FM_STORE_REF_MAX + 1];  /* placement or mentor; "" if none */
    char employer_ref[FM_STORE_REF_MAX + 1];/* placements only; "" otherwise */
    int rank;                               /* 1..5; 0 if unmatched */
    double distance_km;                     /* -1: virtual/online or unmatched */
    int utility;                            /* 0 if unmatched */
    char reason[40];                        /* "outcompeted", "no_eligible:RULE", "" */
    fm_assignment_status status;
    /* Filled only in an employer's page (fm_store_assignment_page), "" / 0
     * otherwise: what the employer may know of the matched pupil.
     * pupil_ref: "P-" + 10 base32 characters of a BLAKE2b keyed with the
     * database's secret pupil key over (round, employer_ref, student_ref):
     * the same pupil has the same pupil_ref in one round for one employer,
     * and unrelated ones in other rounds or for other employers.
     * age_band: the pupil's age on the round date, "<14", "14-15", "16-17"
     * or "18+".  needs_access: the pupil's flag.  school_name: the listed
     * name of the pupil's school, or its school_ref when it has none.
     * These are read from the pupil's row when the page is read: once a
     * pupil has withdrawn (personal fields erased) age_band is "" and
     * needs_access 0; the pupil_ref and school name stay. */
    char pupil_ref[16];
    char age_band[8];
    int needs_access;
    char school_name[256];                  /* cut at a UTF-8 character boundary */
} fm_store_assignment;

/* What a page of assignments holds.  A zeroed struct with side = -1 means
 * "both sides, everything the caller may see, from the start". */
typedef struct fm_store_assignment_query {
    int side;                   /* FM_SIDE_* or -1 for both */
    const char *school_ref;     /* NULL or a school_ref to narrow to */
    const char *employer_ref;   /* NULL or an employer_ref to narrow to */
    const fm_store_assignment *after; /* the last row of the previous page,
                                         or NULL for the first page */
} fm_store_assignment_query;

/* Up to cap rows of round round_id, ordered by (side, student_ref) -- the
 * order of the result files -- matching q and the caller's scope: a school
 * sees its pupils' rows (both sides), an employer the placement rows of its
 * own placements (matched ones only), ordered by pupil_ref instead, with the
 * employer fields filled (see fm_store_assignment); an employer's next page
 * starts after q->after->pupil_ref, so its page cursor never needs the real
 * student_ref.  *n gets how many were filled; fewer than cap means the last
 * page. */
int fm_store_assignment_page(fm_store *st, const fm_store_scope *who,
                             int64_t round_id, const fm_store_assignment_query *q,
                             fm_store_assignment *rows, size_t cap, size_t *n,
                             fm_error *err);

/* Confirms or declines a proposed assignment of a done round: proposed ->
 * confirmed or declined, confirmed -> declined; setting the status it
 * already has is a no-op.  The coordinator may set any row, a school its
 * pupils' rows, an employer the rows of its placements; an employer may name
 * the pupil by the pupil_ref its page showed (or by the student_ref).  An unmatched row,
 * a round not done, or another transition is FM_EINVAL. */
int fm_store_assignment_set_status(fm_store *st, const fm_store_scope *who,
                                   int64_t round_id, fm_store_side side,
                                   const char *student_ref,
                                   fm_assignment_status status, fm_error *err);

/* ---- retention ---------------------------------------------------------------
 * Pupils' personal data is kept for retention_days after they were last
 * seen: the latest of their rounds' dates (or the day a round was created,
 * if later), the day their row was last written and the day they withdrew. */

typedef struct fm_store_purge_counts {
    int64_t pupils;       /* pupils purged (rows deleted, rows anonymised) */
    int64_t assignments;  /* their assignment rows given an opaque ref */
    int64_t kept;         /* pupils still within the limit, untouched */
} fm_store_purge_counts;

/* Purges, in one transaction, every pupil last seen before now (unix
 * seconds) - retention_days: the students row goes (birth date, location,
 * flags, gender, sectors, weeks, wishes, ref); in every round the pupil's
 * assignment rows get one opaque student_ref ("anon-" + 20 characters
 * of a hash keyed with a key drawn for this purge and then forgotten), so
 * rounds, their vectors, summaries and exports keep adding
 * up (tier, school, target, employer, rank, distance, utility, reason and
 * status stay).  Mentors' rows, DBS dates included, are kept.
 * retention_days 0 purges nothing.  Local administration: no scope (the
 * daemon and `fairmatch purge`).  *out gets the counts (all 0 on failure,
 * when nothing changed). */
int fm_store_purge(fm_store *st, int64_t now, unsigned retention_days,
                   fm_store_purge_counts *out, fm_error *err);

/* ---- access tokens ----------------------------------------------------------
 * A token is "fm_" and 43 base64url characters: 32 bytes from
 * randombytes_buf().  The database keeps only its BLAKE2b-256 hash
 * (crypto_generichash), with the role, scope and times.  A slow password
 * hash (crypto_pwhash) would add nothing: the token is 256 random bits, so
 * nobody can guess it from its hash, and a fast hash lets every request be
 * checked cheaply.  Lookups go by hash and the stored hash is then compared
 * in constant time (sodium_memcmp).  Tokens are local administration: these
 * functions take no scope; whoever can open the file is the administrator. */

#define FM_STORE_TOKEN_LEN 46    /* characters of a token */
#define FM_STORE_TOKEN_SIZE 47   /* bytes to hold one, NUL included */

typedef struct fm_token_info {
    int64_t id;
    fm_store_scope scope;        /* role and scope ref */
    int64_t created_at;          /* unix seconds */
    int64_t revoked_at;          /* unix seconds, 0 = valid */
} fm_token_info;

/* Creates a token for role (school and employer need a scope ref, the
 * coordinator takes none; the ref must be a valid id) and writes it into
 * token_out (size >= FM_STORE_TOKEN_SIZE).  The token exists nowhere else:
 * print it once.  *id (may be NULL) gets its id for revocation. */
int fm_store_token_create(fm_store *st, fm_store_role role, const char *scope,
                          char *token_out, size_t size, int64_t *id,
                          fm_error *err);

/* Checks a presented token: 0 and *out filled when it is known and not
 * revoked; FM_EINVAL (out cleared) when it is malformed, unknown or
 * revoked -- the message does not say which, nor quote the token. */
int fm_store_token_check(fm_store *st, const char *token, fm_token_info *out,
                         fm_error *err);

/* Revokes token id (from create, check or list).  Revoking a revoked token
 * is a no-op; an unknown id is FM_EINVAL. */
int fm_store_token_revoke(fm_store *st, int64_t id, fm_error *err);

/* Tokens with ids above after_id (0: from the first), at most cap, revoked
 * ones included; *n gets how many were filled. */
int fm_store_token_list(fm_store *st, int64_t after_id, fm_token_info *rows,
                        size_t cap, size_t *n, fm_error *err);

#endif
