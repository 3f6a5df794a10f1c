/*
 * auction.c - the level-4 start by a forward auction with epsilon-scaling
 * (see auction.h).
 *
 * Objects are the pools and the three not-placed objects, each with as
 * many seats as it has capacity; every seat has its own price, and an
 * object's seats form a min-heap by price, so a bid always takes the
 * cheapest seat.  Values are utilities times `scale` (students + 1), so
 * that a final epsilon of 1 would be exact for the plain assignment
 * problem.  An unassigned student bids for the object of best value
 * (utility minus price), raising that seat's price by the margin over the
 * second best plus epsilon, and displaces whoever held the seat.  Prices
 * only rise, so each student keeps its few best pairs from its last full
 * scan and a bound on the value of all the others: while the best cached
 * value still reaches the bound, a bid reads only the cache.  A scan reads
 * a student's pairs in blocks of 16, each with a bound on its values from
 * its last reading, best block first, and stops at the first block that
 * cannot enter the cache (at 100k pupils a scan then reads 185 pairs on
 * average, against 336 without blocks).  Each phase
 * starts with everybody unassigned and the prices of the phase before.
 *
 * Normal case: a holds the auction's assignment.  Failure: a unchanged;
 * FM_ENOMEM, FM_ECANCELLED, or FM_EINTERNAL when a phase exceeds its bid
 * limit or the counts come out wrong (neither should happen).
 */
#include "auction.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utility.h"

/* Pairs a student keeps between full scans (4, 8 and 16 scan about as
 * often; 8 gives the simplex the best hints). */
#ifndef CACHE_PAIRS
#define CACHE_PAIRS 8
#endif
/* Pairs per block: a scan skips a block whose bound cannot matter. */
#ifndef AUCTION_BLOCK
#define AUCTION_BLOCK 16
#endif
/* Blocks a scan sorts by bound (on the stack); more are read in order. */
#define SORTED_BLOCKS 256
/* Epsilon, in utility points: the first phase's, the factor between
 * phases, and the last phase's at most.  The simplex finishes the job, so
 * the phases stop well before epsilon is small enough to be exact: at 100k
 * pupils phases below 2 points cost bids without saving pivots. */
#ifndef FIRST_EPSILON
#define FIRST_EPSILON 25
#endif
#ifndef EPSILON_FACTOR
#define EPSILON_FACTOR 4
#endif
#ifndef LAST_EPSILON
#define LAST_EPSILON 2
#endif
/* Bids per phase, at most, per bidding student (phases take 5-20). */
#define BIDS_PER_STUDENT 200

#define NO_VALUE (INT64_MIN / 4)
#define NO_POOL (INT64_MAX / 4)     /* the price of a pool that does not exist */
#define NEVER_SCANNED INT64_MAX
#define NOT_PLACED (-1)
#define UNASSIGNED (-2)

/* A pair kept between scans, with what its value needs close at hand. */
typedef struct cached_pair {
    int64_t edge;           /* -1 = none */
    int32_t slot;           /* its pool's entry in pool_price */
    int32_t utility;
} cached_pair;

typedef struct auction {
    const fm_pools *p;
    int64_t scale, epsilon;
    int32_t n_objects;      /* the pools, then not-placed for tiers 1..3 */
    int64_t *first;         /* per object: its first seat; n_objects + 1 */
    int64_t *price;         /* per seat; each object's seats a min-heap */
    int64_t *pool_price;    /* per target t: 2t its general pool's cheapest
                               seat, 2t+1 its reserved pool's */
    int32_t *holder;        /* per seat: student, or -1 */
    int64_t *held;          /* per student: edge, NOT_PLACED or UNASSIGNED */
    cached_pair *cache;     /* per student CACHE_PAIRS pairs */
    int64_t *bound;         /* per student: no uncached pair is worth more */
    uint8_t *bidder;        /* per student: has a pool it may use */
    int32_t *queue;         /* unassigned students, a ring */
    size_t queue_head, queue_len, queue_cap;
    fm_auction_stats *stats;
    int64_t *first_block;   /* per student: its first block; n_students + 1 */
    int64_t *block_bound;   /* per block: no pair in it is worth more */
} auction;

/* The best and second-best values over distinct objects. */
typedef struct top2 {
    int64_t v1, v2;
    int32_t object;
    int64_t edge;
} top2;

static inline void consider(top2 *t, int64_t v, int32_t object, int64_t edge)
{
    if (v > t->v1) {
        t->v2 = t->v1;
        t->v1 = v;
        t->object = object;
        t->edge = edge;
    } else if (v > t->v2) {
        t->v2 = v;
    }
}

static inline int64_t edge_value(const auction *x, int64_t e)
{
    return (int64_t)x->p->cands->utility[e >> 1] * x->scale;
}

static inline int64_t seat_price(const auction *x, int32_t object)
{
    return x->price[x->first[object]];
}

/* The cheapest seat of edge e's pool, from the dense per-target copies
 * (a scan reads hundreds of pairs; one lookup each keeps it in cache). */
static inline int32_t edge_slot(const auction *x, int64_t e)
{
    return 2 * x->p->cands->target[e >> 1] + (int32_t)(e & 1);
}

static void note_price(auction *x, int32_t object)
{
    const fm_pools *p = x->p;
    if (object >= p->n_pools)
        return;
    int32_t t = p->target_of[object];
    x->pool_price[2 * t + (p->general[t] != object)] = seat_price(x, object);
}

/* Restores object's heap after its cheapest seat's price rose. */
static void sift_down(auction *x, int32_t object)
{
    int64_t base = x->first[object], n = x->first[object + 1] - base, i = 0;
    int64_t *price = x->price + base;
    int32_t *holder = x->holder + base;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && price[c + 1] < price[c])
            c++;
        if (price[i] <= price[c])
            break;
        int64_t tp = price[i];
        price[i] = price[c];
        price[c] = tp;
        int32_t th = holder[i];
        holder[i] = holder[c];
        holder[c] = th;
        i = c;
    }
}

/* Reads all of s's pairs: the CACHE_PAIRS best go to the cache, the next
 * value to the bound (pairs come by utility descending, and a value is at
 * most the utility, so the read stops early). */
/* Puts (v, item) into key/items, sorted by key descending over [0, k],
 * shifting down the entries of [0, k) with smaller keys (slot k is free). */
static inline void insert_descending(int64_t key[], int64_t items[], int64_t k, int64_t v,
                                     int64_t item)
{
    while (k > 0 && key[k - 1] < v) {
        key[k] = key[k - 1];
        items[k] = items[k - 1];
        k--;
    }
    key[k] = v;
    items[k] = item;
}

/* Keeps pair i's edges among the best n <= CACHE_PAIRS + 1 in kv/ke. */
static inline int64_t keep_best(const auction *x, int64_t i, int both, int64_t kv[],
                                int64_t ke[], int *n)
{
    int64_t b = (int64_t)x->p->cands->utility[i] * x->scale, best = NO_VALUE;
    for (int64_t e = 2 * i; e <= 2 * i + both; e++) {
        int64_t price = x->pool_price[edge_slot(x, e)];
        int64_t v = b - price;
        if (price == NO_POOL)
            continue;
        if (v > best)
            best = v;
        if (*n == CACHE_PAIRS + 1 && v <= kv[CACHE_PAIRS])
            continue;
        insert_descending(kv, ke, *n < CACHE_PAIRS + 1 ? (*n)++ : *n - 1, v, e);
    }
    return best;
}

/* Reads pairs [lo, hi), block k of student s, into kv/ke; renews the
 * block's bound. */
static void read_block(auction *x, int32_t s, int64_t k, int64_t lo, int64_t hi, int both,
                       int64_t kv[], int64_t ke[], int *n)
{
    int64_t best = NO_VALUE;
    for (int64_t i = lo; i < hi; i++) {
        int64_t v = keep_best(x, i, both, kv, ke, n);
        if (v > best)
            best = v;
    }
    x->block_bound[x->first_block[s] + k] = best;
    x->stats->pairs_read += hi - lo;
}

static void scan(auction *x, int32_t s)
{
    const fm_pools *p = x->p;
    const fm_cands *c = p->cands;
    int64_t kv[CACHE_PAIRS + 1], ke[CACHE_PAIRS + 1];
    int n = 0, both = p->tier[s] <= 2;
    int64_t begin = c->start[s], end = c->start[s + 1];
    int64_t *block_bound = x->block_bound + x->first_block[s];
    int64_t n_blocks = (end - begin + AUCTION_BLOCK - 1) / AUCTION_BLOCK;
    /* Blocks by their bound, best first (a block never read is bounded by
     * its first pair's utility), so that the best values come early and
     * the rest can be skipped. */
    if (n_blocks > SORTED_BLOCKS) {       /* rare: read them in pair order */
        for (int64_t k = 0; k < n_blocks; k++) {
            int64_t lo = begin + k * AUCTION_BLOCK;
            int64_t hi = lo + AUCTION_BLOCK < end ? lo + AUCTION_BLOCK : end;
            if (n == CACHE_PAIRS + 1 && (int64_t)c->utility[lo] * x->scale <= kv[CACHE_PAIRS])
                break;
            read_block(x, s, k, lo, hi, both, kv, ke, &n);
        }
    } else {
        int64_t key[SORTED_BLOCKS], order[SORTED_BLOCKS];
        for (int64_t k = 0; k < n_blocks; k++) {
            int64_t u = (int64_t)c->utility[begin + k * AUCTION_BLOCK] * x->scale;
            insert_descending(key, order, k, block_bound[k] < u ? block_bound[k] : u, k);
        }
        for (int64_t j = 0; j < n_blocks; j++) {
            if (n == CACHE_PAIRS + 1 && key[j] <= kv[CACHE_PAIRS])
                break;
            int64_t lo = begin + order[j] * AUCTION_BLOCK;
            int64_t hi = lo + AUCTION_BLOCK < end ? lo + AUCTION_BLOCK : end;
            read_block(x, s, order[j], lo, hi, both, kv, ke, &n);
        }
    }
    cached_pair *cache = x->cache + (size_t)s * CACHE_PAIRS;
    for (int k = 0; k < CACHE_PAIRS; k++) {
        cache[k].edge = k < n ? ke[k] : -1;
        if (k < n) {
            cache[k].slot = edge_slot(x, ke[k]);
            cache[k].utility = c->utility[ke[k] >> 1];
        }
    }
    x->bound[s] = n == CACHE_PAIRS + 1 ? kv[CACHE_PAIRS] : NO_VALUE;
    x->stats->scans++;
}

/* Values of s's not-placed object and cached pairs. */
static top2 cached_values(const auction *x, int32_t s)
{
    top2 t = { NO_VALUE, NO_VALUE, -1, UNASSIGNED };
    const fm_pools *p = x->p;
    int tier = p->tier[s];
    int32_t none = p->n_pools + tier - 1;
    if (x->first[none + 1] > x->first[none])
        consider(&t, -seat_price(x, none), none, NOT_PLACED);
    const cached_pair *cache = x->cache + (size_t)s * CACHE_PAIRS;
    for (int k = 0; k < CACHE_PAIRS && cache[k].edge >= 0; k++)
        consider(&t, (int64_t)cache[k].utility * x->scale - x->pool_price[cache[k].slot],
                 -1, cache[k].edge);
    if (t.edge >= 0)
        t.object = fm_pools_edge_pool(p, t.edge, tier);
    return t;
}

static void enqueue(auction *x, int32_t s)
{
    x->queue[(x->queue_head + x->queue_len++) % x->queue_cap] = s;
}

/* One bid of unassigned student s. */
static void bid(auction *x, int32_t s)
{
    top2 t = cached_values(x, s);
    if (x->bound[s] == NEVER_SCANNED || t.v1 < x->bound[s]) {
        scan(x, s);
        t = cached_values(x, s);
    }
    int64_t v2 = t.v2 > x->bound[s] ? t.v2 : x->bound[s];
    int32_t j = t.object;
    int64_t base = x->first[j], seats = x->first[j + 1] - base;
    if (seats >= 2) {
        /* the object's second-cheapest seat is an alternative too */
        int64_t second = x->price[base + 1];
        if (seats >= 3 && x->price[base + 2] < second)
            second = x->price[base + 2];
        int64_t b = t.edge >= 0 ? edge_value(x, t.edge) : 0;
        if (b - second > v2)
            v2 = b - second;
    }
    if (v2 == NO_VALUE)
        v2 = t.v1 - (int64_t)FM_UTILITY_MAX * x->scale;  /* no alternative at all */
    int32_t displaced = x->holder[base];
    x->price[base] += t.v1 - v2 + x->epsilon;
    x->holder[base] = s;
    sift_down(x, j);
    note_price(x, j);
    x->held[s] = t.edge;
    x->stats->bids++;
    if (displaced >= 0) {
        x->held[displaced] = UNASSIGNED;
        enqueue(x, displaced);
    }
}

static int run_phase(auction *x, int64_t bidders, int (*stop)(void *), void *stop_arg)
{
    const fm_pools *p = x->p;
    if (stop && stop(stop_arg))
        return FM_ECANCELLED;
    for (int64_t i = 0; i < x->first[x->n_objects]; i++)
        x->holder[i] = -1;
    x->queue_head = x->queue_len = 0;
    for (int32_t s = 0; s < p->n_students; s++)
        if (x->bidder[s]) {
            x->held[s] = UNASSIGNED;
            enqueue(x, s);
        }
    int64_t limit = BIDS_PER_STUDENT * bidders + 100000, bids = 0;
    while (x->queue_len > 0) {
        int32_t s = x->queue[x->queue_head];
        x->queue_head = (x->queue_head + 1) % x->queue_cap;
        x->queue_len--;
        bid(x, s);
        if (++bids > limit)
            return FM_EINTERNAL;
        if ((bids & 0xffff) == 0 && stop && stop(stop_arg))
            return FM_ECANCELLED;
    }
    x->stats->phases++;
    return FM_OK;
}

static int setup(auction *x, const fm_pools *p, const int64_t counts[3], int64_t *bidders)
{
    const fm_cands *c = p->cands;
    size_t ns = (size_t)p->n_students;
    int64_t per_tier[3] = { 0, 0, 0 }, blocks = 0;
    x->bidder = calloc(ns + 1, 1);
    x->held = malloc((ns + 1) * sizeof *x->held);
    x->cache = malloc((ns + 1) * CACHE_PAIRS * sizeof *x->cache);
    x->bound = malloc((ns + 1) * sizeof *x->bound);
    x->queue = malloc((ns + 1) * sizeof *x->queue);
    x->first_block = malloc((ns + 1) * sizeof *x->first_block);
    x->n_objects = p->n_pools + 3;
    x->first = malloc(((size_t)x->n_objects + 1) * sizeof *x->first);
    if (!x->bidder || !x->held || !x->cache || !x->bound || !x->queue || !x->first ||
        !x->first_block)
        return FM_ENOMEM;
    x->queue_cap = ns + 1;
    for (int32_t s = 0; s < p->n_students; s++) {
        x->held[s] = UNASSIGNED;
        x->bound[s] = NEVER_SCANNED;
        for (int k = 0; k < CACHE_PAIRS; k++)
            x->cache[(size_t)s * CACHE_PAIRS + k].edge = -1;
        x->first_block[s] = blocks;
        blocks += (c->start[s + 1] - c->start[s] + AUCTION_BLOCK - 1) / AUCTION_BLOCK;
        for (int64_t e = 2 * c->start[s]; e < 2 * c->start[s + 1]; e++)
            if (fm_pools_edge_pool(p, e, p->tier[s]) >= 0) {
                x->bidder[s] = 1;
                per_tier[p->tier[s] - 1]++;
                break;
            }
    }
    x->first_block[ns] = blocks;
    x->block_bound = malloc(((size_t)blocks + 1) * sizeof *x->block_bound);
    if (!x->block_bound)
        return FM_ENOMEM;
    for (int64_t k = 0; k < blocks; k++)
        x->block_bound[k] = INT64_MAX;
    *bidders = per_tier[0] + per_tier[1] + per_tier[2];
    int64_t seats = 0;
    for (int32_t j = 0; j < x->n_objects; j++) {
        x->first[j] = seats;
        if (j < p->n_pools) {
            seats += p->cap[j];
        } else {
            int64_t none = per_tier[j - p->n_pools] - counts[j - p->n_pools];
            if (none < 0)
                return FM_EINTERNAL;
            seats += none;
        }
    }
    x->first[x->n_objects] = seats;
    x->pool_price = malloc(2 * ((size_t)p->n_targets + 1) * sizeof *x->pool_price);
    if (!x->pool_price)
        return FM_ENOMEM;
    for (int32_t t = 0; t < p->n_targets; t++) {
        x->pool_price[2 * t] = p->general[t] >= 0 ? 0 : NO_POOL;
        x->pool_price[2 * t + 1] = p->reserved[t] >= 0 ? 0 : NO_POOL;
    }
    x->price = calloc((size_t)seats + 1, sizeof *x->price);
    x->holder = malloc(((size_t)seats + 1) * sizeof *x->holder);
    if (!x->price || !x->holder)
        return FM_ENOMEM;
    x->scale = *bidders + 1;
    return FM_OK;
}

/* Copies the auction's assignment into a if its counts are `counts`. */
static int read_out(const auction *x, const int64_t counts[3], fm_assign *a)
{
    const fm_pools *p = x->p;
    int64_t placed[3] = { 0, 0, 0 };
    for (int32_t s = 0; s < p->n_students; s++) {
        if (x->bidder[s] && x->held[s] == UNASSIGNED)
            return FM_EINTERNAL;
        if (x->bidder[s] && x->held[s] >= 0)
            placed[p->tier[s] - 1]++;
    }
    if (placed[0] != counts[0] || placed[1] != counts[1] || placed[2] != counts[2])
        return FM_EINTERNAL;
    memset(a->load, 0, (size_t)p->n_pools * sizeof *a->load);
    for (int32_t s = 0; s < p->n_students; s++) {
        a->edge[s] = x->bidder[s] && x->held[s] >= 0 ? x->held[s] : -1;
        if (a->edge[s] >= 0)
            a->load[fm_pools_edge_pool(p, a->edge[s], p->tier[s])]++;
    }
    return FM_OK;
}

int fm_auction_start(const fm_pools *p, const int64_t counts[3], fm_assign *a,
                     int64_t *hints, int n_hints,
                     fm_auction_stats *stats, int (*stop)(void *), void *stop_arg)
{
    auction x = { .p = p, .stats = stats };
    int64_t bidders = 0;
    memset(stats, 0, sizeof *stats);
    int rc = setup(&x, p, counts, &bidders);
    if (rc)
        goto out;
    for (x.epsilon = FIRST_EPSILON * x.scale;; x.epsilon /= EPSILON_FACTOR) {
        if ((rc = run_phase(&x, bidders, stop, stop_arg)))
            goto out;
        if (x.epsilon <= LAST_EPSILON * x.scale)
            break;
    }
    rc = read_out(&x, counts, a);
    if (rc == FM_OK && hints)
        for (int32_t s = 0; s < p->n_students; s++)
            for (int k = 0; k < n_hints; k++)
                hints[(size_t)s * n_hints + k] = k < CACHE_PAIRS ? x.cache[(size_t)s * CACHE_PAIRS + k].edge : -1;
out:
    free(x.first);
    free(x.price);
    free(x.pool_price);
    free(x.holder);
    free(x.held);
    free(x.cache);
    free(x.bound);
    free(x.bidder);
    free(x.queue);
    free(x.first_block);
    free(x.block_bound);
    return rc;
}
