/*
 * policy_file.c - the JSON policy options of a round (see policy_file.h).
 * Normal case: the keys present are copied into *params.  Failure: FM_EIO
 * (unreadable file), FM_EINVAL (not JSON, unknown key, bad value), with
 * *params unchanged.
 */
#include "policy_file.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int fm_policy_file_read(const char *path, fm_round_params *params, fm_error *err)
{
    json_error_t jerr;
    fm_round_params next = *params;
    int rc = FM_OK;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    snprintf(err->file, sizeof err->file, "%s", path);
    if (!root) {
        err->line = jerr.line > 0 ? jerr.line : 0;
        err->column = jerr.column > 0 ? jerr.column : 0;
        return fm_error_set(err, jerr.line < 0 ? FM_EIO : FM_EINVAL, "%s", jerr.text);
    }
    if (!json_is_object(root)) {
        rc = fm_error_set(err, FM_EINVAL, "the policy file must hold a JSON object");
        goto out;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        snprintf(err->field, sizeof err->field, "%s", key);
        if (strcmp(key, "policy") == 0) {
            const char *name = json_string_value(value);
            if (!name || strcmp(name, "fair-access-v1") != 0) {
                rc = fm_error_set(err, FM_EINVAL, "the only policy is \"fair-access-v1\"");
                goto out;
            }
        } else if (strcmp(key, "time_limit_seconds") == 0) {
            if (!json_is_number(value) || json_number_value(value) < 0) {
                rc = fm_error_set(err, FM_EINVAL, "expected a number of seconds >= 0");
                goto out;
            }
            next.time_limit_seconds = json_number_value(value);
        } else {
            rc = fm_error_set(err, FM_EINVAL, "unknown policy option (known: policy, "
                              "time_limit_seconds)");
            goto out;
        }
    }
    err->field[0] = '\0';
    err->file[0] = '\0';
    *params = next;
out:
    json_decref(root);
    return rc;
}
