/*
 * fuzz_policy.c - libFuzzer target for the round policy file reader
 * (adapters/policy_file.h).  The input is the file's bytes, written to a
 * temporary file.  Checked: 0 or FM_EINVAL; a failure names the file, says
 * why, and leaves the parameters exactly as they were; a success leaves a
 * time limit >= 0.
 */
#include <string.h>

#include "fuzz_check.h"
#include "policy_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_file(data, size);
    fm_round_params params, before;
    memset(&params, 0, sizeof params);
    params.time_limit_seconds = 7;
    before = params;
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_policy_file_read(path, &params, &err);
    FUZZ_CHECK(rc == 0 || rc == FM_EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
        FUZZ_CHECK(strcmp(err.file, path) == 0);
        FUZZ_CHECK(memcmp(&params, &before, sizeof params) == 0);
    } else {
        FUZZ_CHECK(params.time_limit_seconds >= 0);
    }
    return 0;
}
