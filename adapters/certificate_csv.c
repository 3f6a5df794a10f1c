/*
 * certificate_csv.c - writing and reading OUT/certificate.csv
 * (certificate_csv.h).
 *
 * Normal case, writing: per side the three tier rows, then per target its
 * general and reserved pool when either its cut or its potential is not
 * zero.  Reading: the rows are parsed with the project's CSV reader
 * (csv_reader.h), refs looked up in the region, and the values put into the
 * per-target arrays.  Failure: a write error (FM_EIO); a row that does not
 * make sense for the region (FM_EINVAL with file, line, column and ref);
 * no memory (FM_ENOMEM).  On a read failure out[] is freed.
 */
#include "certificate_csv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"

static const char *const side_names[2] = { "placements", "mentors" };

static void cut_text(uint8_t cut, char buf[4])
{
    int k = 0;
    for (int level = 1; level <= 3; level++)
        if (cut & (1u << (level - 1)))
            buf[k++] = (char)('0' + level);
    buf[k] = '\0';
}

int fm_certificate_csv_write(FILE *f, const fm_region *r, const fm_result *res,
                             fm_error *err)
{
    errno = 0;
    int bad = fputs("side,node,ref,cut,potential\n", f) < 0;
    for (int side = 0; side < 2 && !bad; side++) {
        const fm_side_certificate *c = side ? &res->mentors.certificate
                                            : &res->placements.certificate;
        size_t nt = side ? r->n_mentors : r->n_placements;
        if (!c->cut || !c->potential)
            continue;
        for (int t = 0; t < 3; t++)
            bad |= fprintf(f, "%s,tier,%d,,%" PRId64 "\n", side_names[side], t + 1,
                           c->potential_tier[t]) < 0;
        for (size_t t = 0; t < nt && !bad; t++) {
            const char *ref = side ? r->mentors[t].ref : r->placements[t].ref;
            for (int k = 0; k < 2; k++) {
                if (!c->cut[2 * t + k] && !c->potential[2 * t + k])
                    continue;
                char cut[4];
                cut_text(c->cut[2 * t + k], cut);
                bad |= fprintf(f, "%s,%s,%s,%s,%" PRId64 "\n", side_names[side],
                               k ? "reserved" : "general", ref, cut,
                               c->potential[2 * t + k]) < 0;
            }
        }
    }
    if (bad || fflush(f) != 0 || ferror(f))
        return fm_error_set(err, FM_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
    return 0;
}

enum { C_SIDE, C_NODE, C_REF, C_CUT, C_POT, N_COLS };

static const fm_csv_column columns[N_COLS] = {
    [C_SIDE] = {"side", 1}, [C_NODE] = {"node", 1}, [C_REF] = {"ref", 1},
    [C_CUT] = {"cut", 1}, [C_POT] = {"potential", 1},
};

typedef struct reader_ctx {
    const fm_region *r;
    fm_side_certificate *out;
    int *has;
    uint8_t *seen[2];    /* per side: 2 per target, listed already; [2*nt..+2]: tiers */
} reader_ctx;

static int row(fm_csv_reader *rd, void *arg)
{
    reader_ctx *c = arg;
    const char *side = fm_csv_value(rd, C_SIDE), *node = fm_csv_value(rd, C_NODE);
    const char *ref = fm_csv_value(rd, C_REF), *cut = fm_csv_value(rd, C_CUT);
    int k = strcmp(side, "placements") == 0 ? 0 : strcmp(side, "mentors") == 0 ? 1 : -1;
    if (k < 0)
        return fm_csv_fail(rd, C_SIDE, FM_EINVAL, "side must be placements or mentors");
    fm_csv_set_id(rd, "ref", ref);
    long pot;
    if (fm_csv_parse_int(fm_csv_value(rd, C_POT), &pot) != 0)
        return fm_csv_fail(rd, C_POT, FM_EINVAL, "potential must be an integer");
    size_t nt = k ? c->r->n_mentors : c->r->n_placements;
    fm_side_certificate *o = &c->out[k];
    size_t slot;
    if (strcmp(node, "tier") == 0) {
        if (strlen(ref) != 1 || ref[0] < '1' || ref[0] > '3')
            return fm_csv_fail(rd, C_REF, FM_EINVAL, "a tier node's ref is 1, 2 or 3");
        if (*cut)
            return fm_csv_fail(rd, C_CUT, FM_EINVAL, "a tier node has no cut");
        slot = 2 * nt + (size_t)(ref[0] - '1');
        o->potential_tier[ref[0] - '1'] = pot;
        if (slot == 2 * nt + 2)
            c->has[k] = 1;
    } else {
        int reserved = strcmp(node, "reserved") == 0;
        if (!reserved && strcmp(node, "general") != 0)
            return fm_csv_fail(rd, C_NODE, FM_EINVAL, "node must be tier, general or reserved");
        int32_t t = k ? fm_region_find_mentor(c->r, ref) : fm_region_find_placement(c->r, ref);
        if (t < 0)
            return fm_csv_fail(rd, C_REF, FM_EINVAL, "no %s has this ref in the inputs",
                               k ? "mentor" : "placement");
        uint8_t bits = 0;
        for (const char *p = cut; *p; p++) {
            if (*p < '1' || *p > '3')
                return fm_csv_fail(rd, C_CUT, FM_EINVAL, "cut lists levels 1, 2, 3");
            bits |= (uint8_t)(1u << (*p - '1'));
        }
        slot = 2 * (size_t)t + (size_t)reserved;
        o->cut[slot] = bits;
        o->potential[slot] = pot;
    }
    if (c->seen[k][slot])
        return fm_csv_fail(rd, C_REF, FM_EINVAL, "this node is listed twice");
    c->seen[k][slot] = 1;
    return 0;
}

int fm_certificate_csv_read(const char *name, const char *data, size_t len,
                            const fm_region *r, fm_side_certificate out[2],
                            int has[2], fm_error *err)
{
    reader_ctx c = { .r = r, .out = out, .has = has };
    int rc = FM_ENOMEM;
    has[0] = has[1] = 0;
    memset(out, 0, 2 * sizeof *out);
    for (int k = 0; k < 2; k++) {
        size_t n = 2 * (k ? r->n_mentors : r->n_placements) + 3;
        out[k].cut = calloc(n, 1);
        out[k].potential = calloc(n, sizeof *out[k].potential);
        c.seen[k] = calloc(n, 1);
        if (!out[k].cut || !out[k].potential || !c.seen[k])
            goto out;
    }
    rc = fm_csv_parse(name, data, len, columns, N_COLS, row, &c, NULL, err);
out:
    if (rc == FM_ENOMEM && !err->message[0])
        fm_error_set(err, rc, "out of memory reading %s", name);
    free(c.seen[0]);
    free(c.seen[1]);
    if (rc) {
        fm_certificate_side_free(&out[0]);
        fm_certificate_side_free(&out[1]);
    }
    return rc;
}
