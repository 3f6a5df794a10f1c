/*
 * lemon_peer.cpp - fm_lemon_peer: an independent optimum for benchmarks.
 * It solves the same fair-access v1 round (policy.md) as fairmatch, but as
 * ONE min-cost flow over all candidate pairs at once, with LEMON's
 * NetworkSimplex.  A benchmark-only peer: never a product dependency.
 *
 *     fm_lemon_peer --students S.csv --placements P.csv [--mentors M.csv]
 *                   [--schools K.csv] [--date YYYY-MM-DD] [--side both|placements|mentors]
 *                   [--count-only]
 *
 * Normal case: reads the four CSVs with the project's adapters
 * (csv_input.h), builds the eligible pairs with fm_cands_build_placements()
 * / _mentors() (candidates.h), and prints, per side, one parseable line
 *
 *     placements students=… pairs=… nodes=… arcs=… build_s=… solve_s=… n1=… n2=… n3=… utility=…
 *
 * (mentors likewise), then `peer read_s=… candidates_s=… peak_mib=…`; exit 0.
 * With --count-only it stops after the candidates: `placements students=… pairs=…`.
 * Failure: a bad option exits 2; an input error (printed as the project's
 * canonical one-line message) exits 2; out of memory or a solver status other
 * than OPTIMAL exits 1.
 *
 * The network of a side, with n = the number of students who have at least
 * one candidate:
 *   source -> student        cap 1, cost -B[tier]
 *   student -> placement     cap 1, cost -utility  (one arc per eligible pair)
 *   student -> p'            the same, for a tier-3 student and a placement
 *                            with R = floor(capacity*reserve_pct/100) > 0
 *   p' -> placement          cap capacity - R, cost 0
 *   placement -> sink        cap capacity, cost 0
 *   source -> sink           cap n, cost 0 (bypass: the flow value is free)
 * and supply n at the source, -n at the sink.  With B3 = 500n+1,
 * B2 = B3(n+1), B1 = B2(n+1) a min-cost flow is lexicographically optimal:
 * the utility of any assignment is at most 500n < B3, so one more tier-3
 * student outweighs any utility; n3*B3 + U < (n+1)*B3 = B2, so one more
 * tier-2 student outweighs any tier-3/utility change; likewise B1.
 *
 * Cost type: B1 ~ 500 n^3 is 5e17 at n = 1e5 and overflows int64 from
 * n ~ 2.6e5; the total cost (n*B1) and LEMON's artificial cost
 * (numeric_limits<Cost>::max()/2+1, added to potentials) overflow much
 * earlier.  So Cost is __int128 (GCC, -std=gnu++17, where
 * std::numeric_limits<__int128> is specialised: is_exact, is_signed, max()),
 * which keeps every potential and reduced cost exact for n up to ~1e8.
 * The flow/capacity type is int.  (Measured: with long long costs the same
 * solve runs about twice as fast at 10k pupils and happens to be right, but
 * nothing bounds the potentials below 2^63 - ART_COST, so it is not used.)
 *
 * Memory: the graph is a StaticDigraph built from an on-the-fly arc list
 * (no materialised pair list); costs and capacities are computed from the
 * arc id by range (the arc order is fixed: source arcs, then pair arcs in
 * the CSR order of fm_cands, then placement->sink arcs, then p'->p arcs), so
 * beyond LEMON's own arrays the peer holds only the fm_cands.  The mentor
 * side has no reserves (no p' nodes).
 */
#include <lemon/network_simplex.h>
#include <lemon/static_graph.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "candidates.h"
#include "csv_input.h"
#include "error.h"
#include "region.h"
}

typedef __int128 Cost;
static_assert(std::numeric_limits<Cost>::is_specialized &&
                  std::numeric_limits<Cost>::is_exact &&
                  std::numeric_limits<Cost>::is_signed,
              "build with -std=gnu++17 so that numeric_limits<__int128> exists");

typedef lemon::StaticDigraph Graph;
typedef lemon::NetworkSimplex<Graph, int, Cost> Simplex;

static double now_s()
{
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

static std::string i128_str(Cost v)
{
    if (v == 0)
        return "0";
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    char buf[64];
    int i = 63;
    buf[i] = '\0';
    while (u) {
        buf[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    }
    if (neg)
        buf[--i] = '-';
    return std::string(buf + i);
}

static long peak_mib()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    std::fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

/* ---- reading: the project's CSV adapters (csv_input.h) ------------------ */

static int read_csv(int (*fn)(fm_region *, const char *, fm_csv_warnings *, fm_error *),
                    fm_region *r, const char *path, fm_error *err)
{
    fm_csv_warnings w;
    std::memset(&w, 0, sizeof w);
    int rc = fn(r, path, &w, err);
    size_t shown = w.count < FM_CSV_WARNINGS_MAX ? w.count : FM_CSV_WARNINGS_MAX;
    for (size_t i = 0; i < shown; i++)
        std::fprintf(stderr, "fm_lemon_peer: warning: %s\n", w.text[i]);
    if (w.count > shown)
        std::fprintf(stderr, "fm_lemon_peer: %zu more warnings\n", w.count - shown);
    return rc;
}

/* ---- the network of one side ------------------------------------------- */

struct Side {
    const fm_region *r;
    const fm_cands *c;
    bool mentors;
    /* students with >= 1 candidate, and their node (1..n) */
    std::vector<int32_t> student;      /* node-1 -> student index */
    std::vector<uint8_t> tier;         /* node-1 -> 1..3 */
    int32_t n = 0;
    int32_t n_targets = 0;
    std::vector<int32_t> reserve_node; /* target -> p' node, or -1 */
    std::vector<int32_t> reserved;     /* p' index -> target */
    int64_t n_pairs = 0;
    /* node numbering */
    int32_t target0 = 0, prime0 = 0, sink = 0, n_nodes = 0;
    /* arc ranges */
    int64_t a_bypass = 0, a_pairs = 0, a_tsink = 0, a_prime = 0, n_arcs = 0;
    Cost B[4] = {0, 0, 0, 0};

    int32_t capacity(int32_t t) const
    {
        return mentors ? r->mentors[t].capacity : r->placements[t].capacity;
    }
    int32_t reserve(int32_t t) const
    {
        if (mentors)
            return 0;
        const fm_placement &p = r->placements[t];
        return (int32_t)((int64_t)p.capacity * p.reserve_pct / 100);
    }

    void setup()
    {
        n_targets = (int32_t)(mentors ? r->n_mentors : r->n_placements);
        for (int32_t s = 0; s < c->n_students; s++) {
            if (c->start[s + 1] > c->start[s]) {
                student.push_back(s);
                tier.push_back((uint8_t)fm_student_tier(&r->students[s]));
            }
        }
        n = (int32_t)student.size();
        n_pairs = c->n_pairs;
        reserve_node.assign((size_t)n_targets, -1);
        target0 = 1 + n;
        prime0 = target0 + n_targets;
        for (int32_t t = 0; t < n_targets; t++) {
            if (reserve(t) > 0) {
                reserve_node[(size_t)t] = prime0 + (int32_t)reserved.size();
                reserved.push_back(t);
            }
        }
        sink = prime0 + (int32_t)reserved.size();
        n_nodes = sink + 1;
        a_bypass = n;
        a_pairs = n + 1;
        a_tsink = a_pairs + n_pairs;
        a_prime = a_tsink + n_targets;
        n_arcs = a_prime + (int64_t)reserved.size();
        Cost nn = n;
        B[3] = 500 * nn + 1;
        B[2] = B[3] * (nn + 1);
        B[1] = B[2] * (nn + 1);
    }

    /* The head of pair arc k of student node i (tier known). */
    int32_t pair_head(int64_t k, int t) const
    {
        int32_t tg = c->target[k];
        int32_t pn = reserve_node[(size_t)tg];
        return (t == 3 && pn >= 0) ? pn : target0 + tg;
    }
};

/* Forward iterator producing the arc list (source, target) in arc-id order
 * without materialising it. */
class ArcGen {
public:
    typedef std::forward_iterator_tag iterator_category;
    typedef std::pair<int, int> value_type;
    typedef std::ptrdiff_t difference_type;
    typedef const value_type *pointer;
    typedef const value_type &reference;

    ArcGen(const Side *sd, int64_t a) : s(sd), arc(a), node(0) { settle(); }
    reference operator*() const { return cur; }
    pointer operator->() const { return &cur; }
    ArcGen &operator++()
    {
        ++arc;
        settle();
        return *this;
    }
    ArcGen operator++(int)
    {
        ArcGen t = *this;
        ++*this;
        return t;
    }
    bool operator==(const ArcGen &o) const { return arc == o.arc; }
    bool operator!=(const ArcGen &o) const { return arc != o.arc; }

private:
    const Side *s;
    int64_t arc;
    int32_t node; /* current student node while in the pair range */
    value_type cur;

    void settle()
    {
        if (arc >= s->n_arcs)
            return;
        if (arc < s->a_bypass) {
            cur = value_type(0, 1 + (int)arc);
        } else if (arc == s->a_bypass) {
            cur = value_type(0, s->sink);
        } else if (arc < s->a_tsink) {
            int64_t k = arc - s->a_pairs;
            if (node == 0)
                node = 1;
            while (s->c->start[s->student[(size_t)node - 1] + 1] <= k)
                node++;
            cur = value_type(node, s->pair_head(k, s->tier[(size_t)node - 1]));
        } else if (arc < s->a_prime) {
            int32_t t = (int32_t)(arc - s->a_tsink);
            cur = value_type(s->target0 + t, s->sink);
        } else {
            int32_t q = (int32_t)(arc - s->a_prime);
            cur = value_type(s->prime0 + q, s->target0 + s->reserved[(size_t)q]);
        }
    }
};

struct CapMap {
    typedef Graph::Arc Key;
    typedef int Value;
    const Graph *g;
    const Side *s;
    Value operator[](const Key &a) const
    {
        int64_t id = g->id(a);
        if (id < s->a_bypass)
            return 1;
        if (id == s->a_bypass)
            return s->n;
        if (id < s->a_tsink)
            return 1;
        if (id < s->a_prime)
            return s->capacity((int32_t)(id - s->a_tsink));
        int32_t t = s->reserved[(size_t)(id - s->a_prime)];
        return s->capacity(t) - s->reserve(t);
    }
};

struct CostMap {
    typedef Graph::Arc Key;
    typedef Cost Value;
    const Graph *g;
    const Side *s;
    Value operator[](const Key &a) const
    {
        int64_t id = g->id(a);
        if (id < s->a_bypass)
            return -s->B[s->tier[(size_t)id]];
        if (id == s->a_bypass)
            return 0;
        if (id < s->a_tsink)
            return -(Cost)s->c->utility[id - s->a_pairs];
        return 0;
    }
};

static int solve_side(const char *name, const fm_region *r, const fm_cands *c,
                      bool mentors, bool count_only)
{
    Side s;
    s.r = r;
    s.c = c;
    s.mentors = mentors;
    if (count_only) {
        int32_t n = 0;
        for (int32_t i = 0; i < c->n_students; i++)
            n += c->start[i + 1] > c->start[i];
        std::printf("%s students=%" PRId32 " pairs=%" PRId64 "\n", name, n,
                    c->n_pairs);
        return 0;
    }

    double t0 = now_s();
    s.setup();
    if (s.n_arcs > std::numeric_limits<int>::max() ||
        s.n_nodes > std::numeric_limits<int>::max() / 2) {
        std::fprintf(stderr, "fm_lemon_peer: %s: %" PRId64 " arcs is more than "
                     "LEMON's int ids hold\n", name, s.n_arcs);
        return 1;
    }
    Graph g;
    g.build(s.n_nodes, ArcGen(&s, 0), ArcGen(&s, s.n_arcs));
    Simplex ns(g);
    CapMap cap{&g, &s};
    CostMap cost{&g, &s};
    ns.upperMap(cap).costMap(cost).stSupply(g.node(0), g.node(s.sink), s.n);
    double t1 = now_s();
    Simplex::ProblemType st = ns.run();
    double t2 = now_s();
    if (st != Simplex::OPTIMAL) {
        std::fprintf(stderr, "fm_lemon_peer: %s: NetworkSimplex status %d\n",
                     name, (int)st);
        return 1;
    }

    /* The vector, from the flow on pair arcs; each student's pair arcs
     * carry at most one unit (source arc cap 1). */
    int64_t cnt[4] = {0, 0, 0, 0}, utility = 0;
    int64_t k = 0;
    for (int32_t i = 0; i < s.n; i++) {
        int32_t st_idx = s.student[(size_t)i];
        int64_t end = c->start[st_idx + 1];
        int got = 0;
        for (; k < end; k++) {
            if (ns.flow(g.arc((int)(s.a_pairs + k))) > 0) {
                got++;
                utility += c->utility[k];
            }
        }
        if (got > 1) {
            std::fprintf(stderr, "fm_lemon_peer: %s: student matched twice\n", name);
            return 1;
        }
        if (got)
            cnt[s.tier[(size_t)i]]++;
    }
    /* Cross-check: the flow's cost is exactly -(B1 n1 + B2 n2 + B3 n3 + U). */
    Cost total = ns.totalCost();
    Cost expect = -(s.B[1] * cnt[1] + s.B[2] * cnt[2] + s.B[3] * cnt[3] + (Cost)utility);
    if (total != expect) {
        std::fprintf(stderr, "fm_lemon_peer: %s: cost %s does not decompose (%s)\n",
                     name, i128_str(total).c_str(), i128_str(expect).c_str());
        return 1;
    }
    std::printf("%s students=%" PRId32 " pairs=%" PRId64 " nodes=%" PRId32
                " arcs=%" PRId64 " build_s=%.3f solve_s=%.3f n1=%" PRId64
                " n2=%" PRId64 " n3=%" PRId64 " utility=%" PRId64 "\n",
                name, s.n, s.n_pairs, s.n_nodes, s.n_arcs, t1 - t0, t2 - t1,
                cnt[1], cnt[2], cnt[3], utility);
    std::fflush(stdout);
    return 0;
}

static void usage(FILE *f)
{
    std::fprintf(f,
                 "usage: fm_lemon_peer --students S.csv --placements P.csv "
                 "[--mentors M.csv] [--schools K.csv] [--date YYYY-MM-DD] "
                 "[--side both|placements|mentors] [--count-only]\n");
}

static int fail_input(const fm_error *err)
{
    char buf[1024];
    fm_error_format(err, buf, sizeof buf);
    std::fprintf(stderr, "fm_lemon_peer: %s\n", buf);
    return err->code == FM_EINVAL ? 2 : 1;
}

int main(int argc, char **argv)
{
    const char *students = nullptr, *placements = nullptr, *mentors = nullptr,
               *schools = nullptr, *side = "both";
    int32_t date = 20270614;
    bool count_only = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        }
        if (a == "--count-only") {
            count_only = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (a == "--students")
            students = v;
        else if (a == "--placements")
            placements = v;
        else if (a == "--mentors")
            mentors = v;
        else if (a == "--schools")
            schools = v;
        else if (a == "--side")
            side = v;
        else if (a == "--date") {
            int y, m, d;
            char extra;
            if (std::strlen(v) != 10 ||
                std::sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) {
                std::fprintf(stderr, "fm_lemon_peer: --date: not a date %s\n", v);
                return 2;
            }
            date = y * 10000 + m * 100 + d;
        } else {
            usage(stderr);
            return 2;
        }
    }
    bool do_p = std::strcmp(side, "mentors") != 0;
    bool do_m = std::strcmp(side, "placements") != 0 && mentors;
    if (!students || !placements ||
        (std::strcmp(side, "both") != 0 && std::strcmp(side, "placements") != 0 &&
         std::strcmp(side, "mentors") != 0)) {
        usage(stderr);
        return 2;
    }

    fm_region r;
    fm_region_init(&r);
    fm_error err;
    fm_error_clear(&err);
    double t0 = now_s();
    /* Schools first, so that their listing is known before students refer to them. */
    if ((schools && read_csv(fm_csv_read_schools, &r, schools, &err) != 0) ||
        read_csv(fm_csv_read_students, &r, students, &err) != 0 ||
        read_csv(fm_csv_read_placements, &r, placements, &err) != 0 ||
        (mentors && read_csv(fm_csv_read_mentors, &r, mentors, &err) != 0))
        return fail_input(&err);
    double t1 = now_s();
    double cand_s = 0.0;
    int rc = 0;

    if (do_p) {
        fm_cands c;
        double a = now_s();
        if (fm_cands_build_placements(&r, date, &c, &err) != 0)
            return fail_input(&err);
        cand_s += now_s() - a;
        rc = solve_side("placements", &r, &c, false, count_only);
        fm_cands_free(&c);
    }
    if (rc == 0 && do_m) {
        fm_cands c;
        double a = now_s();
        if (fm_cands_build_mentors(&r, date, &c, &err) != 0)
            return fail_input(&err);
        cand_s += now_s() - a;
        rc = solve_side("mentors", &r, &c, true, count_only);
        fm_cands_free(&c);
    }
    std::printf("peer read_s=%.3f candidates_s=%.3f peak_mib=%ld\n", t1 - t0,
                cand_s, peak_mib());
    fm_region_free(&r);
    return rc;
}
