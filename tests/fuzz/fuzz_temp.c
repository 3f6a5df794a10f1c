/*
 * fuzz_temp.c - the temporary input file of the path-taking targets
 * (fuzz_check.h).  Normal case: one file, created once with mkstemp,
 * truncated and rewritten for each input, unlinked at exit.  Failure: a
 * file that cannot be created or written aborts the run (a broken
 * environment, not a finding).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"

static char temp_path[512];
static int temp_fd = -1;

static void remove_temp(void)
{
    if (temp_fd >= 0) {
        close(temp_fd);
        unlink(temp_path);
    }
}

const char *fuzz_temp_file(const uint8_t *data, size_t size)
{
    if (temp_fd < 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(temp_path, sizeof temp_path, "%s/fm_fuzz.XXXXXX", dir && *dir ? dir : "/tmp");
        temp_fd = mkstemp(temp_path);
        FUZZ_CHECK(temp_fd >= 0);
        atexit(remove_temp);
    }
    FUZZ_CHECK(ftruncate(temp_fd, 0) == 0);
    size_t off = 0;
    while (off < size) {
        ssize_t n = pwrite(temp_fd, data + off, size - off, (off_t)off);
        FUZZ_CHECK(n > 0);
        off += (size_t)n;
    }
    return temp_path;
}
