/*
 * test_config.c - fairmatchd's INI config file (engine/config.h).
 *
 * Normal cases: a file with every key in its section sets every field; the
 * sectionless older format still reads; comments (`#`, `;`, ` ;` after a
 * value) and blank lines are skipped; keys not in the file keep their
 * defaults.
 * Failure cases, each naming file, line and key in the error: an unknown
 * key, a key in another section than its own, a value out of range or not
 * a number, a line that is neither `key = value` nor `[section]`, an
 * unclosed section header, an over-long line, a missing file (FM_EIO).
 * Reading stops at the first error, so a later bad line does not hide it.
 * The example config engine/fairmatchd.conf reads, and its commented-out
 * defaults are the real defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "log.h"

/* Writes text to a fresh temporary file; its name goes to path. */
static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/fm_test_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Reads text as a config file; returns the code and fills *c and *err. */
static int read_text(const char *text, fm_config *c, fm_error *err)
{
    char path[64];
    write_file(path, text);
    fm_config_init(c);
    fm_error_clear(err);
    int rc = fm_config_read(c, path, err);
    unlink(path);
    if (rc)
        assert_true(strncmp(err->file, "/tmp/fm_test_config_", 20) == 0);
    return rc;
}

static void test_all_sections(void **state)
{
    (void)state;
    fm_config c;
    fm_error err;
    int rc = read_text("# fairmatchd\n"
                       "[server]\n"
                       "listen = 0.0.0.0:9000\n"
                       "max_frame_bytes = 65536\n"
                       "idle_timeout_s = 7 ; seconds\n"
                       "frame_timeout_s = 5\n"
                       "write_queue_limit_bytes = 70000\n"
                       "max_connections = 9\n"
                       "max_inflight = 3\n"
                       "max_upload_bytes = 20000\n"
                       "shutdown_grace_s = 1.5\n"
                       "\n"
                       "[store]\n"
                       "db = /var/lib/fairmatch/fairmatch.db\n"
                       "; a comment\n"
                       "[rounds]\n"
                       "max_rounds = 4\n"
                       "max_round_seconds = 60\n"
                       "[log]\n"
                       "log_level = debug\n", &c, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(c.listen, "0.0.0.0:9000");
    assert_int_equal(c.max_frame, 65536);
    assert_int_equal(c.idle_timeout_ms, 7000);
    assert_int_equal(c.frame_timeout_ms, 5000);
    assert_int_equal(c.write_queue_limit, 70000);
    assert_int_equal(c.max_connections, 9);
    assert_int_equal(c.max_inflight, 3);
    assert_int_equal(c.max_upload, 20000);
    assert_true(c.shutdown_grace_s == 1.5);
    assert_string_equal(c.db_path, "/var/lib/fairmatch/fairmatch.db");
    assert_int_equal(c.max_rounds, 4);
    assert_true(c.max_round_seconds == 60);
    assert_int_equal(c.log_level, FM_LOG_DEBUG);
    assert_int_equal(err.code, 0);
}

static void test_sectionless_and_defaults(void **state)
{
    (void)state;
    fm_config c, d;
    fm_error err;
    fm_config_init(&d);
    assert_int_equal(read_text("max_rounds = 3\ndb = x.db\n", &c, &err), 0);
    assert_int_equal(c.max_rounds, 3);
    assert_string_equal(c.db_path, "x.db");
    assert_string_equal(c.listen, d.listen);
    assert_int_equal(c.max_frame, d.max_frame);
    assert_int_equal(c.log_level, d.log_level);
}

/* Expects text to fail at line with key (or "" for none) and a message
 * containing what. */
static void expect_fail(const char *text, long line, const char *key, const char *what)
{
    fm_config c;
    fm_error err;
    assert_int_equal(read_text(text, &c, &err), FM_EINVAL);
    assert_int_equal(err.line, line);
    assert_string_equal(err.field, key);
    if (!strstr(err.message, what))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, what);
}

static void test_errors(void **state)
{
    (void)state;
    expect_fail("[server]\nlisten = 1.2.3.4:5\nlistne = 1\n", 3, "listne",
                "unknown key; known keys: [server] listen");
    expect_fail("[server]\ndb = x.db\n", 2, "db", "belongs in section [store]");
    expect_fail("[log]\n\nlog_level = loud\n", 3, "log_level", "debug, info, warn or error");
    expect_fail("[rounds]\nmax_rounds = 0\n", 2, "max_rounds", "from 1 to 64");
    expect_fail("[server]\nmax_connections = many\n", 2, "max_connections", "from 1 to 100000");
    expect_fail("[server]\nidle_timeout_s = -1\n", 2, "idle_timeout_s", "0 to 86400");
    expect_fail("# x\n[server]\nlisten\n", 3, "", "expected `key = value`");
    expect_fail("[server\nlisten = a:1\n", 1, "", "[section]");
    /* The first error is the one reported, even with later ones. */
    expect_fail("[store]\ndb =\n[server]\nnope\n", 2, "db", "a path");
    expect_fail("[server]\nbogus\n[store]\nnope = 1\n", 2, "", "expected `key = value`");
    char *big = malloc(9000);
    assert_non_null(big);
    strcpy(big, "[store]\ndb = ");
    size_t n = strlen(big);
    memset(big + n, 'a', 8500);
    strcpy(big + n + 8500, "\n");
    expect_fail(big, 2, "", "longer than 8190");
    free(big);
}

/* The example config that `cmake --install` ships reads cleanly, and with
 * every commented-out `#key = value` line switched on it still equals the
 * defaults: what it documents as defaults is true. */
static void test_example_config(void **state)
{
    (void)state;
    const char *path = FM_TEST_DATA "/../../engine/fairmatchd.conf";
    fm_config c, d;
    fm_error err;
    fm_config_init(&c);
    fm_error_clear(&err);
    assert_int_equal(fm_config_read(&c, path, &err), 0);
    assert_string_equal(c.db_path, "/var/lib/fairmatch/fairmatch.db");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[16384], line[1024];
    size_t n = 0;
    int switched = 0;
    while (fgets(line, sizeof line, f)) {
        const char *l = line;
        /* "#max_rounds = 2" is a key commented out; "# text" is prose. */
        if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strchr(line, '=')) {
            l = line + 1;
            switched++;
        }
        size_t k = strlen(l);
        assert_true(n + k < sizeof text);
        memcpy(text + n, l, k);
        n += k;
    }
    text[n] = '\0';
    fclose(f);
    assert_true(switched >= 8);
    assert_int_equal(read_text(text, &c, &err), 0);
    fm_config_init(&d);
    snprintf(d.db_path, sizeof d.db_path, "%s", c.db_path);
    assert_string_equal(c.listen, d.listen);
    assert_int_equal(c.max_frame, d.max_frame);
    assert_int_equal(c.idle_timeout_ms, d.idle_timeout_ms);
    assert_int_equal(c.write_queue_limit, d.write_queue_limit);
    assert_int_equal(c.max_connections, d.max_connections);
    assert_int_equal(c.max_inflight, d.max_inflight);
    assert_int_equal(c.max_upload, d.max_upload);
    assert_true(c.shutdown_grace_s == d.shutdown_grace_s);
    assert_int_equal(c.max_rounds, d.max_rounds);
    assert_true(c.max_round_seconds == d.max_round_seconds);
    assert_int_equal(c.log_level, d.log_level);
}

static void test_missing_file(void **state)
{
    (void)state;
    fm_config c;
    fm_error err;
    fm_config_init(&c);
    fm_error_clear(&err);
    assert_int_equal(fm_config_read(&c, "/nonexistent/fairmatchd.conf", &err), FM_EIO);
    assert_string_equal(err.file, "/nonexistent/fairmatchd.conf");
    assert_non_null(strstr(err.message, "cannot read the config file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_sections),
        cmocka_unit_test(test_sectionless_and_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_example_config),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
