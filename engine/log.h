/*
 * log.h - the daemon's structured log: one line per event on stderr,
 *
 *     ts=2027-06-14T09:30:01.123Z level=info event=round_done round=7 n1=12 ...
 *
 * key=value pairs, values without spaces or quoted with "..." (a value
 * holding a space, a quote or a control character is quoted and escaped).
 * What may appear: ids the daemon made (connection, request, round), role
 * names, method names, counts, durations, error codes and the *place* of an
 * error (line, column, field name).  What never appears: tokens, refs of
 * pupils, values from a row (birth dates, locations, flags, names), CSV
 * text, error messages that quote input.  Callers pass only such values;
 * this module cannot tell, so it offers no "message" convenience.
 *
 * Failure: a line that does not fit the line buffer (2 KiB) is cut and
 * ends with `truncated=1`; a failed write to stderr is ignored.  Safe to
 * call from any thread (one write(2) per line).
 */
#ifndef FM_LOG_H
#define FM_LOG_H

typedef enum fm_log_level {
    FM_LOG_DEBUG = 0,
    FM_LOG_INFO = 1,
    FM_LOG_WARN = 2,
    FM_LOG_ERROR = 3
} fm_log_level;

/* Lines below level are dropped (default FM_LOG_INFO). */
void fm_log_set_level(fm_log_level level);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int fm_log_level_parse(const char *name);

/* Logs event with pairs given as alternating key, value strings, ending
 * with NULL:  fm_log(FM_LOG_INFO, "conn_open", "conn", "12", NULL); */
void fm_log(fm_log_level level, const char *event, ...);

/* Like fm_log, with a printf-formatted tail of pairs appended verbatim
 * (the caller formats only numbers and known-safe words into it):
 *     fm_logf(FM_LOG_INFO, "round_done", "round=%lld n1=%lld", ...); */
void fm_logf(fm_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
