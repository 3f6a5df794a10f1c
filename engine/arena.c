/*
 * arena.c - bump allocation for responses, and UTF-8 repair (arena.h).
 *
 * Normal case: blocks form a list; allocation bumps an offset in the
 * newest block.  Failure: a failed malloc sets a.failed and returns NULL;
 * the blocks already taken stay valid until fm_arena_free.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((size_t)64 * 1024)

struct fm_arena_block {
    fm_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void fm_arena_init(fm_arena *a)
{
    a->head = NULL;
    a->failed = 0;
}

void fm_arena_free(fm_arena *a)
{
    fm_arena_block *b = a->head;
    while (b) {
        fm_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

int fm_arena_failed(const fm_arena *a)
{
    return a->failed;
}

void *fm_arena_alloc(fm_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) {
        a->failed = 1;
        return NULL;
    }
    fm_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > BLOCK_SIZE ? need : BLOCK_SIZE;
        b = malloc(sizeof(*b) + size);
        if (!b) {
            a->failed = 1;
            return NULL;
        }
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, n);
    return p;
}

void *fm_arena_array(fm_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        a->failed = 1;
        return NULL;
    }
    size_t bytes = n * size;
    return fm_arena_alloc(a, bytes ? bytes : 1);
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    if (c < 0x80)
        return c ? 1 : 0;
    size_t n;
    unsigned min;
    if ((c & 0xe0) == 0xc0) { n = 2; min = 0x80; c &= 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 3; min = 0x800; c &= 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return n;
}

int fm_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

void fm_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) {
            p[i] = '?';
            k = 1;
        }
        i += k;
    }
}

char *fm_arena_str(fm_arena *a, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *d = fm_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n + 1);
    fm_utf8_sanitize(d);
    return d;
}

char *fm_arena_printf(fm_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        a->failed = 1;
        return NULL;
    }
    char *d = fm_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    fm_utf8_sanitize(d);
    return d;
}
