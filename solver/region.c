/*
 * region.c - the in-memory data of a round (see region.h): growable arrays,
 * owned string copies, interning and lookups by ref.
 *
 * Normal case: fm_region_add_* appends a copy of the record (every string in
 * it is copied, NULL text becomes "") and enters its ref in a uthash table;
 * fm_region_intern_* returns the id of a school, employer or sector, adding
 * it the first time.  Sector codes are keyed by their trimmed, ASCII
 * lower-cased form, and the first spelling seen (trimmed) is what
 * region->sectors keeps for reports.  Each hash entry lives in a pool of
 * fixed blocks, entry i of a kind belonging to item i, so entries never move
 * and rolling back is popping entries off the end.
 *
 * Failure cases: a duplicate student, placement or mentor ref gives
 * FM_EINVAL; an allocation failure gives FM_ENOMEM; more items than the ids
 * can number (INT32_MAX, or INT16_MAX sectors since students store sector ids
 * as int16_t) gives FM_ELIMIT.  In every failure case the region is left
 * exactly as before the call.  Programmer errors (out-of-range ids in a
 * record) are assertions.  uthash is built with HASH_NONFATAL_OOM so that its
 * own allocation failures come back here instead of exit().
 *
 * The region does no I/O and validates no user input: the readers do that.
 */
#include "region.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* uthash reports its allocation failures through this macro; each function
 * that adds to a table declares a local `hash_oom` and checks it after. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (hash_oom = 1)
#include <uthash.h>

#define POOL_SHIFT 10
#define POOL_BLOCK ((size_t)1 << POOL_SHIFT)
#define MAX_ITEMS ((size_t)INT32_MAX)
#define MAX_SECTORS ((size_t)INT16_MAX)

typedef struct entry {
    UT_hash_handle hh; /* hh.key: the item's ref (or, for sectors, an owned
                          normalized copy) */
    int32_t id;
} entry;

/* Entries of one kind: entry i at blocks[i >> POOL_SHIFT][i & mask]. */
typedef struct pool {
    entry **blocks;
    size_t n_blocks;
} pool;

typedef struct table {
    entry *head;
    pool pool;
} table;

struct fm_region_index {
    table students, placements, mentors, schools, employers, sectors;
};

/* ---- small helpers ---------------------------------------------------- */

static char *dup_str(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims s; returns its start and sets *len. */
static const char *trim(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_space((unsigned char)s[n - 1]))
        n--;
    *len = n;
    return s;
}

/* Grows *arr (of elem-sized items, capacity *cap) to hold need items. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    if (nc > SIZE_MAX / elem)
        return FM_ENOMEM;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return FM_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

static entry *pool_at(const pool *p, size_t i)
{
    return &p->blocks[i >> POOL_SHIFT][i & (POOL_BLOCK - 1)];
}

/* Makes sure entry i exists in the pool. */
static int pool_reserve(pool *p, size_t i)
{
    size_t b = i >> POOL_SHIFT;
    if (b < p->n_blocks)
        return 0;
    assert(b == p->n_blocks);
    entry **nb = realloc(p->blocks, (b + 1) * sizeof *nb);
    if (!nb)
        return FM_ENOMEM;
    p->blocks = nb;
    nb[b] = malloc(POOL_BLOCK * sizeof(entry));
    if (!nb[b])
        return FM_ENOMEM;
    p->n_blocks = b + 1;
    return 0;
}

static void pool_free(pool *p)
{
    for (size_t b = 0; b < p->n_blocks; b++)
        free(p->blocks[b]);
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = 0;
}

static int32_t table_find(const table *t, const char *key, size_t len)
{
    entry *e = NULL;
    HASH_FIND(hh, t->head, key, (unsigned)len, e);
    return e ? e->id : -1;
}

/* Enters key (which must outlive the entry) as item id.  The pool slot must
 * have been reserved. */
static int table_add(table *t, const char *key, size_t len, size_t id)
{
    int hash_oom = 0;
    entry *e = pool_at(&t->pool, id);
    memset(e, 0, sizeof *e);
    e->id = (int32_t)id;
    HASH_ADD_KEYPTR(hh, t->head, key, (unsigned)len, e);
    return hash_oom ? FM_ENOMEM : 0;
}

/* Removes entries id >= keep, last first. */
static void table_truncate(table *t, size_t n, size_t keep, int free_keys)
{
    while (n > keep) {
        entry *e = pool_at(&t->pool, --n);
        if (free_keys)
            free((void *)e->hh.key);
        HASH_DELETE(hh, t->head, e);
    }
}

static int ensure_index(fm_region *r)
{
    if (r->index)
        return 0;
    r->index = calloc(1, sizeof *r->index);
    return r->index ? 0 : FM_ENOMEM;
}

/* Lower-cased, trimmed copy of a sector code in buf (size >= strlen+1). */
static size_t sector_key(const char *code, char *buf)
{
    size_t n;
    const char *s = trim(code, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    buf[n] = '\0';
    return n;
}

/* ---- lifecycle -------------------------------------------------------- */

void fm_region_init(fm_region *r)
{
    assert(r);
    memset(r, 0, sizeof *r);
}

void fm_region_free(fm_region *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_students; i++)
        free(r->students[i].ref);
    for (size_t i = 0; i < r->n_placements; i++) {
        free(r->placements[i].ref);
        free(r->placements[i].title);
    }
    for (size_t i = 0; i < r->n_mentors; i++) {
        free(r->mentors[i].ref);
        free(r->mentors[i].organisation);
    }
    for (size_t i = 0; i < r->n_schools; i++) {
        free(r->schools[i].ref);
        free(r->schools[i].name);
    }
    for (size_t i = 0; i < r->n_employers; i++)
        free(r->employers[i]);
    for (size_t i = 0; i < r->n_sectors; i++)
        free(r->sectors[i]);
    fm_region_index *x = r->index;
    if (x) {
        table_truncate(&x->sectors, r->n_sectors, 0, 1);
        table *all[] = {&x->students, &x->placements, &x->mentors,
                        &x->schools, &x->employers, &x->sectors};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
            HASH_CLEAR(hh, all[k]->head);
            pool_free(&all[k]->pool);
        }
        free(x);
    }
    free(r->students);
    free(r->placements);
    free(r->mentors);
    free(r->schools);
    free(r->employers);
    free(r->sectors);
    free(r->ints);
    memset(r, 0, sizeof *r);
}

/* ---- interning -------------------------------------------------------- */

int32_t fm_region_intern_school(fm_region *r, const char *ref)
{
    assert(r && ref);
    int32_t id = fm_region_find_school(r, ref);
    if (id >= 0)
        return id;
    if (r->n_schools >= MAX_ITEMS)
        return FM_ELIMIT;
    if (ensure_index(r) < 0 ||
        grow((void **)&r->schools, &r->cap_schools, r->n_schools + 1, sizeof *r->schools) < 0 ||
        pool_reserve(&r->index->schools.pool, r->n_schools) < 0)
        return FM_ENOMEM;
    fm_school k = {dup_str(ref), dup_str(""), NAN, NAN, 0};
    if (!k.ref || !k.name ||
        table_add(&r->index->schools, k.ref, strlen(k.ref), r->n_schools) < 0) {
        free(k.ref);
        free(k.name);
        return FM_ENOMEM;
    }
    r->schools[r->n_schools] = k;
    return (int32_t)r->n_schools++;
}

int32_t fm_region_intern_employer(fm_region *r, const char *ref)
{
    assert(r && ref);
    int32_t id = r->index ? table_find(&r->index->employers, ref, strlen(ref)) : -1;
    if (id >= 0)
        return id;
    if (r->n_employers >= MAX_ITEMS)
        return FM_ELIMIT;
    if (ensure_index(r) < 0 ||
        grow((void **)&r->employers, &r->cap_employers, r->n_employers + 1,
             sizeof *r->employers) < 0 ||
        pool_reserve(&r->index->employers.pool, r->n_employers) < 0)
        return FM_ENOMEM;
    char *copy = dup_str(ref);
    if (!copy || table_add(&r->index->employers, copy, strlen(copy), r->n_employers) < 0) {
        free(copy);
        return FM_ENOMEM;
    }
    r->employers[r->n_employers] = copy;
    return (int32_t)r->n_employers++;
}

int32_t fm_region_intern_sector(fm_region *r, const char *code)
{
    assert(r && code);
    size_t len;
    const char *t = trim(code, &len);
    if (len == 0)
        return FM_EINVAL;
    /* Most codes are known: look up with a key on the stack first. */
    char small[128];
    if (len < sizeof small && r->index) {
        sector_key(t, small);
        int32_t id = table_find(&r->index->sectors, small, len);
        if (id >= 0)
            return id;
    }
    char *key = malloc(len + 1);
    if (!key)
        return FM_ENOMEM;
    size_t klen = sector_key(t, key);
    assert(klen == len);
    int32_t id = r->index ? table_find(&r->index->sectors, key, klen) : -1;
    if (id >= 0) {
        free(key);
        return id;
    }
    char *spelling = NULL;
    int rc = FM_ENOMEM;
    if (r->n_sectors >= MAX_SECTORS) {
        rc = FM_ELIMIT;
        goto fail;
    }
    if (ensure_index(r) < 0 ||
        grow((void **)&r->sectors, &r->cap_sectors, r->n_sectors + 1, sizeof *r->sectors) < 0 ||
        pool_reserve(&r->index->sectors.pool, r->n_sectors) < 0)
        goto fail;
    spelling = malloc(len + 1);
    if (!spelling)
        goto fail;
    memcpy(spelling, t, len);
    spelling[len] = '\0';
    if (table_add(&r->index->sectors, key, klen, r->n_sectors) < 0)
        goto fail;
    r->sectors[r->n_sectors] = spelling;
    return (int32_t)r->n_sectors++;
fail:
    free(spelling);
    free(key);
    return rc;
}

/* ---- lookups ---------------------------------------------------------- */

int32_t fm_region_find_school(const fm_region *r, const char *ref)
{
    assert(r && ref);
    return r->index ? table_find(&r->index->schools, ref, strlen(ref)) : -1;
}

int32_t fm_region_find_sector(const fm_region *r, const char *code)
{
    assert(r && code);
    if (!r->index)
        return -1;
    char small[128];
    size_t n = strlen(code);
    char *key = n < sizeof small ? small : malloc(n + 1);
    if (!key)
        return -1; /* cannot even look: treat as unknown */
    size_t klen = sector_key(code, key);
    int32_t id = klen ? table_find(&r->index->sectors, key, klen) : -1;
    if (key != small)
        free(key);
    return id;
}

int32_t fm_region_find_student(const fm_region *r, const char *ref)
{
    assert(r && ref);
    return r->index ? table_find(&r->index->students, ref, strlen(ref)) : -1;
}

int32_t fm_region_find_placement(const fm_region *r, const char *ref)
{
    assert(r && ref);
    return r->index ? table_find(&r->index->placements, ref, strlen(ref)) : -1;
}

int32_t fm_region_find_mentor(const fm_region *r, const char *ref)
{
    assert(r && ref);
    return r->index ? table_find(&r->index->mentors, ref, strlen(ref)) : -1;
}

/* ---- records ---------------------------------------------------------- */

/* The common part of adding a record with a ref: duplicate check, room in
 * the array and in the pool, the ref copy.  On success *copy is the owned
 * ref, not yet in the table. */
static int prepare_add(fm_region *r, table *(*pick)(fm_region_index *), void **arr,
                       size_t *cap, size_t n, size_t elem, const char *ref, char **copy)
{
    if (ensure_index(r) < 0)
        return FM_ENOMEM;
    table *t = pick(r->index);
    if (table_find(t, ref, strlen(ref)) >= 0)
        return FM_EINVAL;
    if (n >= MAX_ITEMS)
        return FM_ELIMIT;
    if (grow(arr, cap, n + 1, elem) < 0 || pool_reserve(&t->pool, n) < 0)
        return FM_ENOMEM;
    *copy = dup_str(ref);
    return *copy ? 0 : FM_ENOMEM;
}

static table *pick_students(fm_region_index *x) { return &x->students; }
static table *pick_placements(fm_region_index *x) { return &x->placements; }
static table *pick_mentors(fm_region_index *x) { return &x->mentors; }

int32_t fm_region_add_student(fm_region *r, const fm_student *s)
{
    assert(r && s && s->ref);
    assert(s->school >= 0 && (size_t)s->school < r->n_schools);
    assert(s->n_sectors <= FM_MAX_STUDENT_SECTORS);
    for (int k = 0; k < s->n_sectors; k++)
        assert(s->sectors[k] >= 0 && (size_t)s->sectors[k] < r->n_sectors);
    assert(s->n_weeks >= 0 && s->weeks_off >= 0 &&
           (size_t)s->weeks_off + (size_t)s->n_weeks <= r->n_ints);
    char *ref = NULL;
    int rc = prepare_add(r, pick_students, (void **)&r->students, &r->cap_students,
                         r->n_students, sizeof *r->students, s->ref, &ref);
    if (rc < 0)
        return rc;
    if (table_add(&r->index->students, ref, strlen(ref), r->n_students) < 0) {
        free(ref);
        return FM_ENOMEM;
    }
    fm_student *d = &r->students[r->n_students];
    *d = *s;
    d->ref = ref;
    return (int32_t)r->n_students++;
}

int32_t fm_region_add_placement(fm_region *r, const fm_placement *p)
{
    assert(r && p && p->ref);
    assert(p->employer >= 0 && (size_t)p->employer < r->n_employers);
    assert(p->sector >= 0 && (size_t)p->sector < r->n_sectors);
    char *ref = NULL, *title = NULL;
    int rc = prepare_add(r, pick_placements, (void **)&r->placements, &r->cap_placements,
                         r->n_placements, sizeof *r->placements, p->ref, &ref);
    if (rc < 0)
        return rc;
    title = dup_str(p->title);
    if (!title || table_add(&r->index->placements, ref, strlen(ref), r->n_placements) < 0) {
        free(ref);
        free(title);
        return FM_ENOMEM;
    }
    fm_placement *d = &r->placements[r->n_placements];
    *d = *p;
    d->ref = ref;
    d->title = title;
    return (int32_t)r->n_placements++;
}

int32_t fm_region_add_mentor(fm_region *r, const fm_mentor *m)
{
    assert(r && m && m->ref);
    assert(m->n_sectors >= 0 && m->sectors_off >= 0 &&
           (size_t)m->sectors_off + (size_t)m->n_sectors <= r->n_ints);
    char *ref = NULL, *org = NULL;
    int rc = prepare_add(r, pick_mentors, (void **)&r->mentors, &r->cap_mentors,
                         r->n_mentors, sizeof *r->mentors, m->ref, &ref);
    if (rc < 0)
        return rc;
    org = dup_str(m->organisation);
    if (!org || table_add(&r->index->mentors, ref, strlen(ref), r->n_mentors) < 0) {
        free(ref);
        free(org);
        return FM_ENOMEM;
    }
    fm_mentor *d = &r->mentors[r->n_mentors];
    *d = *m;
    d->ref = ref;
    d->organisation = org;
    return (int32_t)r->n_mentors++;
}

int32_t fm_region_add_ints(fm_region *r, const int32_t *v, size_t n)
{
    assert(r && (v || n == 0));
    if (n > MAX_ITEMS - r->n_ints)
        return FM_ELIMIT;
    if (grow((void **)&r->ints, &r->cap_ints, r->n_ints + n, sizeof *r->ints) < 0)
        return FM_ENOMEM;
    if (n)
        memcpy(r->ints + r->n_ints, v, n * sizeof *v);
    int32_t off = (int32_t)r->n_ints;
    r->n_ints += n;
    return off;
}

/* ---- schools ---------------------------------------------------------- */

void fm_region_set_school_owned(fm_region *r, int32_t id, char *name,
                                double lat, double lon, int has_location)
{
    assert(r && name && id >= 0 && (size_t)id < r->n_schools);
    fm_school *k = &r->schools[id];
    free(k->name);
    k->name = name;
    k->lat = has_location ? lat : NAN;
    k->lon = has_location ? lon : NAN;
    k->listed = 1;
}

int fm_region_set_school(fm_region *r, const char *ref, const char *name,
                         double lat, double lon, int has_location)
{
    assert(r && ref);
    fm_region_mark m;
    fm_region_checkpoint(r, &m);
    char *copy = dup_str(name);
    if (!copy)
        return FM_ENOMEM;
    int32_t id = fm_region_intern_school(r, ref);
    if (id < 0) {
        free(copy);
        fm_region_rollback(r, &m);
        return id;
    }
    fm_region_set_school_owned(r, id, copy, lat, lon, has_location);
    return 0;
}

/* ---- rollback --------------------------------------------------------- */

void fm_region_checkpoint(const fm_region *r, fm_region_mark *m)
{
    assert(r && m);
    m->n_students = r->n_students;
    m->n_placements = r->n_placements;
    m->n_mentors = r->n_mentors;
    m->n_schools = r->n_schools;
    m->n_employers = r->n_employers;
    m->n_sectors = r->n_sectors;
    m->n_ints = r->n_ints;
}

void fm_region_rollback(fm_region *r, const fm_region_mark *m)
{
    assert(r && m);
    assert(m->n_students <= r->n_students && m->n_placements <= r->n_placements &&
           m->n_mentors <= r->n_mentors && m->n_schools <= r->n_schools &&
           m->n_employers <= r->n_employers && m->n_sectors <= r->n_sectors &&
           m->n_ints <= r->n_ints);
    fm_region_index *x = r->index;
    if (x) {
        table_truncate(&x->students, r->n_students, m->n_students, 0);
        table_truncate(&x->placements, r->n_placements, m->n_placements, 0);
        table_truncate(&x->mentors, r->n_mentors, m->n_mentors, 0);
        table_truncate(&x->schools, r->n_schools, m->n_schools, 0);
        table_truncate(&x->employers, r->n_employers, m->n_employers, 0);
        table_truncate(&x->sectors, r->n_sectors, m->n_sectors, 1);
    }
    while (r->n_students > m->n_students)
        free(r->students[--r->n_students].ref);
    while (r->n_placements > m->n_placements) {
        fm_placement *p = &r->placements[--r->n_placements];
        free(p->ref);
        free(p->title);
    }
    while (r->n_mentors > m->n_mentors) {
        fm_mentor *t = &r->mentors[--r->n_mentors];
        free(t->ref);
        free(t->organisation);
    }
    while (r->n_schools > m->n_schools) {
        fm_school *k = &r->schools[--r->n_schools];
        free(k->ref);
        free(k->name);
    }
    while (r->n_employers > m->n_employers)
        free(r->employers[--r->n_employers]);
    while (r->n_sectors > m->n_sectors)
        free(r->sectors[--r->n_sectors]);
    r->n_ints = m->n_ints;
}

/* ---- policy ----------------------------------------------------------- */

int fm_student_tier(const fm_student *s)
{
    assert(s);
    int disadvantaged = s->low_income || s->looked_after;
    if (disadvantaged)
        return s->gifted ? 1 : 2;
    return 3;
}

/* ---- canonical order -------------------------------------------------- */

static int cmp_student_ref(const void *a, const void *b)
{
    return strcmp(((const fm_student *)a)->ref, ((const fm_student *)b)->ref);
}

static int cmp_placement_ref(const void *a, const void *b)
{
    return strcmp(((const fm_placement *)a)->ref, ((const fm_placement *)b)->ref);
}

static int cmp_mentor_ref(const void *a, const void *b)
{
    return strcmp(((const fm_mentor *)a)->ref, ((const fm_mentor *)b)->ref);
}

/* Points the lookup entry of each item's ref at its new position. */
static void renumber(table *t, char *const *refs, size_t stride, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *ref = *(char *const *)((const char *)refs + i * stride);
        entry *e = NULL;
        HASH_FIND(hh, t->head, ref, (unsigned)strlen(ref), e);
        assert(e);
        e->id = (int32_t)i;
    }
}

void fm_region_sort_by_ref(fm_region *r)
{
    if (r->n_students > 1)
        qsort(r->students, r->n_students, sizeof *r->students, cmp_student_ref);
    if (r->n_placements > 1)
        qsort(r->placements, r->n_placements, sizeof *r->placements, cmp_placement_ref);
    if (r->n_mentors > 1)
        qsort(r->mentors, r->n_mentors, sizeof *r->mentors, cmp_mentor_ref);
    if (!r->index)
        return;
    if (r->n_students)
        renumber(&r->index->students, &r->students[0].ref, sizeof *r->students, r->n_students);
    if (r->n_placements)
        renumber(&r->index->placements, &r->placements[0].ref, sizeof *r->placements,
                 r->n_placements);
    if (r->n_mentors)
        renumber(&r->index->mentors, &r->mentors[0].ref, sizeof *r->mentors, r->n_mentors);
}
