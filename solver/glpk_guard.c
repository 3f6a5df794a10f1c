/*
 * glpk_guard.c - running GLPK code so that an internal GLPK error fails the
 * round instead of killing the process (see constrained.h).
 *
 * Normal case: fm_glpk_guarded() sets GLPK's error hook and terminal hook
 * for this thread's GLPK environment, runs fn(arg), removes the hooks and
 * returns what fn returned.  GLPK's terminal output is swallowed (the
 * solver does no I/O); the last lines are kept for an error message.
 *
 * Failure: GLPK's error routine (an invalid call, a failed assertion
 * inside GLPK) calls the hook, which longjmps back here; the environment is
 * freed with glp_free_env() (GLPK's documented way out: every problem
 * object of this thread is gone), on_error(arg) lets the caller forget its
 * glp_prob pointers, and FM_EINTERNAL is returned with GLPK's own message.
 * Memory the caller allocated itself stays the caller's to free.
 */
#include <glpk.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "constrained.h"

typedef struct guard {
    jmp_buf jump;
    char text[400];      /* the last lines GLPK printed */
} guard;

static void on_glpk_error(void *info)
{
    guard *g = info;
    longjmp(g->jump, 1);
}

static int on_glpk_text(void *info, const char *s)
{
    guard *g = info;
    size_t have = strlen(g->text), add = strlen(s);
    if (have + add >= sizeof g->text) {
        /* Keep the tail: the error message comes last. */
        size_t keep = sizeof g->text / 2;
        if (have > keep) {
            memmove(g->text, g->text + have - keep, keep + 1);
            have = keep;
        }
        if (add >= sizeof g->text - have)
            s += add - (sizeof g->text - have - 1), add = strlen(s);
    }
    memcpy(g->text + have, s, add + 1);
    return 1; /* nothing reaches the terminal */
}

int fm_glpk_guarded(int (*fn)(void *arg), void (*on_error)(void *arg), void *arg,
                    fm_error *err)
{
    guard g;
    g.text[0] = '\0';
    if (setjmp(g.jump)) {
        glp_free_env();
        if (on_error)
            on_error(arg);
        /* One line: GLPK's message without its line breaks. */
        for (char *c = g.text; *c; c++)
            if (*c == '\n')
                *c = c[1] ? ' ' : '\0';
        return fm_error_set(err, FM_EINTERNAL, "GLPK internal error: %s",
                            g.text[0] ? g.text : "(no message)");
    }
    glp_error_hook(on_glpk_error, &g);
    glp_term_hook(on_glpk_text, &g);
    int rc = fn(arg);
    glp_error_hook(NULL, NULL);
    glp_term_hook(NULL, NULL);
    return rc;
}
