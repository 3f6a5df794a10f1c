/*
 * log.c - structured one-line logs (log.h).
 *
 * Normal case: the line is built in a stack buffer (timestamp, level,
 * event, then the pairs) and written with one write(2), so lines from
 * worker threads never interleave.  Values that need it are quoted.
 * When stderr is the systemd journal (JOURNAL_STREAM names stderr's device
 * and inode, as systemd sets it for a service), each line starts with the
 * syslog priority, "<7>" debug, "<6>" info, "<4>" warn, "<3>" error, which
 * journald takes as the entry's priority and strips (sd-daemon(3)), so
 * `journalctl -p warning -u fairmatchd` works; the rest of the line is the
 * same key=value text.
 * Failure cases: an over-long line is cut and marked truncated=1; a write
 * error is ignored (there is nowhere else to report it).
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048

static volatile int min_level = FM_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const journal_prefixes[] = {"<7>", "<6>", "<4>", "<3>"};

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal;

/* Is stderr the journal stream systemd gave this service? */
static void detect_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
        (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
        to_journal = 1;
}

void fm_log_set_level(fm_log_level level)
{
    min_level = (int)level;
}

int fm_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    int cut;
} line;

static void put(line *l, const char *s, size_t n)
{
    /* Keep room for " truncated=1\n". */
    size_t room = LINE_MAX_BYTES - 16;
    if (l->len + n > room) {
        n = l->len < room ? room - l->len : 0;
        l->cut = 1;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static int needs_quotes(const char *v)
{
    if (*v == '\0')
        return 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

static void put_value(line *l, const char *v)
{
    if (!needs_quotes(v)) {
        puts_(l, v);
        return;
    }
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(l, esc, 2);
        } else if (*p < ' ' || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
            put(l, esc, 4);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    put(l, "\"", 1);
}

static void start(line *l, fm_log_level level, const char *event)
{
    l->len = 0;
    l->cut = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    pthread_once(&journal_once, detect_journal);
    int lv = level >= 0 && level <= 3 ? (int)level : 1;
    char head[96];
    int n = snprintf(head, sizeof head, "%sts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=",
                     to_journal ? journal_prefixes[lv] : "", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
                     level_names[lv]);
    put(l, head, (size_t)n);
    put_value(l, event);
}

static void finish(line *l)
{
    if (l->cut) {
        static const char t[] = " truncated=1";
        memcpy(l->buf + l->len, t, sizeof t - 1);
        l->len += sizeof t - 1;
    }
    l->buf[l->len++] = '\n';
    ssize_t w = write(STDERR_FILENO, l->buf, l->len);
    (void)w;
}

void fm_log(fm_log_level level, const char *event, ...)
{
    if ((int)level < min_level)
        return;
    line l;
    start(&l, level, event);
    va_list ap;
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        put(&l, " ", 1);
        puts_(&l, k);
        put(&l, "=", 1);
        put_value(&l, v ? v : "");
    }
    va_end(ap);
    finish(&l);
}

void fm_logf(fm_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < min_level)
        return;
    line l;
    start(&l, level, event);
    char tail[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    if (n > 0) {
        put(&l, " ", 1);
        if ((size_t)n >= sizeof tail) {
            n = (int)sizeof tail - 1;
            l.cut = 1;
        }
        put(&l, tail, (size_t)n);
    }
    finish(&l);
}
