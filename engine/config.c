/*
 * config.c - defaults and the config file (config.h).
 *
 * Normal case: Debian's libinih splits the INI file into sections and
 * `key = value` pairs; each key is looked up in a table of the section it
 * belongs in and its value parsed into its field with its range checked.
 * Failure cases: an unreadable file (FM_EIO), an unknown key, a key in the
 * wrong section, a line that is not `key = value`, `[section]` or a
 * comment, an over-long line, a value that is not a number or is out of
 * range (FM_EINVAL): err names the file, the line and the key; reading
 * stops at the first error and *c may then hold part of the file.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"

void fm_config_init(fm_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:7433");
    snprintf(c->db_path, sizeof c->db_path, "./fairmatch.db");
    c->max_frame = FM_FRAME_DEFAULT_MAX;
    c->idle_timeout_ms = 300 * 1000;
    c->frame_timeout_ms = 60 * 1000;
    c->write_queue_limit = (size_t)4 * 1024 * 1024;
    c->max_connections = 256;
    c->max_inflight = 64;
    c->max_rounds = 2;
    c->max_round_seconds = 0;
    c->max_upload = (size_t)256 * 1024 * 1024;
    c->shutdown_grace_s = 30;
    c->log_level = FM_LOG_INFO;
    c->retention_days = 365;
}

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!*v || !isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_seconds(const char *v, double hi, double *out)
{
    if (!*v || !(isdigit((unsigned char)*v) || *v == '.'))
        return -1;
    errno = 0;
    char *end;
    double x = strtod(v, &end);
    if (errno || *end || !(x >= 0 && x <= hi))
        return -1;
    *out = x;
    return 0;
}

static int set_key(fm_config *c, const char *key, const char *v, const char **expected)
{
    uint64_t u;
    double d;
    if (strcmp(key, "listen") == 0) {
        *expected = "HOST:PORT";
        if (!*v || strlen(v) >= sizeof c->listen)
            return -1;
        snprintf(c->listen, sizeof c->listen, "%s", v);
    } else if (strcmp(key, "db") == 0) {
        *expected = "a path";
        if (!*v || strlen(v) >= sizeof c->db_path)
            return -1;
        snprintf(c->db_path, sizeof c->db_path, "%s", v);
    } else if (strcmp(key, "max_frame_bytes") == 0) {
        *expected = "a byte count from 16384 to 4294967295";
        if (parse_u64(v, FM_FRAME_PREAUTH_MAX, FM_FRAME_LIMIT_MAX, &u))
            return -1;
        c->max_frame = (size_t)u;
    } else if (strcmp(key, "idle_timeout_s") == 0) {
        *expected = "seconds, 0 to 86400";
        if (parse_u64(v, 0, 86400, &u))
            return -1;
        c->idle_timeout_ms = u * 1000;
    } else if (strcmp(key, "frame_timeout_s") == 0) {
        *expected = "seconds, 0 to 86400";
        if (parse_u64(v, 0, 86400, &u))
            return -1;
        c->frame_timeout_ms = u * 1000;
    } else if (strcmp(key, "write_queue_limit_bytes") == 0) {
        *expected = "a byte count of at least 65536";
        if (parse_u64(v, 65536, UINT64_MAX / 2, &u))
            return -1;
        c->write_queue_limit = (size_t)u;
    } else if (strcmp(key, "max_connections") == 0) {
        *expected = "a number from 1 to 100000";
        if (parse_u64(v, 1, 100000, &u))
            return -1;
        c->max_connections = (unsigned)u;
    } else if (strcmp(key, "max_inflight") == 0) {
        *expected = "a number from 1 to 10000";
        if (parse_u64(v, 1, 10000, &u))
            return -1;
        c->max_inflight = (unsigned)u;
    } else if (strcmp(key, "max_rounds") == 0) {
        *expected = "a number from 1 to 64";
        if (parse_u64(v, 1, 64, &u))
            return -1;
        c->max_rounds = (unsigned)u;
    } else if (strcmp(key, "max_round_seconds") == 0) {
        *expected = "seconds, 0 (none) or more";
        if (parse_seconds(v, 1e9, &d))
            return -1;
        c->max_round_seconds = d;
    } else if (strcmp(key, "max_upload_bytes") == 0) {
        *expected = "a byte count of at least 16384";
        if (parse_u64(v, 16384, UINT64_MAX / 2, &u))
            return -1;
        c->max_upload = (size_t)u;
    } else if (strcmp(key, "shutdown_grace_s") == 0) {
        *expected = "seconds, 0 to 3600";
        if (parse_seconds(v, 3600, &d))
            return -1;
        c->shutdown_grace_s = d;
    } else if (strcmp(key, "retention_days") == 0) {
        *expected = "days, 0 (keep forever) to 36500";
        if (parse_u64(v, 0, 36500, &u))
            return -1;
        c->retention_days = (unsigned)u;
    } else if (strcmp(key, "db_max_bytes") == 0) {
        /* For tests of a full disk where no small filesystem can be mounted. */
        *expected = "a byte count, 0 (no limit) or at least 65536";
        if (parse_u64(v, 0, UINT64_MAX / 2, &u) || (u && u < 65536))
            return -1;
        c->db_max_bytes = u;
    } else if (strcmp(key, "log_level") == 0) {
        *expected = "debug, info, warn or error";
        int l = fm_log_level_parse(v);
        if (l < 0)
            return -1;
        c->log_level = l;
    } else {
        return -2;
    }
    return 0;
}

/* Which section each key belongs in; set_key() parses the value.  A key
 * added to set_key() needs a row here too, or it reads as unknown. */
static const struct {
    const char *key, *section;
} key_sections[] = {
    {"listen", "server"},
    {"max_frame_bytes", "server"},
    {"idle_timeout_s", "server"},
    {"frame_timeout_s", "server"},
    {"write_queue_limit_bytes", "server"},
    {"max_connections", "server"},
    {"max_inflight", "server"},
    {"max_upload_bytes", "server"},
    {"shutdown_grace_s", "server"},
    {"db", "store"},
    {"retention_days", "store"},
    {"db_max_bytes", "store"},
    {"max_rounds", "rounds"},
    {"max_round_seconds", "rounds"},
    {"log_level", "log"},
};

#define CONFIG_MAX_LINE 8192

/* One file being read: inih calls next_line() for every physical line and
 * on_key() for every key, so `line` is the line of the key at hand. */
typedef struct reading {
    fm_config *c;
    fm_error *err;
    const char *path;
    FILE *f;
    long line;
    int rc;            /* the first error, 0 while there is none */
} reading;

static int fail_at(reading *r, const char *key, int code, const char *fmt, const char *arg)
{
    snprintf(r->err->file, sizeof r->err->file, "%s", r->path);
    r->err->line = r->line;
    if (key)
        snprintf(r->err->field, sizeof r->err->field, "%.63s", key);
    r->rc = fm_error_set(r->err, code, fmt, arg);
    return 0;
}

static char *next_line(char *str, int num, void *stream)
{
    reading *r = stream;
    if (r->rc)
        return NULL;   /* stop at the first error */
    char *s = fgets(str, num, r->f);
    if (!s)
        return NULL;
    r->line++;
    size_t n = strlen(s);
    if (n && s[n - 1] != '\n' && !feof(r->f)) {
        fail_at(r, NULL, FM_EINVAL, "a line longer than %s characters", "8190");
        return NULL;
    }
    return s;
}

static int on_key(void *user, const char *section, const char *key, const char *val)
{
    reading *r = user;
    if (r->rc)
        return 1;
    const char *home = NULL;
    for (size_t i = 0; i < sizeof key_sections / sizeof key_sections[0]; i++)
        if (strcmp(key_sections[i].key, key) == 0)
            home = key_sections[i].section;
    if (!home)
        return fail_at(r, key, FM_EINVAL, "%s", "unknown key; known keys: [server] listen, "
                       "max_frame_bytes, idle_timeout_s, frame_timeout_s, write_queue_limit_bytes, "
                       "max_connections, max_inflight, max_upload_bytes, shutdown_grace_s; "
                       "[store] db, retention_days, db_max_bytes; [rounds] max_rounds, max_round_seconds; [log] log_level");
    /* Keys before the first section are read as in the sectionless format. */
    if (*section && strcmp(section, home) != 0)
        return fail_at(r, key, FM_EINVAL, "this key belongs in section [%s]; move it there",
                       home);
    const char *expected = "";
    if (set_key(r->c, key, val, &expected) != 0)
        return fail_at(r, key, FM_EINVAL, "expected %s", expected);
    return 1;
}

int fm_config_read(fm_config *c, const char *path, fm_error *err)
{
    reading r = {.c = c, .err = err, .path = path};
    r.f = fopen(path, "r");
    if (!r.f) {
        snprintf(err->file, sizeof err->file, "%s", path);
        return fm_error_set(err, FM_EIO, "cannot read the config file: %s", strerror(errno));
    }
    ini_max_line = CONFIG_MAX_LINE;
    ini_allow_multiline = false;   /* an indented line is a key of its own */
    ini_stop_on_first_error = true;
    int bad_line = ini_parse_stream(next_line, &r, on_key, &r);
    if (r.rc == 0 && ferror(r.f)) {
        snprintf(err->file, sizeof err->file, "%s", path);
        r.rc = fm_error_set(err, FM_EIO, "cannot read the config file");
    }
    if (r.rc == 0 && bad_line != 0) {
        /* inih found a line that is neither `key = value`, `[section]` nor a comment. */
        snprintf(err->file, sizeof err->file, "%s", path);
        err->line = bad_line > 0 ? bad_line : 0;
        r.rc = fm_error_set(err, bad_line > 0 ? FM_EINVAL : FM_ENOMEM,
                            bad_line > 0 ? "expected `key = value`, `[section]` or a comment"
                                         : "out of memory reading the config file");
    }
    fclose(r.f);
    if (r.rc == 0)
        fm_error_clear(err);
    return r.rc;
}

int fm_config_split_listen(const char *listen, char *host, size_t size, int *port,
                           fm_error *err)
{
    const char *colon;
    const char *h = listen;
    size_t hlen;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            goto bad;
        h = listen + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            goto bad;
        hlen = (size_t)(colon - listen);
    }
    if (hlen == 0 || hlen >= size)
        goto bad;
    uint64_t p;
    if (parse_u64(colon + 1, 0, 65535, &p))
        goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
bad:
    snprintf(err->field, sizeof err->field, "listen");
    return fm_error_set(err, FM_EINVAL, "\"%.200s\" is not HOST:PORT (e.g. 127.0.0.1:7433 "
                        "or [::1]:7433)", listen);
}
