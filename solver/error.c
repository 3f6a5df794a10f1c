/*
 * error.c - filling and printing fm_error (see error.h).
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fm_error_clear(fm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int fm_error_set(fm_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void fm_error_format(const fm_error *err, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
#define PUT(...) do { \
        if (n < size) { \
            int k = snprintf(buf + n, size - n, __VA_ARGS__); \
            if (k > 0) n += (size_t)k; \
        } \
    } while (0)
    if (err->file[0]) {
        PUT("%s", err->file);
        if (err->line > 0)
            PUT(":%ld", err->line);
        if (err->column > 0)
            PUT(":%ld", err->column);
        PUT(": ");
    }
    if (err->field[0])
        PUT("%s: ", err->field);
    PUT("%s", err->message[0] ? err->message : fm_error_code_name(err->code));
    if (err->id[0])
        PUT(" (%s)", err->id);
#undef PUT
}

const char *fm_error_code_name(int code)
{
    switch (code) {
    case FM_OK: return "ok";
    case FM_EINVAL: return "invalid";
    case FM_ENOMEM: return "nomem";
    case FM_EIO: return "io";
    case FM_EINFEASIBLE: return "infeasible";
    case FM_ELIMIT: return "limit";
    case FM_EINTERNAL: return "internal";
    case FM_ECANCELLED: return "cancelled";
    case FM_EFULL: return "full";
    case FM_EREADONLY: return "readonly";
    default: return "unknown";
    }
}
