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

/* A percentage 0..100 into *out; else FM_EINVAL naming the key. */
static int read_pct(json_t *value, double *out, fm_error *err)
{
    if (!json_is_number(value) || json_number_value(value) < 0 || json_number_value(value) > 100)
        return fm_error_set(err, FM_EINVAL, "expected a percentage from 0 to 100");
    *out = json_number_value(value);
    return FM_OK;
}

static int read_bool(json_t *value, int *out, fm_error *err)
{
    if (!json_is_boolean(value))
        return fm_error_set(err, FM_EINVAL, "expected true or false");
    *out = json_is_true(value);
    return FM_OK;
}

/* [{"sector": "engineering", "gender": "F", "min_pct": 40}, ...] */
static int read_gender_targets(json_t *value, fm_side_constraints *c, fm_error *err)
{
    size_t i;
    json_t *t;
    if (!json_is_array(value) || json_array_size(value) > FM_MAX_GENDER_TARGETS)
        return fm_error_set(err, FM_EINVAL, "expected a list of at most %d targets "
                            "{\"sector\", \"gender\", \"min_pct\"}", FM_MAX_GENDER_TARGETS);
    c->n_gender_targets = 0;
    json_array_foreach(value, i, t) {
        fm_gender_target *g = &c->gender_target[i];
        const char *sector = json_string_value(json_object_get(t, "sector"));
        const char *gender = json_string_value(json_object_get(t, "gender"));
        if (!json_is_object(t) || json_object_size(t) != 3 || !sector || !sector[0] ||
            strlen(sector) >= sizeof g->sector || !gender || strlen(gender) != 1 ||
            !strchr("FMX", gender[0]))
            return fm_error_set(err, FM_EINVAL, "target %zu: expected {\"sector\": CODE, "
                                "\"gender\": \"F\"|\"M\"|\"X\", \"min_pct\": 0-100}", i + 1);
        json_t *pct = json_object_get(t, "min_pct");
        if (!json_is_number(pct) || json_number_value(pct) < 0 || json_number_value(pct) > 100)
            return fm_error_set(err, FM_EINVAL, "target %zu: min_pct: expected a percentage "
                                "from 0 to 100", i + 1);
        g->min_pct = json_number_value(pct);
        snprintf(g->sector, sizeof g->sector, "%s", sector);
        g->gender = gender[0];
        c->n_gender_targets++;
    }
    return FM_OK;
}

/* The constraint keys of one side; mentors take only the first two. */
static int read_constraint(const char *key, json_t *value, fm_side_constraints *c,
                           int mentors, int *known, fm_error *err)
{
    *known = 1;
    if (strcmp(key, "school_floor_pct") == 0)
        return read_pct(value, &c->school_floor_pct, err);
    if (strcmp(key, "stable_tiers") == 0)
        return read_bool(value, &c->stable_tiers, err);
    if (!mentors && strcmp(key, "employer_spread_max") == 0) {
        if (!json_is_integer(value) || json_integer_value(value) < 0 ||
            json_integer_value(value) > 1000000)
            return fm_error_set(err, FM_EINVAL, "expected a whole number of pupils >= 0 "
                                "(0: off)");
        c->employer_spread_max = (int32_t)json_integer_value(value);
        return FM_OK;
    }
    if (!mentors && strcmp(key, "gender_targets") == 0)
        return read_gender_targets(value, c, err);
    *known = 0;
    return FM_OK;
}

/* The keys of a policy object into *next; FM_EINVAL naming the key. */
static int apply_object(json_t *root, fm_round_params *next, fm_error *err)
{
    int rc = FM_OK;
    if (!json_is_object(root))
        return fm_error_set(err, FM_EINVAL, "the policy must be a JSON object");
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        snprintf(err->field, sizeof err->field, "%s", key);
        if (strcmp(key, "policy") == 0) {
            const char *name = json_string_value(value);
            if (!name || strcmp(name, "fair-access-v1") != 0)
                return fm_error_set(err, FM_EINVAL, "the only policy is \"fair-access-v1\"");
        } else if (strcmp(key, "time_limit_seconds") == 0) {
            if (!json_is_number(value) || json_number_value(value) < 0)
                return fm_error_set(err, FM_EINVAL, "expected a number of seconds >= 0");
            next->time_limit_seconds = json_number_value(value);
        } else if (strcmp(key, "mentors") == 0) {
            const char *mkey;
            json_t *mvalue;
            if (!json_is_object(value))
                return fm_error_set(err, FM_EINVAL, "expected an object of mentor constraints");
            json_object_foreach(value, mkey, mvalue) {
                int known;
                snprintf(err->field, sizeof err->field, "mentors.%s", mkey);
                if ((rc = read_constraint(mkey, mvalue, &next->constraints.side[1], 1, &known,
                                          err)))
                    return rc;
                if (!known)
                    return fm_error_set(err, FM_EINVAL, "unknown mentor constraint (known: "
                                        "school_floor_pct, stable_tiers)");
            }
        } else {
            int known;
            if ((rc = read_constraint(key, value, &next->constraints.side[0], 0, &known, err)))
                return rc;
            if (!known)
                return fm_error_set(err, FM_EINVAL, "unknown policy option (known: policy, "
                                    "time_limit_seconds, school_floor_pct, employer_spread_max, "
                                    "gender_targets, stable_tiers, mentors)");
        }
    }
    err->field[0] = '\0';
    return FM_OK;
}

int fm_policy_file_read(const char *path, fm_round_params *params, fm_error *err)
{
    json_error_t jerr;
    fm_round_params next = *params;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    snprintf(err->file, sizeof err->file, "%s", path);
    if (!root) {
        err->line = jerr.line > 0 ? jerr.line : 0;
        err->column = jerr.column > 0 ? jerr.column : 0;
        return fm_error_set(err, jerr.line < 0 ? FM_EIO : FM_EINVAL, "%s", jerr.text);
    }
    int rc = apply_object(root, &next, err);
    json_decref(root);
    if (rc == FM_OK) {
        err->file[0] = '\0';
        *params = next;
    }
    return rc;
}

int fm_policy_text_read(const char *text, fm_round_params *params, fm_error *err)
{
    json_error_t jerr;
    fm_round_params next = *params;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        err->column = jerr.column > 0 ? jerr.column : 0;
        return fm_error_set(err, FM_EINVAL, "%s", jerr.text);
    }
    int rc = apply_object(root, &next, err);
    json_decref(root);
    if (rc == FM_OK)
        *params = next;
    return rc;
}

/* The constraint keys of one side into o; nonzero on ENOMEM. */
static int side_json(json_t *o, const fm_side_constraints *c, int mentors)
{
    int bad = 0;
    if (c->school_floor_pct > 0)
        bad |= json_object_set_new(o, "school_floor_pct", json_real(c->school_floor_pct));
    if (c->stable_tiers)
        bad |= json_object_set_new(o, "stable_tiers", json_true());
    if (!mentors && c->employer_spread_max > 0)
        bad |= json_object_set_new(o, "employer_spread_max",
                                   json_integer(c->employer_spread_max));
    if (!mentors && c->n_gender_targets > 0) {
        json_t *list = json_array();
        bad |= list == NULL;
        for (int g = 0; list && g < c->n_gender_targets; g++) {
            char gender[2] = {c->gender_target[g].gender, 0};
            bad |= json_array_append_new(list, json_pack("{s:s, s:s, s:f}", "sector",
                                                         c->gender_target[g].sector, "gender",
                                                         gender, "min_pct",
                                                         c->gender_target[g].min_pct));
        }
        bad |= json_object_set_new(o, "gender_targets", list);
    }
    return bad;
}

json_t *fm_policy_constraints_json(const fm_constraints *c)
{
    json_t *o = json_object(), *m = json_object();
    int bad = !o || !m;
    bad |= side_json(o, &c->side[0], 0) || side_json(m, &c->side[1], 1);
    if (!bad && json_object_size(m) > 0) {
        bad |= json_object_set(o, "mentors", m);
    }
    json_decref(m);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
