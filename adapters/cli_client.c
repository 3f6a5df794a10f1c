/*
 * cli_client.c - the client commands of `fairmatch` (cli_client.h): status,
 * import, withdraw and the round commands, each one or more requests to
 * fairmatchd over one connection (client_conn.h).
 *
 * Normal case: the command's options are checked first (a usage error
 * never touches the network).  Then the client connects and sends a small
 * status request carrying the token -- the daemon takes frames of at most
 * 16 KiB until a connection has presented a valid token -- and later
 * requests on the connection go without it.  `import` sends the file in
 * chunks of import_csv (each well inside the frame limit the status answer
 * gave), with a progress bar on stderr only when stderr is a terminal, and
 * prints the rows stored and the reader's warnings.  `round run` starts a
 * round and follows it with waiting round_status requests (one in flight),
 * printing each phase, then the two objective vectors.  `round show`
 * prints status, options, vectors, counts and timings.  `round export`
 * fetches the summary JSON and every assignment row (paged) and writes OUT
 * with the writers of `fairmatch solve` (round_export.h); a school token
 * gets the two CSV files of its own pupils only (the summary is the
 * coordinator's), an employer token OUT/placements.csv of its matched
 * pupils (export_round's EmployerRow columns).  `round assignments` prints the rows as CSV; for an
 * employer token the pupil columns are the pseudonym, age band, needs_access
 * and school name the daemon gives an employer instead of the refs.  Results
 * go to stdout, progress and warnings to stderr.
 *
 * Failure cases: bad usage or a bad local value (date, policy file): exit
 * 2.  No connection, a broken connection, a timeout, a file that cannot be
 * read or written: `fairmatch: error: ...` and exit 1.  An error answer from
 * the daemon is printed as `fairmatch: error: FILE:LINE:COLUMN: FIELD:
 * MESSAGE (REF)` with the parts it carries; exit 2 for INVALID_ARGUMENT
 * (bad input), else 1.  A round that ends failed or cancelled: exit 1 with
 * its error.  An export that fails leaves OUT's previous files as they were.
 */
#include "cli_client.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "client_conn.h"
#include "csv_reader.h"
#include "error.h"
#include "fairmatch.pb-c.h"
#include "policy_file.h"
#include "round_export.h"
#include "round_output.h"

#define CONNECT_TIMEOUT_MS 10000
#define CALL_TIMEOUT_MS 120000
#define STORE_TIMEOUT_MS 1800000    /* the last chunk of an import: parse and store */
#define FOLLOW_WAIT_MS 20000        /* round_status wait_ms */
#define PROGRESS_WAIT_MS 1000       /* the same on a terminal: redraw every second */
#define CHUNK_DEFAULT ((size_t)1024 * 1024)
#define CHUNK_MIN ((size_t)1024)
#define FRAME_SLACK ((size_t)4096)  /* room for the envelope around a chunk */
#define FILE_NAME_MAX 200           /* what the daemon takes as import file_name */
#define EXPORT_PAGE 5000
#define POLICY_NAME "fair-access-v1"

#define CODE(x) FAIRMATCH__V1__ERROR__CODE__##x
#define PHASE(x) FAIRMATCH__V1__PHASE__PHASE_##x
#define ROLE(x) FAIRMATCH__V1__ROLE__ROLE_##x
#define SIDE(x) FAIRMATCH__V1__SIDE__SIDE_##x

typedef Fairmatch__V1__Request Request;
typedef Fairmatch__V1__Response Response;

/* One connection to the daemon, authenticated by its first request. */
typedef struct session {
    const char *server;
    const char *token;
    fm_client *conn;
    Response *hello;          /* the status answer to the first request */
    uint64_t max_frame;
    int role;                 /* Fairmatch__V1__Role */
    int progress_on;          /* a progress line is on stderr: clear it first */
} session;

static void progress_clear(void);

/* ---- messages ------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2)))
static void say_error(const char *fmt, ...);

static void say_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fairmatch: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...);

static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fairmatch: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'fairmatch %s --help' for the options.\n", cmd);
    va_end(ap);
    return FM_EXIT_USAGE;
}

/* Prints a local failure; exit 2 for bad input, else 1. */
static int local_failure(const fm_error *err)
{
    fm_cli_print_error(err);
    return err->code == FM_EINVAL ? FM_EXIT_USAGE : FM_EXIT_FAILED;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* What to do next after the daemon's error, or NULL when its message says
 * it (a bad value names the field to fix). */
static const char *daemon_hint(const Fairmatch__V1__Error *e)
{
    switch (e->code) {
    case CODE(UNAUTHENTICATED):
        return "check the token (--token or FAIRMATCH_TOKEN); the coordinator makes tokens "
               "with 'fairmatch token create' on the daemon's machine";
    case CODE(PERMISSION_DENIED):
        return "this token's role or scope does not allow it; 'fairmatch status' shows who "
               "the token is";
    case CODE(NOT_FOUND):
        return e->field && strcmp(e->field, "round_id") == 0
                   ? "'fairmatch round list' shows the rounds there are" : NULL;
    case CODE(FAILED_PRECONDITION):
        return e->field && strcmp(e->field, "round_id") == 0
                   ? "'fairmatch round show ID' shows where the round is" : NULL;
    case CODE(RESOURCE_EXHAUSTED):
        return "the daemon is at a limit: try again in a moment, or send smaller requests "
               "(import --chunk-size)";
    case CODE(INTERNAL):
        return "this is the daemon's fault, not yours: its log says more ('journalctl -u "
               "fairmatchd', or its stderr)";
    case CODE(UNAVAILABLE):
        return "the daemon is shutting down: try again once it is back ('fairmatch health "
               "--wait 60')";
    default:
        return NULL;
    }
}

/* Prints the daemon's error with every part it carries; returns the exit
 * code: 2 for INVALID_ARGUMENT, else 1. */
static int daemon_failure(const Fairmatch__V1__Error *e, const char *context)
{
    fm_error err;
    fm_error_clear(&err);
    err.code = FM_EINVAL;
    copy_str(err.file, sizeof err.file, e->file);
    err.line = e->line > 0 ? (long)e->line : 0;
    err.column = e->column > 0 ? (long)e->column : 0;
    copy_str(err.field, sizeof err.field, e->field);
    copy_str(err.id, sizeof err.id, e->ref);
    if (context && *context)
        snprintf(err.message, sizeof err.message, "%s: %s", context,
                 e->message && *e->message ? e->message : "failed");
    else
        copy_str(err.message, sizeof err.message, e->message && *e->message ? e->message
                                                                            : "failed");
    fm_cli_print_error(&err);
    const char *next = daemon_hint(e);
    if (next)
        fprintf(stderr, "fairmatch: %s\n", next);
    return e->code == CODE(INVALID_ARGUMENT) ? FM_EXIT_USAGE : FM_EXIT_FAILED;
}

static const char *phase_name(int phase)
{
    switch (phase) {
    case PHASE(QUEUED): return "queued";
    case PHASE(LOADING): return "loading";
    case PHASE(SOLVING): return "solving";
    case PHASE(SAVING): return "saving";
    case PHASE(DONE): return "done";
    case PHASE(FAILED): return "failed";
    case PHASE(CANCELLED): return "cancelled";
    default: return "unknown";
    }
}

static const char *state_name(int state)
{
    switch (state) {
    case FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_PROPOSED: return "proposed";
    case FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_CONFIRMED: return "confirmed";
    case FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_DECLINED: return "declined";
    case FAIRMATCH__V1__ASSIGNMENT_STATE__STATE_UNMATCHED: return "unmatched";
    default: return "";
    }
}

static int phase_final(int phase)
{
    return phase == PHASE(DONE) || phase == PHASE(FAILED) || phase == PHASE(CANCELLED);
}

static const char *role_name(int role)
{
    switch (role) {
    case ROLE(COORDINATOR): return "coordinator";
    case ROLE(SCHOOL): return "school";
    case ROLE(EMPLOYER): return "employer";
    default: return "none (no token)";
    }
}

/* ---- the connection -------------------------------------------------------------- */

/* Sends req and waits for its answer.  0 with *out set (free it with
 * fm_client_response_free), or the exit code after printing the error. */
static int rpc(session *s, Request *req, int timeout_ms, const char *context, Response **out)
{
    fm_error err;
    fm_error_clear(&err);
    *out = NULL;
    Response *r = NULL;
    int rc = fm_client_call(s->conn, req, timeout_ms, &r, &err);
    if (s->progress_on && (rc != 0 || r->error)) {
        progress_clear();
        s->progress_on = 0;
    }
    if (rc != 0) {
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    if (r->error) {
        int code = daemon_failure(r->error, context);
        fm_client_response_free(r);
        return code;
    }
    if ((int)r->result_case != (int)req->method_case) {
        say_error("%s answered %s with a result of another kind", s->server,
                  context ? context : "a request");
        fm_client_response_free(r);
        return FM_EXIT_FAILED;
    }
    *out = r;
    return 0;
}

/* Connects and presents the token in a small status request. */
static int session_open(session *s)
{
    fm_error err;
    fm_error_clear(&err);
    if (fm_client_connect(s->server, CONNECT_TIMEOUT_MS, &s->conn, &err) != 0)
        return local_failure(&err);
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__StatusRequest st = FAIRMATCH__V1__STATUS_REQUEST__INIT;
    req.token = (char *)s->token;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_STATUS;
    req.status = &st;
    int code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &s->hello);
    if (code != 0)
        return code;
    s->max_frame = s->hello->status->max_frame_bytes;
    s->role = s->hello->status->role;
    if (*s->token && s->role == ROLE(UNSPECIFIED)) {
        say_error("%s did not take the token; check --token or FAIRMATCH_TOKEN", s->server);
        return FM_EXIT_FAILED;
    }
    return 0;
}

static void session_close(session *s)
{
    fm_client_response_free(s->hello);
    fm_client_close(s->conn);
    s->hello = NULL;
    s->conn = NULL;
}

static int need_token(const session *s)
{
    if (*s->token)
        return 0;
    say_error("this command needs a token: --token TOKEN or FAIRMATCH_TOKEN "
              "(from 'fairmatch token create')");
    return FM_EXIT_USAGE;
}

/* ---- option parsing ---------------------------------------------------------------- */

/* Parses a round id; 0 and *id, or -1. */
static int parse_id(const char *s, uint64_t *id)
{
    char *end = NULL;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v == 0)
        return -1;
    *id = v;
    return 0;
}

static int parse_kind(const char *s, Fairmatch__V1__Kind *kind)
{
    static const struct { const char *name; Fairmatch__V1__Kind kind; } kinds[] = {
        { "students", FAIRMATCH__V1__KIND__KIND_STUDENTS },
        { "placements", FAIRMATCH__V1__KIND__KIND_PLACEMENTS },
        { "mentors", FAIRMATCH__V1__KIND__KIND_MENTORS },
        { "schools", FAIRMATCH__V1__KIND__KIND_SCHOOLS },
    };
    for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return 0;
        }
    return -1;
}

static int parse_side(const char *s, Fairmatch__V1__Side *side)
{
    if (strcmp(s, "placements") == 0 || strcmp(s, "placement") == 0)
        *side = SIDE(PLACEMENTS);
    else if (strcmp(s, "mentors") == 0 || strcmp(s, "mentor") == 0)
        *side = SIDE(MENTORS);
    else
        return -1;
    return 0;
}

static int is_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

/* getopt_long over argv; unknown options and missing values are usage
 * errors naming cmd.  Returns the option, -1 at the end, or '?'. */
static int next_opt(int argc, char **argv, const struct option *opts, const char *cmd)
{
    opterr = 0;
    int c = getopt_long(argc, argv, "", opts, NULL);
    if (c == '?' || c == ':') {
        const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        usage_error(cmd, "unknown option or missing value: %s", bad);
        return '?';
    }
    return c;
}

/* ---- status ------------------------------------------------------------------------ */

static void usage_status(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] status\n"
        "\n"
        "Asks the daemon whether it is up and who the token is: version, uptime,\n"
        "role and scope, the frame limit, rounds running and the rows the token\n"
        "may see.  Works without a token (then without counts).\n");
}

static int cmd_status(session *s, int argc, char **argv)
{
    if (is_help(argc, argv)) {
        usage_status(stdout);
        return FM_EXIT_OK;
    }
    if (argc > 1)
        return usage_error("status", "status takes no arguments");
    int code = session_open(s);
    if (code != 0)
        return code;
    const Fairmatch__V1__StatusResponse *st = s->hello->status;
    if (fm_cli_json) {
        json_t *o = json_pack("{s:s,s:s,s:f,s:b,s:s,s:s,s:I}", "server", s->server,
                              "version", st->version, "uptime_seconds", st->uptime_seconds,
                              "shutting_down", st->shutting_down, "role",
                              st->role == ROLE(UNSPECIFIED) ? "none" : role_name(st->role),
                              "scope", st->scope ? st->scope : "", "max_frame_bytes",
                              (json_int_t)st->max_frame_bytes);
        if (o && st->role != ROLE(UNSPECIFIED))
            json_object_set_new(o, "rounds_running", json_integer(st->rounds_running));
        if (o && st->counts)
            json_object_set_new(o, "counts", json_pack(
                "{s:I,s:I,s:I,s:I,s:I}", "schools", (json_int_t)st->counts->schools,
                "students", (json_int_t)st->counts->students, "placements",
                (json_int_t)st->counts->placements, "mentors",
                (json_int_t)st->counts->mentors, "rounds", (json_int_t)st->counts->rounds));
        return fm_cli_json_print(o);
    }
    printf("server      %s (fairmatchd %s, up %.0f s)%s\n", s->server, st->version,
           st->uptime_seconds, st->shutting_down ? ", shutting down" : "");
    printf("role        %s%s%s\n", role_name(st->role), st->scope && *st->scope ? " " : "",
           st->scope ? st->scope : "");
    printf("max frame   %" PRIu64 " bytes\n", st->max_frame_bytes);
    if (st->role != ROLE(UNSPECIFIED))
        printf("rounds      %u running\n", st->rounds_running);
    if (st->counts)
        printf("rows        %" PRIu64 " schools, %" PRIu64 " students, %" PRIu64
               " placements, %" PRIu64 " mentors, %" PRIu64 " rounds\n",
               st->counts->schools, st->counts->students, st->counts->placements,
               st->counts->mentors, st->counts->rounds);
    return FM_EXIT_OK;
}

/* ---- health ------------------------------------------------------------------------ */

static void usage_health(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] health [--wait SECONDS] [--timeout SECONDS]\n"
        "\n"
        "Exits 0 when the daemon answers a status request and is not shutting down,\n"
        "else 1: for a service manager (ExecStartPost=, a watchdog or monitoring\n"
        "timer) or a script.  Needs no token.\n"
        "  --wait     keep asking, twice a second, for up to SECONDS (default 0: once)\n"
        "  --timeout  seconds to wait for each answer (default 5)\n");
}

/* One status request without a token: 0 with *st_out filled, else the
 * reason in err. */
static int health_once(const char *server, int timeout_ms, Response **out, fm_error *err)
{
    fm_client *c = NULL;
    *out = NULL;
    if (fm_client_connect(server, timeout_ms, &c, err) != 0)
        return -1;
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__StatusRequest st = FAIRMATCH__V1__STATUS_REQUEST__INIT;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_STATUS;
    req.status = &st;
    int rc = fm_client_call(c, &req, timeout_ms, out, err);
    fm_client_close(c);
    if (rc == 0 && ((*out)->error || !(*out)->status)) {
        fm_error_set(err, FM_EIO, "it answered status with an error");
        rc = -1;
    } else if (rc == 0 && (*out)->status->shutting_down) {
        fm_error_set(err, FM_EIO, "it is shutting down");
        rc = -1;
    }
    if (rc != 0) {
        fm_client_response_free(*out);
        *out = NULL;
    }
    return rc;
}

static int cmd_health(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "wait", required_argument, NULL, 'w' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    double wait_s = 0, timeout_s = 5;
    int c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "health")) != -1) {
        char *end = NULL;
        switch (c) {
        case 'h': usage_health(stdout); return FM_EXIT_OK;
        case 'w':
        case 't': {
            double v = strtod(optarg, &end);
            if (!*optarg || *end || !(v >= 0 && v <= 86400) || (c == 't' && v <= 0))
                return usage_error("health", "--%s must be a number of seconds",
                                   c == 'w' ? "wait" : "timeout");
            *(c == 'w' ? &wait_s : &timeout_s) = v;
            break;
        }
        default: return FM_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error("health", "health takes no arguments besides its options");
    fm_error err;
    Response *r = NULL;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        fm_error_clear(&err);
        if (health_once(s->server, (int)(timeout_s * 1000), &r, &err) == 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double spent = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
        if (spent + 0.5 > wait_s)
            break;
        nanosleep(&(struct timespec){ .tv_nsec = 500000000L }, NULL);
    }
    if (!r) {
        char why[1024];
        fm_error_format(&err, why, sizeof why);
        if (fm_cli_json)
            fm_cli_json_print(json_pack("{s:s,s:b,s:s}", "server", s->server, "healthy", 0,
                                        "error", why));
        say_error("fairmatchd at %s is not healthy: %s; see 'systemctl status fairmatchd' "
                  "and 'journalctl -u fairmatchd'", s->server, why);
        return FM_EXIT_FAILED;
    }
    const Fairmatch__V1__StatusResponse *st = r->status;
    int code = FM_EXIT_OK;
    if (fm_cli_json)
        code = fm_cli_json_print(json_pack("{s:s,s:b,s:s,s:f}", "server", s->server,
                                           "healthy", 1, "version", st->version,
                                           "uptime_seconds", st->uptime_seconds));
    else
        printf("ok: fairmatchd %s at %s, up %.0f s\n", st->version, s->server,
               st->uptime_seconds);
    fm_client_response_free(r);
    return code;
}

/* ---- import ------------------------------------------------------------------------ */

static void usage_import(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] import\n"
        "                 students|placements|mentors|schools FILE [--chunk-size BYTES]\n"
        "\n"
        "Sends a CSV file (files.md) to the daemon in chunks; the daemon reads it\n"
        "with the same reader as 'fairmatch solve' and stores it all or nothing.\n"
        "Rows that exist are replaced.  A bad file is refused naming file, line and\n"
        "column, and nothing of it is stored (exit 2).  A progress bar is shown on\n"
        "stderr when it is a terminal.\n"
        "  --chunk-size  bytes per request (default 1 MiB, capped by the frame limit)\n");
}

/* The name the daemon uses in messages: the path as given, else its tail. */
static const char *wire_file_name(const char *path)
{
    size_t n = strlen(path);
    if (n <= FILE_NAME_MAX)
        return path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    n = strlen(base);
    return n <= FILE_NAME_MAX ? base : base + (n - FILE_NAME_MAX);
}

/* "12.3 MB", "45 KB", "100 B". */
static void human_size(uint64_t n, char *buf, size_t size)
{
    if (n >= 1000000)
        snprintf(buf, size, "%.1f MB", (double)n / 1e6);
    else if (n >= 1000)
        snprintf(buf, size, "%.0f KB", (double)n / 1e3);
    else
        snprintf(buf, size, "%u B", (unsigned)n);
}

/* Redraws the progress line on stderr (a terminal). */
static void progress(const char *path, uint64_t sent, uint64_t total, int storing)
{
    static const char bar[] = "##############################";
    const int width = (int)sizeof bar - 1;
    const char *base = strrchr(path, '/');
    char a[32], b[32];
    if (total < sent)
        total = sent;
    int filled = total ? (int)((double)sent / (double)total * width) : width;
    int pct = total ? (int)((double)sent / (double)total * 100.0) : 100;
    human_size(sent, a, sizeof a);
    human_size(total, b, sizeof b);
    fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%% %s of %s%s", base ? base + 1 : path,
            filled, bar, width - filled, "", pct, a, b, storing ? ", storing..." : "");
    fflush(stderr);
}

static void progress_clear(void)
{
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

static int cmd_import(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "chunk-size", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    size_t chunk = CHUNK_DEFAULT;
    int c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "import")) != -1) {
        switch (c) {
        case 'h': usage_import(stdout); return FM_EXIT_OK;
        case 'c': {
            char *end = NULL;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || v < CHUNK_MIN || v > (unsigned long long)SIZE_MAX / 2)
                return usage_error("import", "--chunk-size must be a number of bytes, at "
                                   "least %zu", CHUNK_MIN);
            chunk = (size_t)v;
            break;
        }
        default: return FM_EXIT_USAGE;
        }
    }
    if (argc - optind != 2)
        return usage_error("import", "import needs a kind and a file");
    Fairmatch__V1__Kind kind;
    if (parse_kind(argv[optind], &kind) != 0)
        return usage_error("import", "unknown kind '%s' (students, placements, mentors or "
                           "schools)", argv[optind]);
    const char *path = argv[optind + 1];
    int code = need_token(s);
    if (code != 0)
        return code;

    FILE *f = fopen(path, "rb");
    if (!f) {
        say_error("%s: cannot open: %s", path, strerror(errno));
        return FM_EXIT_FAILED;
    }
    struct stat sb;
    uint64_t total = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size
                                                                      : 0;
    uint8_t *buf = NULL;
    Response *r = NULL;
    int show = isatty(STDERR_FILENO);
    if ((code = session_open(s)) != 0)
        goto out;
    if (s->max_frame > FRAME_SLACK + CHUNK_MIN && chunk > s->max_frame - FRAME_SLACK)
        chunk = (size_t)(s->max_frame - FRAME_SLACK);
    buf = malloc(chunk);
    if (!buf) {
        say_error("out of memory");
        code = FM_EXIT_FAILED;
        goto out;
    }
    const char *name = wire_file_name(path);
    uint64_t upload_id = 0, offset = 0;
    for (;;) {
        size_t n = fread(buf, 1, chunk, f);
        if (ferror(f)) {
            int e = errno;
            if (s->progress_on) {
                progress_clear();
                s->progress_on = 0;
            }
            say_error("%s: cannot read: %s", path, strerror(e));
            code = FM_EXIT_FAILED;
            goto out;
        }
        int last = n < chunk;
        if (!last) {
            int next = getc(f);
            last = next == EOF && !ferror(f);
            if (next != EOF)
                ungetc(next, f);
        }
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__ImportCsvRequest im = FAIRMATCH__V1__IMPORT_CSV_REQUEST__INIT;
        im.kind = kind;
        im.file_name = (char *)name;
        im.upload_id = upload_id;
        im.offset = offset;
        im.data.data = buf;
        im.data.len = n;
        im.last = last;
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_IMPORT_CSV;
        req.import_csv = &im;
        if (show) {
            progress(path, offset + n, total, last);
            s->progress_on = 1;
        }
        fm_client_response_free(r);
        r = NULL;
        code = rpc(s, &req, last ? STORE_TIMEOUT_MS : CALL_TIMEOUT_MS, NULL, &r);
        if (code != 0)
            goto out;
        upload_id = r->import_csv->upload_id;
        offset += n;
        if (last)
            break;
    }
    if (s->progress_on) {
        progress_clear();
        s->progress_on = 0;
    }
    const Fairmatch__V1__UpsertResponse *res = r->import_csv->result;
    if (!r->import_csv->done || !res) {
        say_error("%s: the daemon did not confirm the import", path);
        code = FM_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < res->n_warnings; i++)
        fprintf(stderr, "fairmatch: warning: %s\n", res->warnings[i]);
    if (res->warning_count > res->n_warnings)
        fprintf(stderr, "fairmatch: warning: %s: %" PRIu64 " more warnings\n", path,
                res->warning_count - (uint64_t)res->n_warnings);
    if (fm_cli_json) {
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:[]}", "kind", argv[optind], "file", path,
                              "rows", (json_int_t)res->rows, "bytes", (json_int_t)offset,
                              "warning_count", (json_int_t)res->warning_count, "warnings");
        for (size_t i = 0; o && i < res->n_warnings; i++)
            json_array_append_new(json_object_get(o, "warnings"),
                                  json_string(res->warnings[i]));
        code = fm_cli_json_print(o);
        goto out;
    }
    printf("imported %" PRIu64 " %s from %s (%" PRIu64 " bytes)\n", res->rows,
           argv[optind], path, offset);
    code = FM_EXIT_OK;
out:
    if (s->progress_on) {
        progress_clear();
        s->progress_on = 0;
    }
    fm_client_response_free(r);
    free(buf);
    fclose(f);
    return code;
}

/* ---- withdraw ---------------------------------------------------------------------- */

static void usage_withdraw(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] withdraw\n"
        "                 students|placements|mentors|schools REF...\n"
        "\n"
        "Withdraws rows: they stop taking part in rounds (a withdrawn pupil's personal\n"
        "fields are erased); importing them again brings them back.  An unknown ref\n"
        "fails the whole request.\n");
}

static int cmd_withdraw(session *s, int argc, char **argv)
{
    if (is_help(argc, argv)) {
        usage_withdraw(stdout);
        return FM_EXIT_OK;
    }
    if (argc < 3)
        return usage_error("withdraw", "withdraw needs a kind and at least one ref");
    Fairmatch__V1__Kind kind;
    if (parse_kind(argv[1], &kind) != 0)
        return usage_error("withdraw", "unknown kind '%s' (students, placements, mentors "
                           "or schools)", argv[1]);
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__WithdrawRequest w = FAIRMATCH__V1__WITHDRAW_REQUEST__INIT;
    w.kind = kind;
    w.n_refs = (size_t)(argc - 2);
    w.refs = argv + 2;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_WITHDRAW;
    req.withdraw = &w;
    Response *r = NULL;
    if ((code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &r)) != 0)
        return code;
    if (fm_cli_json) {
        json_t *o = json_pack("{s:s,s:I,s:[]}", "kind", argv[1], "withdrawn",
                              (json_int_t)r->withdraw->withdrawn, "not_found");
        for (size_t i = 0; o && i < r->withdraw->n_not_found; i++)
            json_array_append_new(json_object_get(o, "not_found"),
                                  json_string(r->withdraw->not_found[i]));
        fm_client_response_free(r);
        return fm_cli_json_print(o);
    }
    printf("withdrew %" PRIu64 " %s\n", r->withdraw->withdrawn, argv[1]);
    for (size_t i = 0; i < r->withdraw->n_not_found; i++)
        fprintf(stderr, "fairmatch: warning: not found: %s\n", r->withdraw->not_found[i]);
    fm_client_response_free(r);
    return FM_EXIT_OK;
}

/* ---- rounds: shared ---------------------------------------------------------------- */

static int show_round(session *s, uint64_t id, int with_summary, Response **out)
{
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__ShowRoundRequest q = FAIRMATCH__V1__SHOW_ROUND_REQUEST__INIT;
    q.round_id = id;
    q.include_summary_json = with_summary;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_SHOW_ROUND;
    req.show_round = &q;
    return rpc(s, &req, CALL_TIMEOUT_MS, NULL, out);
}

/* As `fairmatch solve` prints them. */
static void print_vector(const char *side, const Fairmatch__V1__SideSummary *ss, int full)
{
    if (!ss || !ss->vector)
        return;
    const Fairmatch__V1__Vector *v = ss->vector;
    printf("%-10s n1=%" PRId64 " n2=%" PRId64 " n3=%" PRId64 " utility=%" PRId64, side,
           v->n1, v->n2, v->n3, v->utility);
    if (full)
        printf(" (%" PRId64 " asked, %" PRId64 " matched, %" PRId64 " candidate pairs, "
               "proven optimal: %s)", ss->asked, ss->matched, ss->candidates,
               ss->proven_optimal ? "yes" : "no");
    putchar('\n');
}

/* The same as a JSON object: the vector, and with full the counts. */
static json_t *vector_json(const Fairmatch__V1__SideSummary *ss, int full)
{
    if (!ss || !ss->vector)
        return json_null();
    const Fairmatch__V1__Vector *v = ss->vector;
    json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "n1", (json_int_t)v->n1, "n2",
                          (json_int_t)v->n2, "n3", (json_int_t)v->n3, "utility",
                          (json_int_t)v->utility);
    if (o && full) {
        json_object_set_new(o, "asked", json_integer(ss->asked));
        json_object_set_new(o, "matched", json_integer(ss->matched));
        json_object_set_new(o, "candidates", json_integer(ss->candidates));
        json_object_set_new(o, "proven_optimal", json_boolean(ss->proven_optimal));
    }
    return o;
}

/* A failed or cancelled round's error; exit 1. */
static int round_failure(uint64_t id, const Fairmatch__V1__RoundStatus *st)
{
    const char *msg = st->error && st->error->message && *st->error->message
                          ? st->error->message : phase_name(st->phase);
    say_error("round %" PRIu64 " %s: %s", id, phase_name(st->phase), msg);
    fprintf(stderr, "fairmatch: fix what the message names, then 'fairmatch round run' "
            "again (the daemon's log has the details)\n");
    return FM_EXIT_FAILED;
}

static int round_usage(const char *sub, const char *what)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "round %s", sub);
    return usage_error(cmd, "%s", what);
}

/* ---- round run ---------------------------------------------------------------------- */

static void usage_run(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round run [--date YYYY-MM-DD]\n"
        "                 [--policy FILE] [--time-limit SECONDS] [--no-wait]\n"
        "\n"
        "Runs a round on everything stored (coordinator token), follows it through\n"
        "its phases and prints the two objective vectors.\n"
        "  --date        the round date (ages and DBS checks); default the daemon's today\n"
        "  --policy      a JSON file of policy options, as for 'fairmatch solve'\n"
        "                (time limit and extra constraints)\n"
        "  --time-limit  seconds the solver may take (0: none); overrides the file\n"
        "  --no-wait     print the round id and return at once\n"
        "Exit codes: 0 done, 1 failed or cancelled, 2 bad input or usage.\n");
}

/* Redraws the round's line on stderr (a terminal): phase, seconds and,
 * while solving, the solver's progress (side, step, level, bound, gap). */
static void progress_round(uint64_t id, const Fairmatch__V1__RoundStatus *st)
{
    static const char spin[] = "|/-\\";
    static unsigned turn;
    fprintf(stderr, "\r\033[Kround %" PRIu64 ": %s %c %.0f s", id, phase_name(st->phase),
            spin[turn++ % 4], st->elapsed_seconds);
    if (st->phase == PHASE(SOLVING) && st->progress_phase && *st->progress_phase) {
        fprintf(stderr, ", %s %s", st->progress_side, st->progress_phase);
        if (st->progress_level)
            fprintf(stderr, " level %u", st->progress_level);
        if (st->has_bound)
            fprintf(stderr, ": bound %.0f, incumbent %.0f, gap %.2f%%", st->bound,
                    st->incumbent, 100.0 * st->gap);
    }
    fflush(stderr);
}

/* Follows round id from phase until it ends.  On a terminal (stderr) one
 * line is redrawn every second; otherwise each phase is a line on stdout;
 * with --json nothing is printed here. */
static int follow_round(session *s, uint64_t id, int phase, Response **final)
{
    int tty = !fm_cli_json && isatty(STDERR_FILENO);
    *final = NULL;
    for (;;) {
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__RoundStatusRequest q = FAIRMATCH__V1__ROUND_STATUS_REQUEST__INIT;
        q.round_id = id;
        q.known_phase = (Fairmatch__V1__Phase)phase;
        /* On a terminal ask every second: the answer carries the progress. */
        q.wait_ms = tty ? PROGRESS_WAIT_MS : FOLLOW_WAIT_MS;
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_ROUND_STATUS;
        req.round_status = &q;
        Response *r = NULL;
        int code = rpc(s, &req, FOLLOW_WAIT_MS + CALL_TIMEOUT_MS, NULL, &r);
        if (code != 0) {
            fprintf(stderr, "fairmatch: the round goes on in the daemon; see 'fairmatch "
                    "round show %" PRIu64 "'\n", id);
            return code;
        }
        const Fairmatch__V1__RoundStatus *st = r->round_status;
        int changed = (int)st->phase != phase;
        phase = st->phase;
        if (tty && !phase_final(phase)) {
            progress_round(id, st);
            s->progress_on = 1;
        } else if (s->progress_on) {
            progress_clear();
            s->progress_on = 0;
        }
        if (changed && !fm_cli_json && (!tty || phase_final(phase))) {
            if (phase_final(phase))
                printf("round %" PRIu64 ": %s after %.1f s\n", id, phase_name(phase),
                       st->elapsed_seconds);
            else
                printf("round %" PRIu64 ": %s\n", id, phase_name(phase));
            fflush(stdout);
        }
        if (phase_final(phase)) {
            *final = r;
            return 0;
        }
        fm_client_response_free(r);
    }
}

/* A round's status as JSON: id, phase, date, elapsed, parent, error. */
static json_t *status_json(const Fairmatch__V1__RoundStatus *st)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:f}", "round", (json_int_t)st->round_id,
                          "phase", phase_name(st->phase), "date", st->date ? st->date : "",
                          "created_at", st->created_at ? st->created_at : "",
                          "elapsed_seconds", st->elapsed_seconds);
    if (o && st->parent_round_id)
        json_object_set_new(o, "parent_round", json_integer((json_int_t)st->parent_round_id));
    if (o && st->error && st->error->message && *st->error->message)
        json_object_set_new(o, "error", json_string(st->error->message));
    return o;
}

/* Follows round id from phase to its end and prints the two vectors.  A
 * round already at its end is asked once (known phase "unspecified" makes
 * the daemon answer at once). */
static int await_round(session *s, uint64_t id, int phase)
{
    Response *fin = NULL, *info = NULL;
    int code = follow_round(s, id, phase_final(phase) ? PHASE(UNSPECIFIED) : phase, &fin);
    if (code != 0)
        goto out;
    if (fin->round_status->phase != PHASE(DONE)) {
        if (fm_cli_json)
            fm_cli_json_print(status_json(fin->round_status));
        code = round_failure(id, fin->round_status);
        goto out;
    }
    if ((code = show_round(s, id, 0, &info)) != 0)
        goto out;
    if (fm_cli_json) {
        json_t *o = status_json(fin->round_status);
        if (o) {
            json_object_set_new(o, "placements", vector_json(info->show_round->placements, 1));
            json_object_set_new(o, "mentors", vector_json(info->show_round->mentors, 1));
        }
        code = fm_cli_json_print(o);
        goto out;
    }
    print_vector("placements", info->show_round->placements, 1);
    print_vector("mentors", info->show_round->mentors, 1);
out:
    fm_client_response_free(fin);
    fm_client_response_free(info);
    return code;
}

/* The first answer of run / rerun: the new round's line, or with --no-wait
 * and --json its status. */
static void print_started(const Fairmatch__V1__RoundStatus *st, int no_wait, const char *how)
{
    if (fm_cli_json) {
        if (no_wait)
            fm_cli_json_print(status_json(st));
        return;
    }
    printf("round %" PRIu64 ": %s (%s)\n", st->round_id, phase_name(st->phase), how);
    fflush(stdout);
}

static int cmd_round_run(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "date", required_argument, NULL, 'd' },
        { "policy", required_argument, NULL, 'p' },
        { "time-limit", required_argument, NULL, 't' },
        { "no-wait", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *date = "", *policy = NULL, *limit = NULL;
    int no_wait = 0, c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "round run")) != -1) {
        switch (c) {
        case 'h': usage_run(stdout); return FM_EXIT_OK;
        case 'd': date = optarg; break;
        case 'p': policy = optarg; break;
        case 't': limit = optarg; break;
        case 'n': no_wait = 1; break;
        default: return FM_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return round_usage("run", "round run takes no arguments besides its options");
    int32_t d;
    if (*date && fm_csv_parse_date(date, &d) != 0)
        return round_usage("run", "--date must be a date YYYY-MM-DD");
    fm_round_params params;
    memset(&params, 0, sizeof params);
    fm_error err;
    fm_error_clear(&err);
    if (policy && fm_policy_file_read(policy, &params, &err) != FM_OK)
        return local_failure(&err);
    if (limit) {
        char *end = NULL;
        double v = strtod(limit, &end);
        if (*end || !(v >= 0 && v <= 1e9))
            return round_usage("run", "--time-limit must be a number of seconds >= 0");
        params.time_limit_seconds = v;
    }
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;

    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__RunRoundRequest q = FAIRMATCH__V1__RUN_ROUND_REQUEST__INIT;
    Fairmatch__V1__RoundOptions o = FAIRMATCH__V1__ROUND_OPTIONS__INIT;
    o.policy = (char *)POLICY_NAME;
    o.time_limit_seconds = params.time_limit_seconds;
    /* The policy file's extra constraints travel as JSON. */
    char *cons = NULL;
    json_t *cj = fm_policy_constraints_json(&params.constraints);
    if (cj && json_object_size(cj) > 0)
        cons = json_dumps(cj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(cj);
    o.constraints_json = cons ? cons : (char *)"";
    q.date = (char *)date;
    q.options = &o;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_RUN_ROUND;
    req.run_round = &q;
    Response *r = NULL;
    code = rpc(s, &req, CALL_TIMEOUT_MS, "round run", &r);
    free(cons);
    if (code != 0)
        return code;
    uint64_t id = r->run_round->round_id;
    int phase = r->run_round->phase;
    char how[64];
    snprintf(how, sizeof how, "date %s", r->run_round->date);
    print_started(r->run_round, no_wait, how);
    fm_client_response_free(r);
    return no_wait ? FM_EXIT_OK : await_round(s, id, phase);
}

/* ---- round rerun --------------------------------------------------------------------- */

static void usage_rerun(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round rerun ID [--date YYYY-MM-DD]\n"
        "                 [--time-limit SECONDS] [--no-wait]\n"
        "\n"
        "Runs a new round that keeps every assignment confirmed in round ID and\n"
        "re-allocates only the seats and pupils that were not confirmed (coordinator\n"
        "token); follows it and prints the two objective vectors.\n"
        "  --date        the new round's date; default round ID's\n"
        "  --time-limit  seconds the solver may take (0: none); default round ID's\n"
        "  --no-wait     print the new round's id and return at once\n"
        "Exit codes: 0 done, 1 failed or cancelled, 2 bad input or usage.\n");
}

static int cmd_round_rerun(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "date", required_argument, NULL, 'd' },
        { "time-limit", required_argument, NULL, 't' },
        { "no-wait", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *date = "", *limit = NULL;
    int no_wait = 0, c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "round rerun")) != -1) {
        switch (c) {
        case 'h': usage_rerun(stdout); return FM_EXIT_OK;
        case 'd': date = optarg; break;
        case 't': limit = optarg; break;
        case 'n': no_wait = 1; break;
        default: return FM_EXIT_USAGE;
        }
    }
    char *end = NULL;
    if (optind != argc - 1)
        return round_usage("rerun", "round rerun needs the round ID to start from");
    unsigned long long source = strtoull(argv[optind], &end, 10);
    if (!*argv[optind] || *end || source == 0)
        return round_usage("rerun", "the round ID must be a number");
    int32_t d;
    if (*date && fm_csv_parse_date(date, &d) != 0)
        return round_usage("rerun", "--date must be a date YYYY-MM-DD");
    Fairmatch__V1__RoundOptions o = FAIRMATCH__V1__ROUND_OPTIONS__INIT;
    if (limit) {
        double v = strtod(limit, &end);
        if (*end || !(v >= 0 && v <= 1e9))
            return round_usage("rerun", "--time-limit must be a number of seconds >= 0");
        o.policy = (char *)POLICY_NAME;
        o.time_limit_seconds = v;
    }
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__RerunRoundRequest q = FAIRMATCH__V1__RERUN_ROUND_REQUEST__INIT;
    q.round_id = source;
    q.date = (char *)date;
    q.options = limit ? &o : NULL;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_RERUN_ROUND;
    req.rerun_round = &q;
    Response *r = NULL;
    if ((code = rpc(s, &req, CALL_TIMEOUT_MS, "round rerun", &r)) != 0)
        return code;
    uint64_t id = r->rerun_round->round_id;
    int phase = r->rerun_round->phase;
    char how[96];
    snprintf(how, sizeof how, "rerun of round %llu, keeping its confirmed assignments",
             source);
    print_started(r->rerun_round, no_wait, how);
    fm_client_response_free(r);
    return no_wait ? FM_EXIT_OK : await_round(s, id, phase);
}

/* The start of `round SUB ID`: --help, the round ID, the token and the
 * session.  Returns 1 with *code set when the command ends here. */
static int start_round_command(session *s, int argc, char **argv, const char *sub,
                               void (*usage)(FILE *), uint64_t *id, int *code)
{
    char what[64];
    if (is_help(argc, argv)) {
        usage(stdout);
        *code = FM_EXIT_OK;
        return 1;
    }
    if (argc != 2 || parse_id(argv[1], id) != 0) {
        snprintf(what, sizeof what, "round %s needs a round ID (a number)", sub);
        *code = round_usage(sub, what);
        return 1;
    }
    *code = need_token(s);
    if (*code == 0)
        *code = session_open(s);
    return *code != 0;
}

/* ---- round show ---------------------------------------------------------------------- */

/* round show --json: what the text shows, as one object. */
static json_t *round_info_json(const Fairmatch__V1__RoundInfo *info, int coord)
{
    json_t *o = info->status ? status_json(info->status) : json_object();
    if (!o)
        return NULL;
    if (info->options) {
        json_object_set_new(o, "policy", json_string(info->options->policy));
        json_object_set_new(o, "time_limit_seconds",
                            json_real(info->options->time_limit_seconds));
        const char *cons = info->options->constraints_json;
        if (cons && *cons)
            json_object_set_new(o, "constraints", json_loads(cons, 0, NULL));
    }
    json_object_set_new(o, "placements", vector_json(info->placements, coord));
    json_object_set_new(o, "mentors", vector_json(info->mentors, coord));
    if (info->counts)
        json_object_set_new(o, "region", json_pack(
            "{s:I,s:I,s:I,s:I}", "students", (json_int_t)info->counts->students, "placements",
            (json_int_t)info->counts->placements, "mentors", (json_int_t)info->counts->mentors,
            "schools", (json_int_t)info->counts->schools));
    if (info->timings) {
        const Fairmatch__V1__Timings *t = info->timings;
        json_object_set_new(o, "timings", json_pack(
            "{s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "read_s", t->read_s, "candidates_s",
            t->candidates_s, "solve_s", t->solve_s, "check_s", t->check_s, "write_s",
            t->write_s, "total_s", t->total_s, "peak_rss_mb", t->peak_rss_mb));
    }
    return o;
}

static void usage_show(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round show ID\n"
        "\n"
        "Prints a round's status and objective vectors; with a coordinator token also\n"
        "its options, counts, proof flags and timings.\n");
}

static int cmd_round_show(session *s, int argc, char **argv)
{
    uint64_t id;
    int code;
    if (start_round_command(s, argc, argv, "show", usage_show, &id, &code))
        return code;
    Response *r = NULL;
    if ((code = show_round(s, id, 0, &r)) != 0)
        return code;
    const Fairmatch__V1__RoundInfo *info = r->show_round;
    const Fairmatch__V1__RoundStatus *st = info->status;
    int coord = s->role == ROLE(COORDINATOR);
    if (fm_cli_json) {
        code = fm_cli_json_print(round_info_json(info, coord));
        fm_client_response_free(r);
        return code;
    }
    if (st) {
        printf("round       %" PRIu64 ": %s\n", st->round_id, phase_name(st->phase));
        printf("date        %s\n", st->date);
        printf("created     %s\n", st->created_at);
        printf("elapsed     %.1f s\n", st->elapsed_seconds);
        if (st->parent_round_id)
            printf("re-run of   round %" PRIu64 "\n", st->parent_round_id);
        if (st->error && st->error->message && *st->error->message)
            printf("error       %s\n", st->error->message);
    }
    if (info->options) {
        if (info->options->time_limit_seconds > 0)
            printf("policy      %s, time limit %g s\n", info->options->policy,
                   info->options->time_limit_seconds);
        else
            printf("policy      %s, no time limit\n", info->options->policy);
        if (info->options->constraints_json && *info->options->constraints_json)
            printf("constraints %s\n", info->options->constraints_json);
    }
    print_vector("placements", info->placements, coord);
    print_vector("mentors", info->mentors, coord);
    if (info->counts)
        printf("region      %" PRIu64 " students, %" PRIu64 " placements, %" PRIu64
               " mentors, %" PRIu64 " schools\n", info->counts->students,
               info->counts->placements, info->counts->mentors, info->counts->schools);
    if (info->timings) {
        const Fairmatch__V1__Timings *t = info->timings;
        printf("timings     read %.3f s, candidates %.3f s, solve %.3f s, check %.3f s, "
               "write %.3f s, total %.3f s; peak %.1f MB\n", t->read_s, t->candidates_s,
               t->solve_s, t->check_s, t->write_s, t->total_s, t->peak_rss_mb);
    }
    fm_client_response_free(r);
    return FM_EXIT_OK;
}

/* ---- round list / cancel ----------------------------------------------------------- */

static void usage_list(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round list [--limit N]\n"
        "\n"
        "Lists rounds, newest first: id, phase, date, created (UTC), seconds.\n"
        "  --limit  at most N rounds (default 20; 0 = all)\n");
}

static int cmd_round_list(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "limit", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long limit = 20;
    int c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "round list")) != -1) {
        switch (c) {
        case 'h': usage_list(stdout); return FM_EXIT_OK;
        case 'l': {
            char *end = NULL;
            limit = strtoul(optarg, &end, 10);
            if (*end || !*optarg || optarg[0] == '-')
                return round_usage("list", "--limit must be a number");
            break;
        }
        default: return FM_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return round_usage("list", "round list takes no arguments");
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    char *page = NULL;
    unsigned long shown = 0;
    json_t *all = fm_cli_json ? json_array() : NULL;
    if (!fm_cli_json)
        printf("%-8s %-10s %-10s %-20s %s\n", "round", "phase", "date", "created", "seconds");
    for (;;) {
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__ListRoundsRequest q = FAIRMATCH__V1__LIST_ROUNDS_REQUEST__INIT;
        q.page_size = limit && limit < 1000 ? (uint32_t)(limit - shown) : 1000;
        q.page_token = page ? page : (char *)"";
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_LIST_ROUNDS;
        req.list_rounds = &q;
        Response *r = NULL;
        code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &r);
        free(page);
        page = NULL;
        if (code != 0) {
            json_decref(all);
            return code;
        }
        const Fairmatch__V1__ListRoundsResponse *l = r->list_rounds;
        for (size_t i = 0; i < l->n_rounds && (!limit || shown < limit); i++, shown++) {
            const Fairmatch__V1__RoundStatus *st = l->rounds[i];
            if (fm_cli_json) {
                json_array_append_new(all, status_json(st));
                continue;
            }
            printf("%-8" PRIu64 " %-10s %-10s %-20s %.1f\n", st->round_id,
                   phase_name(st->phase), st->date, st->created_at, st->elapsed_seconds);
        }
        if (l->next_page_token && *l->next_page_token && (!limit || shown < limit))
            page = strdup(l->next_page_token);
        fm_client_response_free(r);
        if (!page)
            break;
    }
    if (fm_cli_json)
        return fm_cli_json_print(json_pack("{s:o}", "rounds", all));
    return FM_EXIT_OK;
}

static void usage_cancel(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round cancel ID\n"
        "\n"
        "Cancels a queued or running round (coordinator token).\n");
}

static int cmd_round_cancel(session *s, int argc, char **argv)
{
    uint64_t id;
    int code;
    if (start_round_command(s, argc, argv, "cancel", usage_cancel, &id, &code))
        return code;
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__CancelRoundRequest q = FAIRMATCH__V1__CANCEL_ROUND_REQUEST__INIT;
    q.round_id = id;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_CANCEL_ROUND;
    req.cancel_round = &q;
    Response *r = NULL;
    if ((code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &r)) != 0)
        return code;
    if (fm_cli_json)
        code = fm_cli_json_print(status_json(r->cancel_round));
    else
        printf("round %" PRIu64 ": %s\n", id, phase_name(r->cancel_round->phase));
    fm_client_response_free(r);
    return code;
}

/* ---- assignments: paging ----------------------------------------------------------- */

typedef int (*row_fn)(const Fairmatch__V1__Assignment *a, void *arg);

/* Calls fn for every assignment row of round id the token may see. */
static int each_assignment(session *s, uint64_t id, Fairmatch__V1__Side side, int unmatched,
                           row_fn fn, void *arg)
{
    char *page = NULL;
    int code = 0;
    for (;;) {
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__ListAssignmentsRequest q =
            FAIRMATCH__V1__LIST_ASSIGNMENTS_REQUEST__INIT;
        q.round_id = id;
        q.side = side;
        q.page_size = EXPORT_PAGE;
        q.page_token = page ? page : (char *)"";
        q.include_unmatched = unmatched;
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_LIST_ASSIGNMENTS;
        req.list_assignments = &q;
        Response *r = NULL;
        code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &r);
        free(page);
        page = NULL;
        if (code != 0)
            return code;
        const Fairmatch__V1__ListAssignmentsResponse *l = r->list_assignments;
        for (size_t i = 0; i < l->n_assignments && code == 0; i++)
            code = fn(l->assignments[i], arg);
        if (code == 0 && l->next_page_token && *l->next_page_token) {
            page = strdup(l->next_page_token);
            if (!page) {
                say_error("out of memory");
                code = FM_EXIT_FAILED;
            }
        }
        fm_client_response_free(r);
        if (code != 0 || !page)
            return code;
    }
}

/* ---- round export -------------------------------------------------------------------- */

static void usage_export(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round export ID --out OUT\n"
        "\n"
        "Writes a finished round's result files into OUT exactly as 'fairmatch solve'\n"
        "writes them: OUT/placements.csv, OUT/mentors.csv, OUT/summary.json and\n"
        "OUT/report.html.  With a school token only the two CSV files, holding the\n"
        "school's own pupils.  With an employer token only OUT/placements.csv, of\n"
        "the pupils matched to its placements: pupil_ref,age_band,needs_access,\n"
        "school_name,placement_ref,state.  Files are replaced only when complete.\n");
}

typedef struct export_ctx {
    fm_round_export *x;
    fm_error err;
} export_ctx;

/* Calls fn for every page of round id's export_round answer. */
typedef int (*export_page_fn)(const Fairmatch__V1__ExportRoundResponse *page, void *arg);

static int each_export_page(session *s, uint64_t id, export_page_fn fn, void *arg)
{
    char *page = NULL;
    for (;;) {
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__ExportRoundRequest q = FAIRMATCH__V1__EXPORT_ROUND_REQUEST__INIT;
        q.round_id = id;
        q.page_size = EXPORT_PAGE;
        q.page_token = page ? page : (char *)"";
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_EXPORT_ROUND;
        req.export_round = &q;
        Response *r = NULL;
        int code = rpc(s, &req, CALL_TIMEOUT_MS, "round export", &r);
        free(page);
        page = NULL;
        if (code != 0)
            return code;
        code = fn(r->export_round, arg);
        const char *next = r->export_round->next_page_token;
        if (code == 0 && next && *next && !(page = strdup(next))) {
            say_error("out of memory");
            code = FM_EXIT_FAILED;
        }
        fm_client_response_free(r);
        if (code != 0 || !page)
            return code;
    }
}

static int add_result_rows(const Fairmatch__V1__ExportRoundResponse *page, void *arg)
{
    export_ctx *ctx = arg;
    for (size_t i = 0; i < page->n_results; i++) {
        const Fairmatch__V1__ResultRow *a = page->results[i];
        fm_export_row row = {
            .mentor = a->side == SIDE(MENTORS),
            .student_ref = a->student_ref,
            .school_ref = a->school_ref,
            .tier = a->tier,
            .target_ref = a->target_ref,
            .employer_ref = a->employer_ref,
            .rank = a->rank,
            .distance_km = a->distance_km,
            .utility = a->utility,
            .reason = a->reason,
        };
        if (fm_round_export_add(ctx->x, &row, &ctx->err) != 0) {
            fm_cli_print_error(&ctx->err);
            return FM_EXIT_FAILED;
        }
    }
    return 0;
}

/* An employer's OUT/placements.csv, written while its pages arrive. */
typedef struct employer_export {
    session *s;
    uint64_t id;
    FILE *f;
    int code;         /* the exit code of a failed request, else 0 */
    size_t rows;
} employer_export;

#define EMPLOYER_COLUMNS "pupil_ref,age_band,needs_access,school_name,placement_ref,state"

static int put_employer_rows(const Fairmatch__V1__ExportRoundResponse *page, void *arg)
{
    FILE *f = arg;
    for (size_t i = 0; i < page->n_matches; i++) {
        const Fairmatch__V1__EmployerRow *m = page->matches[i];
        const char *fields[] = { m->pupil_ref, m->age_band, m->needs_access ? "1" : "0",
                                 m->school_name, m->placement_ref, state_name(m->state) };
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if ((k > 0 && putc(',', f) == EOF) || fm_result_csv_put_field(f, fields[k]) != 0)
                return FM_EXIT_FAILED;
        if (putc('\n', f) == EOF)
            return FM_EXIT_FAILED;
    }
    return 0;
}

static int count_and_put(const Fairmatch__V1__ExportRoundResponse *page, void *arg)
{
    employer_export *e = arg;
    e->rows += page->n_matches;
    return put_employer_rows(page, e->f);
}

static int write_employer_file(FILE *f, void *arg, fm_error *err)
{
    employer_export *e = arg;
    if (fputs(EMPLOYER_COLUMNS "\n", f) == EOF)
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno));
    e->f = f;
    e->code = each_export_page(e->s, e->id, count_and_put, e);
    if (e->code != 0)   /* already reported; the file is dropped */
        return fm_error_set(err, FM_EIO, "the export was not finished");
    if (ferror(f))
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno));
    return 0;
}

/* round export with an employer token: OUT/placements.csv of its matches. */
static int export_employer(session *s, uint64_t id, const char *outdir)
{
    employer_export e = { .s = s, .id = id };
    fm_error err;
    fm_error_clear(&err);
    if (fm_round_file_write(outdir, "placements.csv", write_employer_file, &e, &err) != 0) {
        if (e.code != 0)
            return e.code;
        fm_cli_print_error(&err);
        return FM_EXIT_FAILED;
    }
    if (fm_cli_json)
        return fm_cli_json_print(json_pack("{s:I,s:s,s:s,s:s,s:[s],s:I}", "round",
                                           (json_int_t)id, "view", "employer", "scope",
                                           s->hello->status->scope, "out", outdir, "files",
                                           "placements.csv", "rows", (json_int_t)e.rows));
    printf("wrote %s/placements.csv (round %" PRIu64 ", %zu matched pupils of employer %s)\n",
           outdir, id, e.rows, s->hello->status->scope);
    return FM_EXIT_OK;
}

/* The round report.html compares with (report_html.h): a re-run's source
 * round, else the last finished round before it; none leaves ctx's
 * previous.round_id 0.  A daemon error is the export's failure. */
static int report_context(session *s, const Fairmatch__V1__RoundStatus *st,
                          fm_report_context *ctx)
{
    uint64_t prev = st->parent_round_id;
    char page[32];
    memset(ctx, 0, sizeof *ctx);
    ctx->round_id = (int64_t)st->round_id;
    snprintf(page, sizeof page, "%" PRIu64, st->round_id);
    while (!prev && *page) {
        Request req = FAIRMATCH__V1__REQUEST__INIT;
        Fairmatch__V1__ListRoundsRequest q = FAIRMATCH__V1__LIST_ROUNDS_REQUEST__INIT;
        q.page_size = 100;
        q.page_token = page; /* rounds below this id, newest first */
        req.method_case = FAIRMATCH__V1__REQUEST__METHOD_LIST_ROUNDS;
        req.list_rounds = &q;
        Response *r = NULL;
        int code = rpc(s, &req, CALL_TIMEOUT_MS, "the list of rounds", &r);
        if (code != 0)
            return code;
        const Fairmatch__V1__ListRoundsResponse *l = r->list_rounds;
        for (size_t i = 0; i < l->n_rounds && !prev; i++)
            if (l->rounds[i]->phase == PHASE(DONE) && l->rounds[i]->round_id < st->round_id)
                prev = l->rounds[i]->round_id;
        snprintf(page, sizeof page, "%s", l->next_page_token ? l->next_page_token : "");
        fm_client_response_free(r);
    }
    if (!prev)
        return 0;
    Response *info = NULL;
    int code = show_round(s, prev, 1, &info);
    if (code != 0)
        return code;
    const char *text = info->show_round->summary_json;
    json_t *summary = text && *text ? json_loads(text, 0, NULL) : NULL;
    const Fairmatch__V1__RoundStatus *ps = info->show_round->status;
    if (fm_report_previous_from_summary(&ctx->previous, (int64_t)prev,
                                        st->parent_round_id != 0, ps ? ps->date : NULL,
                                        summary) != 0)
        fprintf(stderr, "fairmatch: warning: round %" PRIu64 " has no readable summary; "
                "report.html compares with no previous round\n", prev);
    json_decref(summary);
    fm_client_response_free(info);
    return 0;
}

/* The writer puts certificate.csv in OUT when the round's summary carries
 * one, and removes a stale one otherwise: so its presence says it was written. */
static int wrote_certificate(const char *outdir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/certificate.csv", outdir);
    return access(path, F_OK) == 0;
}

static int cmd_round_export(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *outdir = NULL;
    uint64_t id;
    int c;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "round export")) != -1) {
        switch (c) {
        case 'h': usage_export(stdout); return FM_EXIT_OK;
        case 'o': outdir = optarg; break;
        default: return FM_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || parse_id(argv[optind], &id) != 0)
        return round_usage("export", "round export needs a round ID (a number)");
    if (!outdir || !*outdir)
        return round_usage("export", "round export needs --out OUT");
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    if (s->role == ROLE(EMPLOYER))
        return export_employer(s, id, outdir);
    int coord = s->role == ROLE(COORDINATOR);
    export_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    fm_error_clear(&ctx.err);
    Response *info = NULL;
    json_t *summary = NULL;
    fm_report_context report;
    memset(&report, 0, sizeof report);
    if (fm_round_export_new(&ctx.x) != 0) {
        say_error("out of memory");
        return FM_EXIT_FAILED;
    }
    if ((code = show_round(s, id, coord, &info)) != 0)
        goto out;
    const Fairmatch__V1__RoundStatus *st = info->show_round->status;
    if (!st || st->phase != PHASE(DONE)) {
        say_error("round %" PRIu64 " has no results: it is %s; wait for it with 'fairmatch "
                  "round show %" PRIu64 "', or run a new one", id,
                  st ? phase_name(st->phase) : "unknown", id);
        code = FM_EXIT_FAILED;
        goto out;
    }
    if (coord) {
        json_error_t jerr;
        const char *text = info->show_round->summary_json;
        summary = text && *text ? json_loads(text, 0, &jerr) : NULL;
        if (!json_is_object(summary)) {
            say_error("round %" PRIu64 ": the daemon sent no readable summary%s%s", id,
                      summary || !text || !*text ? "" : ": ",
                      summary || !text || !*text ? "" : jerr.text);
            code = FM_EXIT_FAILED;
            goto out;
        }
        if ((code = report_context(s, st, &report)) != 0)
            goto out;
    }
    if ((code = each_export_page(s, id, add_result_rows, &ctx)) != 0)
        goto out;
    if (fm_round_export_write(ctx.x, outdir, summary, coord ? &report : NULL,
                              &ctx.err) != 0) {
        code = local_failure(&ctx.err);
        if (code == FM_EXIT_USAGE)
            code = FM_EXIT_FAILED; /* contradictory rows are the daemon's, not the user's */
        goto out;
    }
    if (fm_cli_json) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:[ss],s:I}", "round", (json_int_t)id,
                              "view", coord ? "coordinator" : "school", "scope",
                              s->hello->status->scope, "out", outdir, "files",
                              "placements.csv", "mentors.csv", "rows",
                              (json_int_t)fm_round_export_count(ctx.x));
        if (o && coord) {
            json_array_append_new(json_object_get(o, "files"), json_string("summary.json"));
            json_array_append_new(json_object_get(o, "files"), json_string("report.html"));
            if (wrote_certificate(outdir))
                json_array_append_new(json_object_get(o, "files"), json_string("certificate.csv"));
        }
        code = fm_cli_json_print(o);
        goto out;
    }
    if (coord) {
        printf("wrote %s/placements.csv, mentors.csv, summary.json, report.html%s "
               "(round %" PRIu64 ", %zu rows)\n", outdir,
               wrote_certificate(outdir) ? ", certificate.csv" : "", id,
               fm_round_export_count(ctx.x));
    } else {
        printf("wrote %s/placements.csv, mentors.csv (round %" PRIu64 ", %zu rows of "
               "school %s)\n", outdir, id, fm_round_export_count(ctx.x),
               s->hello->status->scope);
        fprintf(stderr, "fairmatch: note: summary.json and report.html need a coordinator "
                "token\n");
    }
    code = FM_EXIT_OK;
out:
    json_decref(summary);
    fm_client_response_free(info);
    fm_round_export_free(ctx.x);
    return code;
}

/* ---- round assignments ------------------------------------------------------------- */

static void usage_assignments(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round assignments ID\n"
        "                 [--side placements|mentors] [--unmatched]\n"
        "\n"
        "Prints the round's assignment rows the token may see, as CSV on stdout:\n"
        "side,student_ref,school_ref,tier,target_ref,employer_ref,rank,distance_km,\n"
        "utility,reason,state.  An employer token sees the matched rows of its own\n"
        "placements, and of each pupil only a pseudonym, age band, access needs and\n"
        "school name: side,pupil_ref,age_band,needs_access,school_name,target_ref,\n"
        "employer_ref,state (it confirms or declines by pupil_ref).\n"
        "  --side       one side only (default both)\n"
        "  --unmatched  also the rows of pupils who got nothing\n");
}

static const char *const assignment_columns[] = {
    "side", "student_ref", "school_ref", "tier", "target_ref", "employer_ref", "rank",
    "distance_km", "utility", "reason", "state"};
static const char *const employer_columns[] = {
    "side", "pupil_ref", "age_band", "needs_access", "school_name", "target_ref",
    "employer_ref", "state"};

/* How round assignments prints: the employer's columns or everybody's, as
 * CSV lines or (--json) objects gathered in rows. */
typedef struct assignment_out {
    int limited;
    json_t *rows;
} assignment_out;

/* One row's fields as a JSON object keyed by the columns; 0 or exit 1. */
static int json_row(json_t *rows, const char *const *names, const char *const *fields,
                    size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, names[i], json_string(fields[i] ? fields[i] : ""));
    if (!o || json_array_append_new(rows, o) != 0) {
        say_error("out of memory");
        return FM_EXIT_FAILED;
    }
    return 0;
}

static int print_assignment(const Fairmatch__V1__Assignment *a, void *arg)
{
    const assignment_out *out = arg;
    int limited = out->limited;
    char tier[16] = "", rank[16] = "", dist[32] = "", util[16] = "", reason[96];
    int matched = a->target_ref && *a->target_ref;
    if (limited) {
        const char *fields[] = {
            a->side == SIDE(MENTORS) ? "mentors" : "placements", a->pupil_ref, a->age_band,
            a->needs_access ? "1" : "0", a->school_name, a->target_ref, a->employer_ref,
            state_name(a->state),
        };
        if (out->rows)
            return json_row(out->rows, employer_columns, fields, 8);
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (i > 0)
                putchar(',');
            if (fm_result_csv_put_field(stdout, fields[i]) != 0)
                return FM_EXIT_FAILED;
        }
        putchar('\n');
        return 0;
    }
    if (!limited) {
        snprintf(tier, sizeof tier, "%d", (int)a->tier);
        if (matched) {
            snprintf(rank, sizeof rank, "%d", (int)a->rank);
            if (a->distance_km >= 0)
                snprintf(dist, sizeof dist, "%.3f", a->distance_km);
            snprintf(util, sizeof util, "%d", (int)a->utility);
        }
    }
    if (a->rule && *a->rule)
        snprintf(reason, sizeof reason, "%s:%s", a->reason, a->rule);
    else
        snprintf(reason, sizeof reason, "%s", a->reason ? a->reason : "");
    const char *fields[] = {
        a->side == SIDE(MENTORS) ? "mentors" : "placements", a->student_ref, a->school_ref,
        tier, a->target_ref, a->employer_ref, rank, dist, util, reason, state_name(a->state),
    };
    if (out->rows)
        return json_row(out->rows, assignment_columns, fields, 11);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (i > 0)
            putchar(',');
        if (fm_result_csv_put_field(stdout, fields[i]) != 0)
            return FM_EXIT_FAILED;
    }
    putchar('\n');
    return 0;
}

static int cmd_round_assignments(session *s, int argc, char **argv)
{
    static const struct option opts[] = {
        { "side", required_argument, NULL, 's' },
        { "unmatched", no_argument, NULL, 'u' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    Fairmatch__V1__Side side = SIDE(UNSPECIFIED);
    int unmatched = 0, c;
    uint64_t id;
    optind = 1;
    while ((c = next_opt(argc, argv, opts, "round assignments")) != -1) {
        switch (c) {
        case 'h': usage_assignments(stdout); return FM_EXIT_OK;
        case 's':
            if (parse_side(optarg, &side) != 0)
                return round_usage("assignments", "--side must be placements or mentors");
            break;
        case 'u': unmatched = 1; break;
        default: return FM_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || parse_id(argv[optind], &id) != 0)
        return round_usage("assignments", "round assignments needs a round ID (a number)");
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    assignment_out out = { s->role == ROLE(EMPLOYER), NULL };
    if (fm_cli_json) {
        if (!(out.rows = json_array())) {
            say_error("out of memory");
            return FM_EXIT_FAILED;
        }
    } else {
        const char *const *names = out.limited ? employer_columns : assignment_columns;
        size_t n = out.limited ? 8 : 11;
        for (size_t i = 0; i < n; i++)
            printf("%s%s", names[i], i + 1 < n ? "," : "\n");
    }
    code = each_assignment(s, id, side, unmatched, print_assignment, &out);
    if (out.rows) {
        if (code == 0)
            code = fm_cli_json_print(json_pack("{s:I,s:o}", "round", (json_int_t)id,
                                               "assignments", out.rows));
        else
            json_decref(out.rows);
    }
    if (fflush(stdout) != 0 && code == 0) {
        say_error("cannot write to stdout: %s", strerror(errno));
        code = FM_EXIT_FAILED;
    }
    return code;
}

/* ---- round confirm / decline --------------------------------------------------------- */

static void usage_decide(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round confirm|decline ID\n"
        "                 placements|mentors STUDENT_REF\n"
        "\n"
        "Confirms or declines a proposed match of a finished round: a school for its\n"
        "pupils, an employer for its placements, a coordinator for anyone.\n");
}

static int cmd_round_decide(session *s, int argc, char **argv)
{
    int confirm = strcmp(argv[0], "confirm") == 0;
    uint64_t id;
    Fairmatch__V1__Side side;
    if (is_help(argc, argv)) {
        usage_decide(stdout);
        return FM_EXIT_OK;
    }
    if (argc != 4 || parse_id(argv[1], &id) != 0 || parse_side(argv[2], &side) != 0)
        return round_usage(argv[0], "needs a round ID, placements or mentors, and a "
                           "student_ref");
    int code = need_token(s);
    if (code != 0 || (code = session_open(s)) != 0)
        return code;
    Request req = FAIRMATCH__V1__REQUEST__INIT;
    Fairmatch__V1__DecideAssignmentRequest q = FAIRMATCH__V1__DECIDE_ASSIGNMENT_REQUEST__INIT;
    q.round_id = id;
    q.side = side;
    q.student_ref = argv[3];
    q.decision = confirm ? FAIRMATCH__V1__DECISION__DECISION_CONFIRM
                         : FAIRMATCH__V1__DECISION__DECISION_DECLINE;
    req.method_case = FAIRMATCH__V1__REQUEST__METHOD_DECIDE_ASSIGNMENT;
    req.decide_assignment = &q;
    Response *r = NULL;
    if ((code = rpc(s, &req, CALL_TIMEOUT_MS, NULL, &r)) != 0)
        return code;
    if (fm_cli_json)
        code = fm_cli_json_print(json_pack("{s:I,s:s,s:s,s:s}", "round", (json_int_t)id,
                                           "side", side == SIDE(MENTORS) ? "mentors"
                                                                         : "placements",
                                           "student_ref", argv[3], "state",
                                           state_name(r->decide_assignment->state)));
    else
        printf("round %" PRIu64 ": %s %s: %s\n", id, argv[2], argv[3],
               state_name(r->decide_assignment->state));
    fm_client_response_free(r);
    return code;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static void usage_round(FILE *f)
{
    fprintf(f,
        "usage: fairmatch [--server HOST:PORT] [--token TOKEN] round SUBCOMMAND ...\n"
        "\n"
        "  run [--date D] [--policy FILE]   run a round and follow it to its end\n"
        "  show ID                          status, vectors, timings\n"
        "  list                             rounds, newest first\n"
        "  cancel ID                        stop a queued or running round\n"
        "  export ID --out OUT              write OUT as 'fairmatch solve' does\n"
        "  assignments ID                   the assignment rows, as CSV\n"
        "  confirm|decline ID SIDE STUDENT  decide a proposed match\n"
        "  rerun ID [--date D]    a new round keeping round ID's confirmed matches\n"
        "\n"
        "Run 'fairmatch round SUBCOMMAND --help' for its options.\n");
}

static int cmd_round(session *s, int argc, char **argv)
{
    if (argc < 2) {
        usage_round(stderr);
        return FM_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage_round(stdout);
        return FM_EXIT_OK;
    }
    argc--;
    argv++;
    if (strcmp(sub, "run") == 0)
        return cmd_round_run(s, argc, argv);
    if (strcmp(sub, "rerun") == 0)
        return cmd_round_rerun(s, argc, argv);
    if (strcmp(sub, "show") == 0)
        return cmd_round_show(s, argc, argv);
    if (strcmp(sub, "list") == 0)
        return cmd_round_list(s, argc, argv);
    if (strcmp(sub, "cancel") == 0)
        return cmd_round_cancel(s, argc, argv);
    if (strcmp(sub, "export") == 0)
        return cmd_round_export(s, argc, argv);
    if (strcmp(sub, "assignments") == 0)
        return cmd_round_assignments(s, argc, argv);
    if (strcmp(sub, "confirm") == 0 || strcmp(sub, "decline") == 0)
        return cmd_round_decide(s, argc, argv);
    fprintf(stderr, "fairmatch: error: unknown round subcommand '%s'\n", sub);
    usage_round(stderr);
    return FM_EXIT_USAGE;
}

int fm_cli_client_is_command(const char *name)
{
    return strcmp(name, "status") == 0 || strcmp(name, "health") == 0 ||
           strcmp(name, "import") == 0 ||
           strcmp(name, "withdraw") == 0 || strcmp(name, "round") == 0;
}

void fm_cli_client_usage(FILE *f)
{
    fprintf(f,
        "  status    is the daemon up, and who is this token\n"
        "  health    exit 0 if the daemon answers (for service managers), else 1\n"
        "  import    send a CSV file of students, placements, mentors or schools\n"
        "  withdraw  take rows out of future rounds\n"
        "  round     run, show, list, cancel, export a round; its assignments\n");
}

int fm_cli_client(const char *server, const char *token, int argc, char **argv)
{
    session s;
    memset(&s, 0, sizeof s);
    s.server = server;
    s.token = token;
    int code;
    const char *cmd = argv[0];
    if (strcmp(cmd, "status") == 0)
        code = cmd_status(&s, argc, argv);
    else if (strcmp(cmd, "health") == 0)
        code = cmd_health(&s, argc, argv);
    else if (strcmp(cmd, "import") == 0)
        code = cmd_import(&s, argc, argv);
    else if (strcmp(cmd, "withdraw") == 0)
        code = cmd_withdraw(&s, argc, argv);
    else
        code = cmd_round(&s, argc, argv);
    session_close(&s);
    if (fflush(stdout) != 0 && code == FM_EXIT_OK) {
        say_error("cannot write to stdout: %s", strerror(errno));
        code = FM_EXIT_FAILED;
    }
    return code;
}
