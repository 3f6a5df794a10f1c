/*
 * fuzz_check.h - what every fuzz target shares: the libFuzzer entry points
 * and FUZZ_CHECK, an assertion that holds in every build (Release defines
 * NDEBUG, so assert() would vanish from the corpus replays).
 *
 * A failed check prints the file, line and condition and aborts: libFuzzer
 * saves the input as a crash, and a ctest replay fails.
 */
#ifndef FM_FUZZ_CHECK_H
#define FM_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, once before the first input (libFuzzer and replay.c call it). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* A temporary file that holds the current input, for readers that take a
 * path (policy and config files): created on first use under $TMPDIR or
 * /tmp, rewritten for each input, removed at exit.  Returns its path. */
const char *fuzz_temp_file(const uint8_t *data, size_t size);

#endif
