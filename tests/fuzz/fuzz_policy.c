/*
 * fuzz_policy.c - libFuzzer target for the round policy readers
 * (adapters/policy_file.h): the input is a policy file's bytes, read from a
 * temporary file (fm_policy_file_read) and as text
 * (fm_policy_text_read, what the daemon does with a client's
 * RoundOptions.constraints_json).
 *
 * Checked: 0 or FM_EINVAL from both, and the same verdict; a failure says
 * why and leaves the parameters exactly as they were (the file reader also
 * names the file); a success gives a time limit >= 0, and the constraints
 * read survive a round trip through fm_policy_constraints_json.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "policy_file.h"

static void fresh(fm_round_params *p)
{
    memset(p, 0, sizeof *p);
    p->time_limit_seconds = 7;
}

/* The constraints read come back from their JSON form. */
static void round_trip(const fm_round_params *p)
{
    json_t *j = fm_policy_constraints_json(&p->constraints);
    if (!j)
        return; /* out of memory */
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    FUZZ_CHECK(text != NULL);
    fm_round_params again;
    fresh(&again);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_policy_text_read(text, &again, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", text, err.message);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(memcmp(&again.constraints, &p->constraints, sizeof p->constraints) == 0);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_file(data, size);
    fm_round_params params, before;
    fresh(&params);
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
        round_trip(&params);
    }

    /* The same bytes as text (up to a NUL, as a C string holds them). */
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    fm_round_params t;
    fresh(&t);
    fm_error_clear(&err);
    int trc = fm_policy_text_read(text, &t, &err);
    FUZZ_CHECK(trc == 0 || trc == FM_EINVAL);
    if (trc != 0) {
        FUZZ_CHECK(err.message[0] != '\0');
        FUZZ_CHECK(memcmp(&t, &before, sizeof t) == 0);
    } else if (rc == 0 && memchr(data, '\0', size) == NULL) {
        FUZZ_CHECK(memcmp(&t, &params, sizeof t) == 0);
    }
    free(text);
    return 0;
}
