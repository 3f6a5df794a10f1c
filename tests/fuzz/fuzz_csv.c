/*
 * fuzz_csv.c - libFuzzer target for one CSV reader (adapters/csv_input.h),
 * built once per reader: FUZZ_CSV_READER names the fm_csv_read_*_mem
 * function and FUZZ_CSV_NAME the file it reads (students.csv, ...).
 *
 * The input is the file's bytes.  It is read into a region that already
 * holds a school, an employer and a sector (so interning existing names and
 * "ref already held" paths run).  Checked: the reader returns 0, FM_EINVAL
 * or FM_ENOMEM; a failure carries a message and the file name, and leaves
 * the region exactly as before (its counts of every table); warnings stay
 * within their bounds.
 */
#include <string.h>

#include "csv_input.h"
#include "fuzz_check.h"
#include "region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_region r;
    fm_region_init(&r);
    FUZZ_CHECK(fm_region_intern_school(&r, "SCH0001") >= 0);
    FUZZ_CHECK(fm_region_intern_employer(&r, "EMP00001") >= 0);
    FUZZ_CHECK(fm_region_intern_sector(&r, "health") >= 0);
    fm_region_mark before, after;
    fm_region_checkpoint(&r, &before);

    static fm_csv_warnings w; /* 10 KiB: not on the stack each run */
    fm_csv_warnings_clear(&w);
    fm_error err;
    fm_error_clear(&err);
    int rc = FUZZ_CSV_READER(&r, FUZZ_CSV_NAME, (const char *)data, size, &w, &err);
    FUZZ_CHECK(rc == 0 || rc == FM_EINVAL || rc == FM_ENOMEM);
    if (rc != 0) {
        FUZZ_CHECK(err.code == rc);
        FUZZ_CHECK(err.message[0] != '\0');
        FUZZ_CHECK(strcmp(err.file, FUZZ_CSV_NAME) == 0);
        fm_region_checkpoint(&r, &after);
        FUZZ_CHECK(memcmp(&before, &after, sizeof before) == 0);
    }
    size_t kept = w.count < FM_CSV_WARNINGS_MAX ? w.count : FM_CSV_WARNINGS_MAX;
    for (size_t i = 0; i < kept; i++)
        FUZZ_CHECK(memchr(w.text[i], '\0', FM_CSV_WARNING_LEN) != NULL);
    fm_region_free(&r);
    return 0;
}
