/*
 * arena.h - a bump allocator for building one response: every nested
 * protobuf-c message, repeated-field array and string of a Response comes
 * from its call's arena and is freed at once with it.
 *
 * Normal case: fm_arena_alloc returns zeroed, 16-byte aligned memory from
 * the current block, starting a new block (64 KiB, or larger for a large
 * request) when it is full.  fm_arena_str copies a string and replaces any
 * invalid UTF-8 with '?', so that every string on the wire is valid UTF-8
 * (proto3 decoders such as Python's refuse anything else).
 * Failure: out of memory returns NULL (and fm_arena_failed() says so); the
 * caller answers INTERNAL.  fm_arena_free releases every block.
 */
#ifndef FM_ARENA_H
#define FM_ARENA_H

#include <stddef.h>

typedef struct fm_arena_block fm_arena_block;

typedef struct fm_arena {
    fm_arena_block *head;
    int failed;
} fm_arena;

void fm_arena_init(fm_arena *a);
void fm_arena_free(fm_arena *a);
/* n bytes, zeroed; NULL when memory runs out. */
void *fm_arena_alloc(fm_arena *a, size_t n);
/* n elements of size each (overflow-checked), zeroed. */
void *fm_arena_array(fm_arena *a, size_t n, size_t size);
/* A copy of s (NULL -> ""), invalid UTF-8 replaced; NULL when out of memory. */
char *fm_arena_str(fm_arena *a, const char *s);
/* printf into the arena. */
char *fm_arena_printf(fm_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int fm_arena_failed(const fm_arena *a);

/* Replaces invalid UTF-8 in s (in place) with '?'. */
void fm_utf8_sanitize(char *s);
/* 1 if s[0..n) is valid UTF-8 without NUL bytes. */
int fm_utf8_valid(const char *s, size_t n);

#endif
