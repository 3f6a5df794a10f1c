/*
 * csv_reader.c - the generic part of reading a files.md CSV file: libcsv,
 * physical line numbers, the header, and the value parsers (see
 * csv_reader.h).
 *
 * Normal case: fm_csv_parse() skips a UTF-8 BOM, then feeds libcsv one
 * physical line at a time (a line ends at LF, CRLF, or a CR not followed by
 * LF -- the same bytes that end a row for libcsv).  libcsv calls back once
 * per field and once per row; because every row ends at the end of a line
 * we fed, the reader always knows the line it is on:
 *   - a row starts on the first line, after the previous row, that holds
 *     anything but spaces, tabs and line ends (libcsv skips blank lines);
 *   - a field ends on the line being fed, and starts as many lines earlier
 *     as it holds line breaks (only a quoted field can hold any).
 * Fields are trimmed and copied into one row buffer that is reused, so a row
 * costs no allocation once the buffers have grown.  The first row is the
 * header: its names are matched to the file type's columns (trimmed,
 * case-insensitively); an unknown or unnamed column is ignored with a
 * warning.  Every later row that is not entirely empty goes to the file
 * type's row function, which reads its values with the fm_csv_get_*
 * parsers.
 *
 * Failure cases, each filling fm_error with file, line, column and field and
 * stopping the parse at once: bad quoting (libcsv's strict mode: a quote in
 * an unquoted field, or text after a closing quote), a quoted field still
 * open at the end of the file, a NUL byte or invalid UTF-8 in a field that
 * is read, a duplicate header name, a missing required column, more than
 * FM_CSV_MAX_COLUMNS columns, a row with a different number of fields than
 * the header, no header at all (FM_EINVAL); a bad value, through the row
 * function (FM_EINVAL); memory (FM_ENOMEM, here or inside libcsv).  Nothing
 * here touches a region: keeping a failed file out of it is the file type's
 * job (csv_students.c and the others roll back).  Parsing numbers uses
 * strtod, so LC_NUMERIC must be "C" (the default).
 */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUOTE_MAX 60 /* bytes of a value shown in a message */

typedef struct field {
    size_t off, len; /* in buf; the value is NUL-terminated there */
    long line;       /* physical line where the field starts */
} field;

/* A '|' list split into trimmed items (pointers into text). */
typedef struct list {
    char *text;
    size_t cap_text;
    const char **items;
    size_t cap_items;
} list;

struct fm_csv_reader {
    const char *name;
    const fm_csv_column *cols;
    size_t n_cols;
    fm_csv_row_fn row_fn;
    void *ctx;
    fm_csv_warnings *warn;
    fm_error *err;

    /* The header. */
    int have_header;
    size_t n_header;
    int col_field[FM_CSV_MAX_COLUMNS];   /* column -> field index, -1 absent */
    int field_col[FM_CSV_MAX_COLUMNS];   /* field index -> column, -1 unknown */

    /* The row being read. */
    char *buf;
    size_t buf_len, buf_cap;
    field *fields;
    size_t n_stored, cap_fields;
    size_t n_fields;      /* fields seen, including those not stored */
    int row_nonempty;     /* some field is not blank */
    long line;            /* physical line being fed to libcsv */
    long row_line;        /* line where the current row starts, 0: none yet */
    long last_end_line;   /* line where the row's last field ended */
    int status;           /* 0 or the first failure */
    char id[96];

    /* Scratch for the list parsers, valid until the next row. */
    list sectors_list, weeks_list;
    int32_t *weeks;
    size_t cap_weeks;
};

/* ---- small helpers ---------------------------------------------------- */

int fm_csv_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    if (nc > SIZE_MAX / elem)
        return FM_ENOMEM;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return FM_ENOMEM;
    memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
    *arr = p;
    *cap = nc;
    return 0;
}

static int is_blank_char(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* Line breaks in a field's raw text: LF, CRLF or a lone CR. */
static long count_breaks(const char *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            n++;
        else if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
            n++;
    }
    return n;
}

/* Valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF)? */
static int utf8_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return 0;
        if (len - i - 1 < n)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += n + 1;
    }
    return 1;
}

void fm_csv_quote(char *buf, size_t size, const char *value)
{
    size_t n = 0;
    if (size == 0)
        return;
#define PUTC(ch) do { if (n + 1 < size) buf[n++] = (char)(ch); } while (0)
    PUTC('"');
    size_t len = strlen(value), shown = len;
    if (shown > QUOTE_MAX) {
        shown = QUOTE_MAX;
        while (shown > 0 && ((unsigned char)value[shown] & 0xC0) == 0x80)
            shown--; /* do not cut a UTF-8 sequence */
    }
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '"' || c == '\\') {
            PUTC('\\');
            PUTC(c);
        } else if (c == '\n') {
            PUTC('\\');
            PUTC('n');
        } else if (c == '\r') {
            PUTC('\\');
            PUTC('r');
        } else if (c == '\t') {
            PUTC('\\');
            PUTC('t');
        } else if (c < 0x20 || c == 0x7f) {
            char hex[5];
            snprintf(hex, sizeof hex, "\\x%02x", c);
            for (int k = 0; k < 4; k++)
                PUTC(hex[k]);
        } else {
            PUTC(c);
        }
    }
    if (shown < len) {
        PUTC('.');
        PUTC('.');
        PUTC('.');
    }
    PUTC('"');
#undef PUTC
    buf[n] = '\0';
}

/* ---- errors and warnings ---------------------------------------------- */

static int vfail(fm_csv_reader *rd, size_t column, long line, const char *field_name,
                 int code, const char *fmt, va_list ap)
{
    fm_error *e = rd->err;
    copy_str(e->file, sizeof e->file, rd->name);
    e->line = line;
    e->column = (long)column;
    copy_str(e->field, sizeof e->field, field_name);
    copy_str(e->id, sizeof e->id, rd->id);
    e->code = code;
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    rd->status = code;
    return code;
}

/* Fails at field index idx (SIZE_MAX: the row as a whole) on line. */
static int fail_at(fm_csv_reader *rd, size_t idx, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static const char *header_name(const fm_csv_reader *rd, size_t idx);

static int fail_at(fm_csv_reader *rd, size_t idx, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(rd, idx == SIZE_MAX ? 0 : idx + 1, line,
                   idx == SIZE_MAX ? "" : header_name(rd, idx), FM_EINVAL, fmt, ap);
    va_end(ap);
    return rc;
}

/* Fails with an explicit 1-based column (0: none) and field name. */
static int fail_named(fm_csv_reader *rd, size_t column, long line, const char *field_name,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail_named(fm_csv_reader *rd, size_t column, long line, const char *field_name,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(rd, column, line, field_name, FM_EINVAL, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_nomem(fm_csv_reader *rd)
{
    fm_error *e = rd->err;
    copy_str(e->file, sizeof e->file, rd->name);
    e->line = rd->line;
    e->column = 0;
    e->field[0] = '\0';
    copy_str(e->id, sizeof e->id, rd->id);
    fm_error_set(e, FM_ENOMEM, "out of memory while reading the file");
    rd->status = FM_ENOMEM;
    return FM_ENOMEM;
}

int fm_csv_fail(fm_csv_reader *rd, int col, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc;
    if (col < 0) {
        rc = vfail(rd, 0, rd->row_line, "", code, fmt, ap);
    } else {
        int idx = rd->col_field[col];
        if (idx < 0)
            rc = vfail(rd, 0, rd->row_line, rd->cols[col].name, code, fmt, ap);
        else
            rc = vfail(rd, (size_t)idx + 1, rd->fields[idx].line, rd->cols[col].name,
                       code, fmt, ap);
    }
    va_end(ap);
    return rc;
}

static void warn(fm_csv_reader *rd, long line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(fm_csv_reader *rd, long line, size_t column, const char *fmt, ...)
{
    fm_csv_warnings *w = rd->warn;
    if (!w)
        return;
    size_t k = w->count++;
    if (k >= FM_CSV_WARNINGS_MAX)
        return;
    char *t = w->text[k];
    int n = snprintf(t, FM_CSV_WARNING_LEN, "%s:%ld:%zu: ", rd->name, line, column);
    if (n < 0 || n >= FM_CSV_WARNING_LEN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t + n, FM_CSV_WARNING_LEN - (size_t)n, fmt, ap);
    va_end(ap);
}

void fm_csv_warnings_clear(fm_csv_warnings *w)
{
    if (w)
        memset(w, 0, sizeof *w);
}

/* ---- libcsv callbacks ------------------------------------------------- */

static const char *header_name(const fm_csv_reader *rd, size_t idx)
{
    if (!rd->have_header || idx >= rd->n_header || idx >= FM_CSV_MAX_COLUMNS)
        return "";
    int col = rd->field_col[idx];
    return col >= 0 ? rd->cols[col].name : "";
}

static void on_field(void *s, size_t len, void *data)
{
    fm_csv_reader *rd = data;
    if (rd->status)
        return;
    const char *v = s ? s : "";
    size_t idx = rd->n_fields++;
    long line = rd->line;
    if (rd->row_line != rd->line)
        line -= count_breaks(v, len); /* the row spans lines: so may this field */
    rd->last_end_line = rd->line;

    size_t limit = rd->have_header ? rd->n_header : FM_CSV_MAX_COLUMNS;
    if (idx >= limit) {
        /* Counted, and reported by on_row unless the whole row is blank. */
        for (size_t i = 0; i < len && !rd->row_nonempty; i++)
            rd->row_nonempty = !is_blank_char((unsigned char)v[i]);
        return;
    }
    int checked = !rd->have_header || rd->field_col[idx] >= 0;
    if (checked && memchr(v, '\0', len)) {
        fail_at(rd, idx, line, "the field holds a NUL byte; is this a CSV text file?");
        return;
    }
    if (checked && !utf8_ok((const unsigned char *)v, len)) {
        fail_at(rd, idx, line, "the field is not valid UTF-8 text; save the file as UTF-8");
        return;
    }
    while (len > 0 && is_blank_char((unsigned char)*v)) {
        v++;
        len--;
    }
    while (len > 0 && is_blank_char((unsigned char)v[len - 1]))
        len--;
    if (len > 0)
        rd->row_nonempty = 1;
    if (fm_csv_grow((void **)&rd->buf, &rd->buf_cap, rd->buf_len + len + 1, 1) < 0 ||
        fm_csv_grow((void **)&rd->fields, &rd->cap_fields, rd->n_stored + 1,
                    sizeof *rd->fields) < 0) {
        fail_nomem(rd);
        return;
    }
    if (len)
        memcpy(rd->buf + rd->buf_len, v, len);
    rd->buf[rd->buf_len + len] = '\0';
    rd->fields[rd->n_stored++] = (field){rd->buf_len, len, line};
    rd->buf_len += len + 1;
}

static const char *stored(const fm_csv_reader *rd, size_t idx)
{
    return rd->buf + rd->fields[idx].off;
}

static int take_header(fm_csv_reader *rd)
{
    if (rd->n_fields > FM_CSV_MAX_COLUMNS)
        return fail_at(rd, SIZE_MAX, rd->row_line,
                       "the header has %zu columns; at most %d are allowed",
                       rd->n_fields, FM_CSV_MAX_COLUMNS);
    for (size_t k = 0; k < rd->n_cols; k++)
        rd->col_field[k] = -1;
    for (size_t i = 0; i < rd->n_fields; i++) {
        const char *name = stored(rd, i);
        rd->field_col[i] = -1;
        for (size_t j = 0; j < i && name[0]; j++)
            if (strcasecmp(name, stored(rd, j)) == 0) {
                char q[QUOTE_MAX * 2 + 8];
                fm_csv_quote(q, sizeof q, name);
                return fail_named(rd, i + 1, rd->fields[i].line, name,
                                  "duplicate column %s: column %zu has the same name",
                                  q, j + 1);
            }
        for (size_t k = 0; k < rd->n_cols; k++)
            if (strcasecmp(name, rd->cols[k].name) == 0) {
                rd->col_field[k] = (int)i;
                rd->field_col[i] = (int)k;
            }
        if (rd->field_col[i] < 0) {
            if (name[0]) {
                char q[QUOTE_MAX * 2 + 8];
                fm_csv_quote(q, sizeof q, name);
                warn(rd, rd->fields[i].line, i + 1, "unknown column %s ignored", q);
            } else {
                warn(rd, rd->fields[i].line, i + 1, "column %zu has no name; ignored", i + 1);
            }
        }
    }
    rd->have_header = 1;
    rd->n_header = rd->n_fields;
    for (size_t k = 0; k < rd->n_cols; k++)
        if (rd->cols[k].required && rd->col_field[k] < 0)
            return fm_csv_fail(rd, (int)k, FM_EINVAL,
                               "the required column \"%s\" is missing from the header",
                               rd->cols[k].name);
    return 0;
}

static void on_row(int c, void *data)
{
    (void)c;
    fm_csv_reader *rd = data;
    if (!rd->status) {
        if (!rd->have_header) {
            take_header(rd);
        } else if (!rd->row_nonempty) {
            /* ",,,": an empty row, as spreadsheets leave; skipped. */
        } else if (rd->n_fields != rd->n_header) {
            /* The column is the first missing or the first extra field. */
            fail_at(rd, rd->n_fields < rd->n_header ? rd->n_fields : rd->n_header,
                    rd->row_line, "the row has %zu fields, but the header has %zu",
                    rd->n_fields, rd->n_header);
        } else {
            rd->id[0] = '\0';
            int rc = rd->row_fn(rd, rd->ctx);
            if (rc < 0 && !rd->status) /* a row function that forgot the error */
                fm_csv_fail(rd, -1, rc, "the row could not be taken");
            rd->status = rc;
        }
    }
    rd->n_fields = rd->n_stored = rd->buf_len = 0;
    rd->id[0] = '\0';
    rd->row_line = 0;
    rd->row_nonempty = 0;
}

/* ---- the parse -------------------------------------------------------- */

int fm_csv_parse(const char *name, const char *data, size_t len,
                 const fm_csv_column *cols, size_t n_cols,
                 fm_csv_row_fn row, void *ctx,
                 fm_csv_warnings *w, fm_error *err)
{
    fm_error dummy;
    if (!err)
        err = &dummy;
    fm_error_clear(err);
    if (n_cols > FM_CSV_MAX_COLUMNS)
        return fm_error_set(err, FM_EINTERNAL, "too many columns declared");

    fm_csv_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = name ? name : "";
    rd.cols = cols;
    rd.n_cols = n_cols;
    rd.row_fn = row;
    rd.ctx = ctx;
    rd.warn = w;
    rd.err = err;

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return fail_nomem(&rd);
    csv_set_blk_size(&p, 4096);

    size_t pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len && !rd.status) {
        /* One physical line, with its line end. */
        size_t end = pos;
        int content = 0;
        while (end < len) {
            unsigned char c = (unsigned char)data[end++];
            if (c == '\n')
                break;
            if (c == '\r') {
                if (end < len && data[end] == '\n')
                    end++;
                break;
            }
            if (c != ' ' && c != '\t')
                content = 1;
        }
        rd.line++;
        if (!rd.row_line && content)
            rd.row_line = rd.last_end_line = rd.line;
        size_t n = csv_parse(&p, data + pos, end - pos, on_field, on_row, &rd);
        if (n != end - pos && !rd.status) {
            if (csv_error(&p) == CSV_EPARSE) {
                size_t col = rd.n_fields;
                fail_at(&rd, col, rd.line,
                        "bad quoting: a quote inside an unquoted field, or text after a "
                        "closing quote; quote the whole field and double each quote "
                        "inside it (\"\")");
            } else {
                fail_nomem(&rd);
            }
        }
        pos = end;
    }
    if (!rd.status && csv_fini(&p, on_field, on_row, &rd) != 0 && !rd.status)
        fail_at(&rd, rd.n_fields, rd.last_end_line,
                "a quoted field is still open at the end of the file: a closing quote "
                "(\") is missing");
    if (!rd.status && !rd.have_header) {
        fail_at(&rd, SIZE_MAX, 0,
                "the file is empty: expected a header row naming the columns");
        err->line = 0;
    }
    csv_free(&p);
    free(rd.buf);
    free(rd.fields);
    free(rd.sectors_list.text);
    free(rd.sectors_list.items);
    free(rd.weeks_list.text);
    free(rd.weeks_list.items);
    free(rd.weeks);
    if (rd.status == 0)
        fm_error_clear(err);
    return rd.status;
}

/* ---- files ------------------------------------------------------------ */

int fm_csv_slurp(const char *path, char **data, size_t *len, fm_error *err)
{
    fm_error dummy;
    if (!err)
        err = &dummy;
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fm_error_clear(err);
        copy_str(err->file, sizeof err->file, path);
        return fm_error_set(err, errno == ENOMEM ? FM_ENOMEM : FM_EIO, "cannot open the file: %s",
                            strerror(errno));
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (n + 1 >= cap && fm_csv_grow((void **)&buf, &cap, n + 65536, 1) < 0) {
            rc = FM_ENOMEM;
            break;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                rc = FM_EIO;
            break;
        }
    }
    int saved = errno;
    fclose(f);
    if (rc) {
        free(buf);
        fm_error_clear(err);
        copy_str(err->file, sizeof err->file, path);
        if (rc == FM_ENOMEM)
            return fm_error_set(err, rc, "out of memory while reading the file");
        return fm_error_set(err, rc, "cannot read the file: %s", strerror(saved));
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int fm_csv_read_path(fm_region *r, const char *path, fm_csv_mem_fn fn,
                     fm_csv_warnings *w, fm_error *err)
{
    char *data;
    size_t len;
    int rc = fm_csv_slurp(path, &data, &len, err);
    if (rc)
        return rc;
    rc = fn(r, path, data, len, w, err);
    free(data);
    return rc;
}

/* ---- access within a row ---------------------------------------------- */

int fm_csv_has(const fm_csv_reader *rd, int col)
{
    return rd->col_field[col] >= 0;
}

const char *fm_csv_value(const fm_csv_reader *rd, int col)
{
    int idx = rd->col_field[col];
    return idx < 0 ? "" : stored(rd, (size_t)idx);
}

long fm_csv_line(const fm_csv_reader *rd, int col)
{
    int idx = rd->col_field[col];
    return idx < 0 ? rd->row_line : rd->fields[idx].line;
}

long fm_csv_row_line(const fm_csv_reader *rd)
{
    return rd->row_line;
}

void fm_csv_set_id(fm_csv_reader *rd, const char *field_name, const char *value)
{
    snprintf(rd->id, sizeof rd->id, "%s %s", field_name, value);
}

/* ---- bare syntaxes ---------------------------------------------------- */

static int is_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

int fm_csv_parse_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > FM_CSV_ID_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_id_char((unsigned char)s[i]))
            return -1;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

#define YEAR_MIN 1900
#define YEAR_MAX 9999

/* 0 ok; 1 not the shape YYYY-MM-DD; 2 year; 3 month; 4 day. */
static int date_check(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 1;
    *y = digits(s, 4);
    *m = digits(s + 5, 2);
    *d = digits(s + 8, 2);
    if (*y < 0 || *m < 0 || *d < 0)
        return 1;
    if (*y < YEAR_MIN || *y > YEAR_MAX)
        return 2;
    if (*m < 1 || *m > 12)
        return 3;
    if (*d < 1 || *d > days_in_month(*y, *m))
        return 4;
    return 0;
}

int fm_csv_parse_date(const char *s, int32_t *yyyymmdd)
{
    int y, m, d;
    if (date_check(s, &y, &m, &d))
        return -1;
    *yyyymmdd = (int32_t)(y * 10000 + m * 100 + d);
    return 0;
}

int fm_csv_parse_bool(const char *s, uint8_t *out)
{
    if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Day of the week of 31 December of year y, 0 = Sunday (Gregorian). */
static int dec31_weekday(int y)
{
    return (y + y / 4 - y / 100 + y / 400) % 7;
}

int fm_csv_iso_weeks_in_year(int year)
{
    /* A year has 53 ISO weeks when it ends on a Thursday, or a Friday after
     * a Thursday-ending year (a leap year that starts on a Thursday). */
    return dec31_weekday(year) == 4 || dec31_weekday(year - 1) == 3 ? 53 : 52;
}

/* 0 ok; 1 shape; 2 year; 3 week number. */
static int week_check(const char *s, int *y, int *w)
{
    if (strlen(s) != 8 || s[4] != '-' || (s[5] != 'W' && s[5] != 'w'))
        return 1;
    *y = digits(s, 4);
    *w = digits(s + 6, 2);
    if (*y < 0 || *w < 0)
        return 1;
    if (*y < YEAR_MIN || *y > YEAR_MAX)
        return 2;
    if (*w < 1 || *w > fm_csv_iso_weeks_in_year(*y))
        return 3;
    return 0;
}

int fm_csv_parse_week(const char *s, int32_t *yyyyww)
{
    int y, w;
    if (week_check(s, &y, &w))
        return -1;
    *yyyyww = (int32_t)(y * 100 + w);
    return 0;
}

int fm_csv_parse_number(const char *s, double *out)
{
    /* [+-] digits [. digits] [e [+-] digits], at least one digit before e. */
    const char *p = s;
    int nd = 0;
    if (*p == '+' || *p == '-')
        p++;
    while (is_digit(*p)) {
        p++;
        nd++;
    }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            p++;
            nd++;
        }
    }
    if (nd == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p))
            p++;
    }
    if (*p)
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int fm_csv_parse_int(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    if (n == 0 || p[n] || n > 15)
        return -1;
    *out = strtol(s, NULL, 10);
    return 0;
}

/* ---- value parsers ---------------------------------------------------- */

#define QUOTED(q, v) char q[QUOTE_MAX * 2 + 16]; fm_csv_quote(q, sizeof q, v)

static const char *const ID_RULE = "1-64 characters: letters, digits, _ - .";

int fm_csv_get_id(fm_csv_reader *rd, int col, const char **out)
{
    const char *v = fm_csv_value(rd, col);
    *out = v;
    if (!v[0])
        return fm_csv_fail(rd, col, FM_EINVAL, "is blank; an id is required (%s)", ID_RULE);
    if (fm_csv_parse_id(v) == 0)
        return 0;
    QUOTED(q, v);
    size_t n = strlen(v);
    if (n > FM_CSV_ID_MAX)
        return fm_csv_fail(rd, col, FM_EINVAL, "%s is %zu characters long; an id has %s",
                           q, n, ID_RULE);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (is_id_char(c))
            continue;
        if (c == ' ' || c == '\t')
            return fm_csv_fail(rd, col, FM_EINVAL,
                               "%s is not a valid id: it contains a space; an id has %s",
                               q, ID_RULE);
        if (c >= 0x80 || c < 0x20 || c == 0x7f)
            return fm_csv_fail(rd, col, FM_EINVAL,
                               "%s is not a valid id: it contains a character other than "
                               "%s", q, ID_RULE);
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a valid id: '%c' is not allowed; an id has %s",
                           q, c, ID_RULE);
    }
    return 0;
}

int fm_csv_get_text(fm_csv_reader *rd, int col, const char **out)
{
    *out = fm_csv_value(rd, col);
    return 0;
}

int fm_csv_get_date(fm_csv_reader *rd, int col, int required, int32_t *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = 0;
    if (!v[0]) {
        if (!required)
            return 0;
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "is blank; a date YYYY-MM-DD is required, e.g. 2011-02-28");
    }
    static const char *const months[] = {"January", "February", "March", "April", "May",
                                         "June", "July", "August", "September", "October",
                                         "November", "December"};
    int y, m, d;
    int why = date_check(v, &y, &m, &d);
    if (why == 0) {
        *out = (int32_t)(y * 10000 + m * 100 + d);
        return 0;
    }
    QUOTED(q, v);
    switch (why) {
    case 2:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a date: the year must be from %d to %d", q,
                           YEAR_MIN, YEAR_MAX);
    case 3:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a date: there is no month %d; expected YYYY-MM-DD",
                           q, m);
    case 4:
        return fm_csv_fail(rd, col, FM_EINVAL, "%s is not a date: %s %d has %d days", q,
                           months[m - 1], y, days_in_month(y, m));
    default:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a date; expected YYYY-MM-DD, e.g. 2011-02-28", q);
    }
}

int fm_csv_get_number(fm_csv_reader *rd, int col, double lo, double hi,
                      const char *expected, double def, double *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = def;
    if (!v[0])
        return 0;
    double x;
    int syntax = fm_csv_parse_number(v, &x);
    if (syntax == 0 && x >= lo && x <= hi) {
        *out = x == 0 ? 0.0 : x; /* no -0 */
        return 0;
    }
    QUOTED(q, v);
    if (syntax < 0)
        return fm_csv_fail(rd, col, FM_EINVAL, "%s is not a number; expected %s", q, expected);
    return fm_csv_fail(rd, col, FM_EINVAL, "%s is out of range; expected %s", q, expected);
}

int fm_csv_get_int(fm_csv_reader *rd, int col, long lo, long hi, int required,
                   long def, int32_t *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = (int32_t)def;
    if (!v[0]) {
        if (!required)
            return 0;
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "is blank; an integer from %ld to %ld is required", lo, hi);
    }
    long x;
    int syntax = fm_csv_parse_int(v, &x);
    if (syntax == 0 && x >= lo && x <= hi) {
        *out = (int32_t)x;
        return 0;
    }
    QUOTED(q, v);
    if (syntax < 0)
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a whole number; expected an integer from %ld to %ld",
                           q, lo, hi);
    return fm_csv_fail(rd, col, FM_EINVAL,
                       "%s is out of range; expected an integer from %ld to %ld", q, lo, hi);
}

int fm_csv_get_bool(fm_csv_reader *rd, int col, int def, uint8_t *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = (uint8_t)def;
    if (!v[0])
        return 0;
    if (fm_csv_parse_bool(v, out) == 0)
        return 0;
    QUOTED(q, v);
    *out = (uint8_t)def;
    return fm_csv_fail(rd, col, FM_EINVAL,
                       "%s is not a yes/no value; expected 0 or 1 (or true/false, yes/no)",
                       q);
}

int fm_csv_get_gender(fm_csv_reader *rd, int col, char *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = 0;
    if (!v[0])
        return 0;
    if (!v[1]) {
        char c = v[0] >= 'a' && v[0] <= 'z' ? (char)(v[0] - 'a' + 'A') : v[0];
        if (c == 'F' || c == 'M' || c == 'X') {
            *out = c;
            return 0;
        }
    }
    QUOTED(q, v);
    return fm_csv_fail(rd, col, FM_EINVAL, "%s is not a gender; expected F, M, X or blank", q);
}

/* Checks one week; value is what the message quotes. */
static int week_value(fm_csv_reader *rd, int col, const char *v, int32_t *out)
{
    int y, w;
    int why = week_check(v, &y, &w);
    if (why == 0) {
        *out = (int32_t)(y * 100 + w);
        return 0;
    }
    QUOTED(q, v);
    switch (why) {
    case 2:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not an ISO week: the year must be from %d to %d", q,
                           YEAR_MIN, YEAR_MAX);
    case 3:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not an ISO week: %d has weeks W01 to W%d", q, y,
                           fm_csv_iso_weeks_in_year(y));
    default:
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not an ISO week; expected YYYY-Www, e.g. 2027-W24", q);
    }
}

int fm_csv_get_week(fm_csv_reader *rd, int col, int32_t *out)
{
    const char *v = fm_csv_value(rd, col);
    *out = 0;
    if (!v[0])
        return 0;
    return week_value(rd, col, v, out);
}

/* A sector code: 1-64 bytes, no control character, no '|'. */
static int sector_value(fm_csv_reader *rd, int col, const char *v)
{
    size_t n = 0;
    int bad = 0; /* 1: a control character, 2: a '|' */
    for (; v[n]; n++) {
        unsigned char c = (unsigned char)v[n];
        if (c < 0x20 || c == 0x7f)
            bad = bad ? bad : 1;
        else if (c == '|')
            bad = bad ? bad : 2;
    }
    if (n <= FM_CSV_SECTOR_MAX && !bad)
        return 0;
    QUOTED(q, v);
    if (n > FM_CSV_SECTOR_MAX)
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is %zu bytes long; a sector code has at most %d", q, n,
                           FM_CSV_SECTOR_MAX);
    if (bad == 1)
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "%s is not a sector code: it holds a control character", q);
    return fm_csv_fail(rd, col, FM_EINVAL,
                       "%s is not a sector code: '|' separates list items and cannot be "
                       "part of a code", q);
}

int fm_csv_get_sector(fm_csv_reader *rd, int col, const char **out)
{
    const char *v = fm_csv_value(rd, col);
    *out = v;
    if (!v[0])
        return fm_csv_fail(rd, col, FM_EINVAL, "is blank; a sector code is required");
    return sector_value(rd, col, v);
}

int fm_csv_get_location(fm_csv_reader *rd, int col_lat, int col_lon, int required,
                        const char *why, double *lat, double *lon, uint8_t *has)
{
    static const char LAT[] = "a latitude in decimal degrees from -90 to 90";
    static const char LON[] = "a longitude in decimal degrees from -180 to 180";
    const char *a = fm_csv_value(rd, col_lat), *b = fm_csv_value(rd, col_lon);
    *lat = *lon = 0;
    *has = 0;
    if (!a[0] && !b[0]) {
        if (!required)
            return 0;
        int col = col_lat;
        const char *name = rd->cols[col].name;
        if (!fm_csv_has(rd, col))
            return fm_csv_fail(rd, col, FM_EINVAL,
                               "the file has no %s column, but %s needs one", name,
                               why ? why : "the row");
        return fm_csv_fail(rd, col, FM_EINVAL, "is blank; %s is required%s%s", LAT,
                           why ? ": " : "", why ? why : "");
    }
    if (!a[0] || !b[0]) {
        int blank = a[0] ? col_lon : col_lat, given = a[0] ? col_lat : col_lon;
        return fm_csv_fail(rd, blank, FM_EINVAL,
                           "is blank but %s is given; give both lat and lon, or neither",
                           rd->cols[given].name);
    }
    int rc = fm_csv_get_number(rd, col_lat, -90, 90, LAT, 0, lat);
    if (rc == 0)
        rc = fm_csv_get_number(rd, col_lon, -180, 180, LON, 0, lon);
    if (rc == 0)
        *has = 1;
    return rc;
}

/* Splits the value of col at '|' into trimmed items in l.  An empty item (a
 * doubled or trailing '|') is an error. */
static int split_list(fm_csv_reader *rd, list *l, int col, const char *what, size_t max,
                      size_t *n)
{
    const char *v = fm_csv_value(rd, col);
    size_t len = strlen(v);
    *n = 0;
    if (!len)
        return 0;
    if (fm_csv_grow((void **)&l->text, &l->cap_text, len + 1, 1) < 0)
        return fail_nomem(rd);
    memcpy(l->text, v, len + 1);
    char *p = l->text;
    for (;;) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        char *e = p + strlen(p);
        while (*p && is_blank_char((unsigned char)*p))
            p++;
        while (e > p && is_blank_char((unsigned char)e[-1]))
            *--e = '\0';
        if (!*p) {
            QUOTED(q, v);
            return fm_csv_fail(rd, col, FM_EINVAL,
                               "%s has an empty item; separate %s with single '|', as in "
                               "a|b", q, what);
        }
        if (*n >= max) {
            QUOTED(q, v);
            size_t total = 1;
            for (const char *s = v; *s; s++)
                total += *s == '|';
            return fm_csv_fail(rd, col, FM_EINVAL, "%s lists %zu %s; at most %zu are allowed",
                               q, total, what, max);
        }
        if (fm_csv_grow((void **)&l->items, &l->cap_items, *n + 1, sizeof *l->items) < 0)
            return fail_nomem(rd);
        l->items[(*n)++] = p;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

int fm_csv_get_weeks(fm_csv_reader *rd, int col, const int32_t **weeks, size_t *n)
{
    size_t k;
    *weeks = NULL;
    *n = 0;
    list *l = &rd->weeks_list;
    int rc = split_list(rd, l, col, "weeks", FM_CSV_LIST_MAX, &k);
    if (rc)
        return rc;
    if (fm_csv_grow((void **)&rd->weeks, &rd->cap_weeks, k ? k : 1, sizeof *rd->weeks) < 0)
        return fail_nomem(rd);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        int32_t w;
        if ((rc = week_value(rd, col, l->items[i], &w)) != 0)
            return rc;
        size_t j = 0;
        while (j < m && rd->weeks[j] != w)
            j++;
        if (j == m) /* a week listed twice counts once */
            rd->weeks[m++] = w;
    }
    *weeks = rd->weeks;
    *n = m;
    return 0;
}

int fm_csv_get_sectors(fm_csv_reader *rd, int col, size_t max,
                       const char *const **codes, size_t *n)
{
    size_t k;
    *codes = NULL;
    *n = 0;
    list *l = &rd->sectors_list;
    int rc = split_list(rd, l, col, "sectors", max, &k);
    if (rc)
        return rc;
    for (size_t i = 0; i < k; i++) {
        if ((rc = sector_value(rd, col, l->items[i])) != 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(l->items[i], l->items[j]) == 0) {
                QUOTED(q, fm_csv_value(rd, col));
                QUOTED(s, l->items[j]);
                return fm_csv_fail(rd, col, FM_EINVAL,
                                   "%s lists the sector %s twice; list each sector once, "
                                   "in order of preference", q, s);
            }
    }
    *codes = l->items;
    *n = k;
    return 0;
}

/* ---- helpers for the file types --------------------------------------- */

int fm_csv_lines_push(fm_csv_reader *rd, fm_csv_lines *l)
{
    if (fm_csv_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0)
        return fail_nomem(rd);
    l->v[l->n++] = rd->row_line;
    return 0;
}

void fm_csv_lines_free(fm_csv_lines *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

int fm_csv_fail_duplicate(fm_csv_reader *rd, int col, int32_t found, size_t first,
                          const fm_csv_lines *l)
{
    const char *v = fm_csv_value(rd, col);
    QUOTED(q, v);
    if (found >= 0 && (size_t)found >= first && (size_t)found - first < l->n)
        return fm_csv_fail(rd, col, FM_EINVAL,
                           "duplicate %s %s: line %ld has it already; each row needs its "
                           "own %s", rd->cols[col].name, q, l->v[(size_t)found - first],
                           rd->cols[col].name);
    return fm_csv_fail(rd, col, FM_EINVAL,
                       "%s %s is already loaded (from an earlier file); each %s must be "
                       "unique", rd->cols[col].name, q, rd->cols[col].name);
}

int fm_csv_parse_region(fm_region *r, fm_region_mark *mark, const char *name,
                        const char *data, size_t len, const fm_csv_column *cols,
                        size_t n_cols, fm_csv_row_fn row, void *ctx,
                        fm_csv_warnings *w, fm_error *err)
{
    fm_region_checkpoint(r, mark);
    int rc = fm_csv_parse(name, data, len, cols, n_cols, row, ctx, w, err);
    if (rc)
        fm_region_rollback(r, mark);
    return rc;
}

int fm_csv_parse_rows(fm_region *r, const char *name, const char *data, size_t len,
                      const fm_csv_column *cols, size_t n_cols, fm_csv_row_fn row,
                      fm_csv_warnings *w, fm_error *err)
{
    fm_csv_rows c;
    memset(&c, 0, sizeof c);
    c.r = r;
    int rc = fm_csv_parse_region(r, &c.mark, name, data, len, cols, n_cols, row, &c, w, err);
    fm_csv_lines_free(&c.lines);
    return rc;
}

int fm_csv_get_ref(fm_csv_reader *rd, fm_csv_rows *c, int col,
                   int32_t (*find)(const fm_region *, const char *), size_t first,
                   const char **ref)
{
    int rc = fm_csv_get_id(rd, col, ref);
    if (rc != 0)
        return rc;
    fm_csv_set_id(rd, rd->cols[col].name, *ref);
    int32_t dup = find(c->r, *ref);
    if (dup >= 0)
        return fm_csv_fail_duplicate(rd, col, dup, first, &c->lines);
    return 0;
}

int fm_csv_add_ints(fm_csv_reader *rd, fm_region *r, int col, const int32_t *v, size_t n,
                    int32_t *off, int32_t *count)
{
    if (n == 0)
        return 0;
    int32_t at = fm_region_add_ints(r, v, n);
    if (at < 0)
        return fm_csv_fail_region(rd, col, at);
    *off = at;
    *count = (int32_t)n;
    return 0;
}

int fm_csv_row_added(fm_csv_reader *rd, fm_csv_rows *c, int col, int32_t id)
{
    if (id < 0)
        return fm_csv_fail_region(rd, col, id);
    return fm_csv_lines_push(rd, &c->lines);
}

int fm_csv_fail_region(fm_csv_reader *rd, int col, int code)
{
    switch (code) {
    case FM_ENOMEM:
        return fm_csv_fail(rd, col, code, "out of memory while reading the file");
    case FM_ELIMIT:
        return fm_csv_fail(rd, col, code,
                           "too many distinct values for one round (sector codes: at most "
                           "32767; rows: at most 2147483647)");
    default:
        return fm_csv_fail(rd, col, code, "the value could not be stored (%s)",
                           fm_error_code_name(code));
    }
}
