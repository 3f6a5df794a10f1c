/*
 * config.c - defaults and the config file (config.h).
 *
 * Normal case: each `key = value` line is trimmed, the key looked up in a
 * table and the value parsed into its field with its range checked.
 * Failure cases: an unreadable file (FM_EIO), an unknown key, a missing
 * `=`, a value that is not a number or is out of range (FM_EINVAL): err
 * names the file, the line and the key; *c may then hold part of the file.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
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
    c->write_queue_limit = (size_t)32 * 1024 * 1024;
    c->max_connections = 256;
    c->max_inflight = 64;
    c->max_rounds = 2;
    c->max_round_seconds = 0;
    c->max_upload = (size_t)256 * 1024 * 1024;
    c->shutdown_grace_s = 30;
    c->log_level = FM_LOG_INFO;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
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

int fm_config_read(fm_config *c, const char *path, fm_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err->file, sizeof err->file, "%s", path);
        return fm_error_set(err, FM_EIO, "cannot read the config file: %s", strerror(errno));
    }
    char buf[8192];
    long lineno = 0;
    int rc = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        char *s = trim(buf);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        snprintf(err->file, sizeof err->file, "%s", path);
        err->line = lineno;
        if (!eq) {
            rc = fm_error_set(err, FM_EINVAL, "expected `key = value`");
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const char *expected = "";
        int k = set_key(c, key, val, &expected);
        if (k == -2) {
            snprintf(err->field, sizeof err->field, "%.63s", key);
            rc = fm_error_set(err, FM_EINVAL, "unknown key; known keys: listen, db, "
                              "max_frame_bytes, idle_timeout_s, write_queue_limit_bytes, "
                              "max_connections, max_inflight, max_rounds, max_round_seconds, "
                              "max_upload_bytes, shutdown_grace_s, log_level");
            break;
        }
        if (k != 0) {
            snprintf(err->field, sizeof err->field, "%.63s", key);
            rc = fm_error_set(err, FM_EINVAL, "expected %s", expected);
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err->file, sizeof err->file, "%s", path);
        rc = fm_error_set(err, FM_EIO, "cannot read the config file");
    }
    fclose(f);
    if (rc == 0)
        fm_error_clear(err);
    return rc;
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
