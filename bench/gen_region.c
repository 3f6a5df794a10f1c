/*
 * gen_region.c - fm_gen_region: writes a fictional but realistic region
 * (students.csv, placements.csv, mentors.csv, schools.csv, formats per
 * files.md) for benchmarks and sample data.
 *
 *     fm_gen_region --students N --seed S --out DIR [--date 2027-06-14]
 *                   [--national]
 *
 * Normal case: creates DIR if needed, writes the four files and prints one
 * line of totals to stdout; the same (N, seed, date) always gives the same
 * bytes (own PRNG: splitmix64 seeding xoshiro256**; no libc rand, no
 * locale-dependent formatting).  Failure: a bad option prints the usage and
 * exits 2; a file that cannot be written prints why and exits 1.
 *
 * The shape of a region (the numbers are the knobs; bench/README.md gives
 * the candidate-pair counts they produce):
 * - a square region centred on 52.5N 1.5W whose side is 100 km at 100k
 *   pupils and scales with N^(1/4) (so the density of placements per km^2
 *   grows with sqrt(N): a bigger authority also has busier towns);
 * - 3 + N/5000 towns (at most 16) with sizes ~ 1/sqrt(rank), spread over the
 *   region; schools (1 per ~300 pupils, at least 3 from 150 pupils) in towns,
 *   15% rural; pupils live within a few km of their school; ~1% attend a
 *   school outside the region (OUT001..OUT003, not in schools.csv);
 * - employers (~2.3 placements each) in the same towns, 15% rural, each with
 *   a main sector; 0.15 placements per pupil, capacity skewed (90% 1-5, 10%
 *   6-30), ~0.55 seats per pupil; ~8% virtual, 10% accessible, ~20% with a
 *   reserve of 20-30%, min_age 16 or 18 on 13%;
 * - 20 sectors; pupils' preferences and placements' sectors follow Zipf laws
 *   over two different orders of the sectors, so the sectors pupils like
 *   most (media, it, sport, law, health) are oversubscribed;
 * - pupils list 1-5 sectors (half of them 3); max_travel_km mostly 20-40
 *   (10% blank = 20); low_income ~25%, looked_after ~3%, gifted ~10%,
 *   needs_access ~4%; gender F/M, some X or blank; ages 14-18 on the round
 *   date (mostly 15-16); 95% want a placement, 30% a mentor;
 * - weeks: the ISO week of the round date and the 4 after it; 40% of pupils
 *   name 1-4 consecutive ones, half the placements name one;
 * - mentors: ~1 per 30 pupils, 1-3 sectors, capacity 1-5, ~25% online,
 *   DBS valid for 78%, expired for 14%, missing for 8%.
 *
 * --national: a whole country's year group rather than one authority (England:
 * ~600k pupils, ~90k placements, ~300k seats), i.e. many authorities side by
 * side, so that the candidate pairs grow linearly with N instead of
 * superlinearly.  Everything above holds except:
 * - the square's side is sqrt(N / NAT_DENSITY) km (area linear in N: 4.5
 *   pupils per km^2 on average, England's 600k pupils over ~130 000 km^2 gives
 *   4.6), with 3 + N/NAT_PUPILS_PER_TOWN towns (one per 5 500 pupils, no cap)
 *   kept at least half a town cell apart;
 * - each town's spread grows with the square root of its share of pupils
 *   (every town about equally dense, NAT_URBAN_DENSITY pupils per km^2 within
 *   one standard deviation), so that a pupil's neighbourhood, and hence the
 *   pairs per pupil (~300, what the default mode gives at 50k-100k), does
 *   not depend on N;
 * - 7% of placements (not 10%) have 6-30 seats: ~0.5 seats per pupil
 *   (~300k at 600k pupils).
 * The default mode's output is unchanged byte for byte (the benchmark's
 * cached regions and published figures stay valid).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- PRNG: xoshiro256** seeded by splitmix64 ------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [lo, hi]. */
static int rng_int(rng *r, int lo, int hi)
{
    return lo + (int)(rng_unit(r) * (double)(hi - lo + 1));
}

static int rng_bool(rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Standard normal (Box-Muller, one value per call: simple and deterministic). */
static double rng_normal(rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Index drawn from non-negative weights w[0..n-1] (sum > 0). */
static int rng_pick(rng *r, const double *w, int n)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += w[i];
    double x = rng_unit(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---- dates and ISO weeks ---------------------------------------------- */

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ISO weekday 1 (Mon) .. 7 (Sun). */
static int iso_weekday(long days)
{
    long w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

static int iso_weeks_in_year(int y)
{
    int jan1 = iso_weekday(days_from_civil(y, 1, 1));
    return jan1 == 4 || (jan1 == 3 && is_leap(y)) ? 53 : 52;
}

/* ISO week of a date: *wy the week-numbering year, *wn 1..53. */
static void iso_week(int y, int m, int d, int *wy, int *wn)
{
    long days = days_from_civil(y, m, d);
    int doy = (int)(days - days_from_civil(y, 1, 1)) + 1;
    int wd = iso_weekday(days);
    int w = (doy - wd + 10) / 7;
    if (w < 1) {
        *wy = y - 1;
        *wn = iso_weeks_in_year(y - 1);
    } else if (w > iso_weeks_in_year(y)) {
        *wy = y + 1;
        *wn = 1;
    } else {
        *wy = y;
        *wn = w;
    }
}

/* ---- the vocabulary of a fictional region ----------------------------- */

#define N_SECTORS 20
static const char *const sector_code[N_SECTORS] = {
    "health", "engineering", "it", "education", "retail",
    "hospitality", "construction", "finance", "law", "media",
    "arts", "science", "agriculture", "transport", "public_service",
    "sport", "manufacturing", "energy", "environment", "beauty"};

/* Popularity order among pupils (most wanted first) ... */
static const int pupil_order[N_SECTORS] = {
    0 /*health*/, 2 /*it*/, 9 /*media*/, 15 /*sport*/, 8 /*law*/,
    10 /*arts*/, 1 /*engineering*/, 11 /*science*/, 3 /*education*/,
    7 /*finance*/, 19 /*beauty*/, 5 /*hospitality*/, 14 /*public_service*/,
    6 /*construction*/, 4 /*retail*/, 18 /*environment*/, 13 /*transport*/,
    17 /*energy*/, 16 /*manufacturing*/, 12 /*agriculture*/};
/* ... and among employers (most offered first). */
static const int offer_order[N_SECTORS] = {
    4 /*retail*/, 5 /*hospitality*/, 6 /*construction*/, 0 /*health*/,
    16 /*manufacturing*/, 1 /*engineering*/, 3 /*education*/,
    13 /*transport*/, 2 /*it*/, 7 /*finance*/, 14 /*public_service*/,
    12 /*agriculture*/, 19 /*beauty*/, 17 /*energy*/, 11 /*science*/,
    10 /*arts*/, 18 /*environment*/, 8 /*law*/, 15 /*sport*/, 9 /*media*/};

static const char *const town_names[] = {
    "Ashby Marsh", "Bramwell", "Calderford", "Dunmere", "Eastholm",
    "Fenwick Cross", "Galebridge", "Harrowgate Vale", "Ilsworth",
    "Kingsmoor", "Lowbridge", "Millbury", "Northwold", "Oakhampstead",
    "Pennerly", "Quarrington", "Redcastle", "Stourholt", "Saxby Wold",
    "Thornleigh", "Upwell Green", "Wexcombe", "Yarrowfield"};
#define N_TOWN_NAMES (int)(sizeof town_names / sizeof town_names[0])
#define MAX_TOWNS 16
/* --national (see the top of the file). */
#define NAT_DENSITY 4.5            /* pupils per km^2 over the whole square */
#define NAT_PUPILS_PER_TOWN 5500
#define NAT_URBAN_DENSITY 60.0     /* pupils per km^2 inside a town's spread */
#define NAT_MAX_VIRTUAL 500        /* virtual placements in the whole country */
#define NAT_MAX_ONLINE 150         /* online mentors in the whole country */

static const char *const school_kinds[] = {
    "Academy", "High School", "Community College", "School",
    "Grammar School", "Free School", "Church of England Academy"};
static const char *const school_saints[] = {
    "St Aidan's", "St Bede's", "St Hilda's", "St Chad's", "Holy Trinity",
    "St Mary's", "Our Lady's", "St Wilfrid's"};

static const char *const titles[N_SECTORS][3] = {
    {"Ward assistant", "Pharmacy helper", "Care home, reception and activities"},
    {"Workshop assistant", "CAD and design trainee", "Maintenance crew"},
    {"Junior developer", "IT support desk", "Software, data and testing"},
    {"Classroom assistant", "Nursery helper", "Library and learning support"},
    {"Shop floor assistant", "Stock room", "Visual merchandising"},
    {"Kitchen assistant", "Front of house", "Hotel \"guest experience\" team"},
    {"Site office assistant", "Surveying trainee", "Joinery workshop"},
    {"Bank branch helper", "Accounts office", "Insurance, claims and risk"},
    {"Solicitor's office", "Court visit and casework", "Paralegal shadowing"},
    {"Newsroom runner", "Radio studio", "Social media, video and design"},
    {"Gallery assistant", "Theatre backstage", "Print studio"},
    {"Lab assistant", "Field research helper", "Quality control lab"},
    {"Farm hand", "Garden centre", "Stables and animal care"},
    {"Depot and logistics", "Bus garage workshop", "Rail station team"},
    {"Council office", "Fire station visit", "Police, community support"},
    {"Leisure centre", "Football club community team", "Coaching assistant"},
    {"Production line", "Packaging and dispatch", "Engineering works"},
    {"Wind farm office", "Energy advice team", "Utility depot"},
    {"Nature reserve", "Recycling centre", "Environmental survey"},
    {"Hair salon", "Beauty clinic", "Barber shop"}};

static const char *const org_words[] = {
    "Partners", "Group", "Trust", "Ltd", "Co-operative", "Services",
    "Works", "Foundation", "Associates", "Network"};

/* ---- the model --------------------------------------------------------- */

typedef struct town {
    double x, y;     /* km from the region centre */
    double weight;
    double spread;   /* km, standard deviation around the centre */
} town;

typedef struct school {
    double x, y;
    double weight;
    int town;
} school;

typedef struct employer {
    double x, y;
    int main_sector;
    int n_placements;
} employer;

typedef struct options {
    long n_students;
    uint64_t seed;
    const char *out;
    int year, month, day;
    int national; /* --national */
} options;

#define CENTER_LAT 52.5
#define CENTER_LON (-1.5)
#define KM_PER_DEG_LAT 111.195

static double to_lat(double y)
{
    return CENTER_LAT + y / KM_PER_DEG_LAT;
}

static double to_lon(double x)
{
    return CENTER_LON + x / (KM_PER_DEG_LAT * cos(CENTER_LAT * M_PI / 180.0));
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A point around (cx, cy) with the given spread, kept inside the region. */
static void scatter(rng *r, double cx, double cy, double spread, double half,
                    double *x, double *y)
{
    *x = clampd(cx + spread * rng_normal(r), -half, half);
    *y = clampd(cy + spread * rng_normal(r), -half, half);
}

/* k distinct sectors drawn by weight w (without replacement), in draw order. */
static void pick_sectors(rng *r, const double *w, int k, int *out)
{
    double tmp[N_SECTORS];
    memcpy(tmp, w, sizeof tmp);
    for (int i = 0; i < k; i++) {
        int s = rng_pick(r, tmp, N_SECTORS);
        out[i] = s;
        tmp[s] = 0.0;
    }
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fm_gen_region: cannot write %s: %s\n", path,
                strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static int close_out(FILE *f, const char *dir, const char *name)
{
    int bad = ferror(f);
    if (fclose(f) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "fm_gen_region: error writing %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

/* Coordinates printed with 5 decimals (~1 m), enough and compact. */
static void put_coord(FILE *f, double lat, double lon)
{
    fprintf(f, "%.5f,%.5f", lat, lon);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fm_gen_region --students N --seed S --out DIR "
               "[--date YYYY-MM-DD] [--national]\n");
}

static int parse_options(int argc, char **argv, options *o)
{
    o->n_students = -1;
    o->seed = 1;
    o->out = NULL;
    o->year = 2027;
    o->month = 6;
    o->day = 14;
    o->national = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--national") == 0) {
            o->national = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "fm_gen_region: %s needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (strcmp(a, "--students") == 0) {
            errno = 0;
            o->n_students = strtol(v, &end, 10);
            if (errno || *end || o->n_students < 1 || o->n_students > 9999999) {
                fprintf(stderr, "fm_gen_region: --students: bad number %s\n", v);
                return -1;
            }
        } else if (strcmp(a, "--seed") == 0) {
            errno = 0;
            o->seed = strtoull(v, &end, 10);
            if (errno || *end || !*v) {
                fprintf(stderr, "fm_gen_region: --seed: bad number %s\n", v);
                return -1;
            }
        } else if (strcmp(a, "--out") == 0) {
            o->out = v;
        } else if (strcmp(a, "--date") == 0) {
            int y, m, d;
            char extra;
            if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 ||
                y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 ||
                d > days_in_month(y, m)) {
                fprintf(stderr, "fm_gen_region: --date: not a date %s\n", v);
                return -1;
            }
            o->year = y;
            o->month = m;
            o->day = d;
        } else {
            fprintf(stderr, "fm_gen_region: unknown option %s\n", a);
            return -1;
        }
    }
    if (o->n_students < 0 || !o->out) {
        fprintf(stderr, "fm_gen_region: --students and --out are required\n");
        return -1;
    }
    return 0;
}

/* A birth date (yyyymmdd) giving exactly `age` whole years on the round
 * date, by the yyyymmdd arithmetic of policy.md / geo.c. */
static long birth_for_age(rng *r, const options *o, int age)
{
    int m = rng_int(r, 1, 12);
    int d = rng_int(r, 1, m == 2 ? 28 : days_in_month(2001, m));
    int y = (m * 100 + d <= o->month * 100 + o->day) ? o->year - age
                                                     : o->year - age - 1;
    return (long)y * 10000 + m * 100 + d;
}

/* The ISO week string of the round date's week plus k (k = 0..4). */
static void week_label(const options *o, int k, char *buf, size_t size)
{
    int wy, wn;
    iso_week(o->year, o->month, o->day, &wy, &wn);
    wn += k;
    int nw = iso_weeks_in_year(wy);
    if (wn > nw) {
        wn -= nw;
        wy++;
    }
    snprintf(buf, size, "%d-W%02d", wy, wn);
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fm_gen_region: cannot create %s: %s\n", o.out,
                strerror(errno));
        return 1;
    }

    const long n = o.n_students;
    /* Independent streams, so that changing one part keeps the others. */
    rng rt, rs, rp, rm;
    rng_seed(&rt, o.seed, 1);
    rng_seed(&rs, o.seed, 2);
    rng_seed(&rp, o.seed, 3);
    rng_seed(&rm, o.seed, 4);

    const double side = o.national ? sqrt((double)n / NAT_DENSITY)
                                   : 100.0 * pow((double)n / 100000.0, 0.25);
    const double half = side / 2.0;

    /* Sector weights: Zipf (s = 1) over the two orders. */
    double want_w[N_SECTORS], offer_w[N_SECTORS];
    for (int k = 0; k < N_SECTORS; k++) {
        want_w[pupil_order[k]] = 1.0 / (k + 1);
        offer_w[offer_order[k]] = 1.0 / (k + 1.5);
    }

    char weeks[5][16];
    for (int k = 0; k < 5; k++)
        week_label(&o, k, weeks[k], sizeof weeks[k]);

    /* Towns. */
    int n_towns;
    if (o.national) {
        n_towns = 3 + (int)(n / NAT_PUPILS_PER_TOWN);
    } else {
        n_towns = 3 + (int)(n / 5000);
        if (n_towns > MAX_TOWNS)
            n_towns = MAX_TOWNS;
    }
    town *towns = calloc((size_t)n_towns, sizeof *towns);
    double *town_w = calloc((size_t)n_towns, sizeof *town_w);
    if (!towns || !town_w) {
        fprintf(stderr, "fm_gen_region: out of memory\n");
        return 1;
    }
    /* National: towns at least half a town cell apart; the total weight
     * (sum of 1/sqrt(rank)) gives each town's share of the urban pupils. */
    const double min_gap = o.national ? 0.5 * side / sqrt((double)n_towns) : side / 6.0;
    double weight_sum = 0.0;
    for (int t = 0; t < n_towns; t++)
        weight_sum += 1.0 / sqrt((o.national ? t % MAX_TOWNS : t) + 1.0);
    int name_off = (int)(o.seed % N_TOWN_NAMES);
    for (int t = 0; t < n_towns; t++) {
        /* National: the sizes of an authority's 16 towns, over and over. */
        towns[t].weight = 1.0 / sqrt((o.national ? t % MAX_TOWNS : t) + 1.0);
        /* Keep towns apart: retry a few times for a spot >= min_gap away. */
        for (int tries = 0; tries < 50; tries++) {
            towns[t].x = (rng_unit(&rt) - 0.5) * side * 0.9;
            towns[t].y = (rng_unit(&rt) - 0.5) * side * 0.9;
            int ok = 1;
            for (int u = 0; u < t && ok; u++) {
                double dx = towns[t].x - towns[u].x, dy = towns[t].y - towns[u].y;
                if (sqrt(dx * dx + dy * dy) < min_gap)
                    ok = 0;
            }
            if (ok)
                break;
        }
        if (o.national) {
            /* Every town about equally dense: area proportional to its
             * pupils (85% of pupils are in towns). */
            double pupils = 0.85 * (double)n * towns[t].weight / weight_sum;
            towns[t].spread = sqrt(pupils / (NAT_URBAN_DENSITY * M_PI));
        } else {
            towns[t].spread = side * (0.02 + 0.05 * sqrt(towns[t].weight));
        }
        town_w[t] = towns[t].weight;
    }

    /* Schools: ~300 pupils each, sizes 0.5x..1.5x. */
    long n_schools = (n + 150) / 300;
    if (n_schools < 3) /* a few schools even in a small region */
        n_schools = n >= 150 ? 3 : 1;
    school *schools = calloc((size_t)n_schools, sizeof *schools);
    double *school_w = calloc((size_t)n_schools, sizeof *school_w);
    if (!schools || !school_w) {
        fprintf(stderr, "fm_gen_region: out of memory\n");
        return 1;
    }
    FILE *f = open_out(o.out, "schools.csv");
    if (!f)
        return 1;
    fprintf(f, "school_ref,name,lat,lon\n");
    for (long i = 0; i < n_schools; i++) {
        school *sc = &schools[i];
        if (rng_bool(&rt, 0.15)) { /* rural */
            sc->town = -1;
            sc->x = (rng_unit(&rt) - 0.5) * side;
            sc->y = (rng_unit(&rt) - 0.5) * side;
        } else {
            sc->town = rng_pick(&rt, town_w, n_towns);
            const town *tw = &towns[sc->town];
            scatter(&rt, tw->x, tw->y, tw->spread, half, &sc->x, &sc->y);
        }
        sc->weight = 0.5 + rng_unit(&rt);
        school_w[i] = sc->weight;
        const char *place = sc->town >= 0
            ? town_names[(sc->town + name_off) % N_TOWN_NAMES]
            : town_names[(n_towns + name_off + (int)(i % 5)) % N_TOWN_NAMES];
        char name[160];
        if (rng_bool(&rt, 0.25))
            snprintf(name, sizeof name, "%s %s %s",
                     school_saints[rng_int(&rt, 0, 7)],
                     rng_bool(&rt, 0.5) ? "Catholic" : "CE", "School");
        else
            snprintf(name, sizeof name, "%s %s", place,
                     school_kinds[rng_int(&rt, 0, 6)]);
        fprintf(f, "SCH%04ld,%s,", i + 1, name);
        put_coord(f, to_lat(sc->y), to_lon(sc->x));
        fputc('\n', f);
    }
    if (close_out(f, o.out, "schools.csv") != 0)
        return 1;

    /* Cumulative school weights for fast picking. */
    double *school_cum = malloc((size_t)n_schools * sizeof *school_cum);
    if (!school_cum) {
        fprintf(stderr, "fm_gen_region: out of memory\n");
        return 1;
    }
    double acc = 0.0;
    for (long i = 0; i < n_schools; i++) {
        acc += school_w[i];
        school_cum[i] = acc;
    }

    /* Students. */
    f = open_out(o.out, "students.csv");
    if (!f)
        return 1;
    fprintf(f, "student_ref,school_ref,birth_date,gender,lat,lon,max_travel_km,"
               "low_income,looked_after,gifted,needs_access,sectors,weeks,"
               "wants_placement,wants_mentor\n");
    static const double age_w[5] = {0.10, 0.42, 0.33, 0.10, 0.05}; /* 14..18 */
    static const double nsec_w[5] = {0.12, 0.18, 0.50, 0.10, 0.10}; /* 1..5 */
    static const int travel_km[] = {20, 20, 20, 20, 25, 25, 30, 30, 35, 40};
    long n_wp = 0, n_wm = 0;
    for (long i = 0; i < n; i++) {
        double x = acc * rng_unit(&rs);
        long lo = 0, hi = n_schools - 1;
        while (lo < hi) {
            long mid = (lo + hi) / 2;
            if (school_cum[mid] > x)
                hi = mid;
            else
                lo = mid + 1;
        }
        const school *sc = &schools[lo];
        double px, py;
        scatter(&rs, sc->x, sc->y, sc->town >= 0 ? 2.5 : 5.0, half, &px, &py);
        int age = 14 + rng_pick(&rs, age_w, 5);
        long birth = birth_for_age(&rs, &o, age);
        double g = rng_unit(&rs);
        const char *gender = g < 0.485 ? "F" : g < 0.97 ? "M" : g < 0.985 ? "X" : "";
        int low_income = rng_bool(&rs, 0.25);
        int looked_after = rng_bool(&rs, 0.03);
        int gifted = rng_bool(&rs, 0.10);
        int needs_access = rng_bool(&rs, 0.04);
        double tr = rng_unit(&rs);
        char travel[16] = "";
        if (tr < 0.04)
            snprintf(travel, sizeof travel, "%d", rng_bool(&rs, 0.5) ? 10 : 15);
        else if (tr < 0.14)
            travel[0] = '\0'; /* blank: default 20 */
        else if (tr < 0.16)
            snprintf(travel, sizeof travel, "%d", 50);
        else if (tr < 0.18)
            snprintf(travel, sizeof travel, "%.1f", 17.5 + 10.0 * rng_unit(&rs));
        else
            snprintf(travel, sizeof travel, "%d", travel_km[rng_int(&rs, 0, 9)]);
        int wants_placement = rng_bool(&rs, 0.95);
        int wants_mentor = rng_bool(&rs, 0.30);
        n_wp += wants_placement;
        n_wm += wants_mentor;
        int k = 1 + rng_pick(&rs, nsec_w, 5);
        int secs[5];
        pick_sectors(&rs, want_w, k, secs);
        /* ~1% attend a school outside the region, not in schools.csv. */
        char school_ref[32];
        if (rng_bool(&rs, 0.01))
            snprintf(school_ref, sizeof school_ref, "OUT%03d", rng_int(&rs, 1, 3));
        else
            snprintf(school_ref, sizeof school_ref, "SCH%04ld", lo + 1);
        fprintf(f, "S%06ld,%s,%04ld-%02ld-%02ld,%s,", i + 1, school_ref,
                birth / 10000, birth / 100 % 100, birth % 100, gender);
        put_coord(f, to_lat(py), to_lon(px));
        fprintf(f, ",%s,%d,%d,%d,%d,", travel, low_income, looked_after, gifted,
                needs_access);
        if (wants_placement || wants_mentor || rng_bool(&rs, 0.5))
            for (int j = 0; j < k; j++)
                fprintf(f, "%s%s", j ? "|" : "", sector_code[secs[j]]);
        fputc(',', f);
        if (rng_bool(&rs, 0.40)) { /* a run of 1-4 consecutive weeks */
            int len = rng_int(&rs, 1, 4);
            int first = rng_int(&rs, 0, 5 - len);
            for (int j = 0; j < len; j++)
                fprintf(f, "%s%s", j ? "|" : "", weeks[first + j]);
        }
        fprintf(f, ",%d,%d\n", wants_placement, wants_mentor);
    }
    if (close_out(f, o.out, "students.csv") != 0)
        return 1;

    /* Employers and their placements. */
    long n_placements_target = (long)llround(0.15 * (double)n);
    if (n_placements_target < 1)
        n_placements_target = 1;
    f = open_out(o.out, "placements.csv");
    if (!f)
        return 1;
    fprintf(f, "placement_ref,employer_ref,title,sector,capacity,lat,lon,"
               "virtual,accessible,profession,min_age,week,reserve_pct\n");
    static const double cap_w[5] = {0.30, 0.25, 0.20, 0.13, 0.12}; /* 1..5 */
    long pl = 0, n_emp = 0, seats = 0, n_virtual = 0;
    while (pl < n_placements_target) {
        employer e;
        n_emp++;
        if (rng_bool(&rp, 0.15)) { /* rural */
            e.x = (rng_unit(&rp) - 0.5) * side;
            e.y = (rng_unit(&rp) - 0.5) * side;
        } else {
            const town *tw = &towns[rng_pick(&rp, town_w, n_towns)];
            scatter(&rp, tw->x, tw->y, tw->spread * 1.2, half, &e.x, &e.y);
        }
        e.main_sector = rng_pick(&rp, offer_w, N_SECTORS);
        /* 1..8 placements, mean ~2.7 */
        e.n_placements = 1 + (int)floor(-log(1.0 - rng_unit(&rp)) * 1.7);
        if (e.n_placements > 8)
            e.n_placements = 8;
        int all_virtual = rng_bool(&rp, 0.05);
        for (int j = 0; j < e.n_placements && pl < n_placements_target; j++) {
            pl++;
            int sec = rng_bool(&rp, 0.7) ? e.main_sector
                                         : rng_pick(&rp, offer_w, N_SECTORS);
            int cap = rng_bool(&rp, o.national ? 0.93 : 0.9)
                          ? 1 + rng_pick(&rp, cap_w, 5)
                                         : 6 + (int)floor(24.99 * pow(rng_unit(&rp), 2.0));
            seats += cap;
            int is_virtual = all_virtual || rng_bool(&rp, 0.035);
            if (o.national && n_virtual >= NAT_MAX_VIRTUAL)
                is_virtual = 0; /* open to every pupil: a national pool */
            n_virtual += is_virtual;
            int accessible = rng_bool(&rp, 0.10);
            int profession = rng_bool(&rp, 0.20);
            double ma = rng_unit(&rp);
            char min_age[16] = "";
            if (ma < 0.10)
                snprintf(min_age, sizeof min_age, "16");
            else if (ma < 0.13)
                snprintf(min_age, sizeof min_age, "18");
            else if (ma < 0.30)
                snprintf(min_age, sizeof min_age, "14");
            const char *week = rng_bool(&rp, 0.5) ? weeks[rng_int(&rp, 0, 4)] : "";
            char reserve[16] = "";
            double rv = rng_unit(&rp);
            if (rv < 0.20)
                snprintf(reserve, sizeof reserve, "%d", 20 + 5 * rng_int(&rp, 0, 2));
            else if (rv < 0.50)
                snprintf(reserve, sizeof reserve, "0");
            const char *title = titles[sec][rng_int(&rp, 0, 2)];
            int quote = strchr(title, ',') != NULL || strchr(title, '"') != NULL;
            fprintf(f, "PL%06ld,EMP%05ld,", pl, n_emp);
            if (quote) {
                fputc('"', f);
                for (const char *c = title; *c; c++) {
                    if (*c == '"')
                        fputc('"', f);
                    fputc(*c, f);
                }
                fputc('"', f);
            } else {
                fputs(title, f);
            }
            fprintf(f, ",%s,%d,", sector_code[sec], cap);
            if (is_virtual) {
                fputc(',', f);
            } else {
                double x, y;
                scatter(&rp, e.x, e.y, 0.05, half, &x, &y); /* same site */
                put_coord(f, to_lat(y), to_lon(x));
            }
            fprintf(f, ",%d,%d,%d,%s,%s,%s\n", is_virtual, accessible, profession,
                    min_age, week, reserve);
        }
    }
    if (close_out(f, o.out, "placements.csv") != 0)
        return 1;

    /* Mentors. */
    long n_mentors = (n + 15) / 30, n_online = 0;
    if (n_mentors < 1)
        n_mentors = 1;
    f = open_out(o.out, "mentors.csv");
    if (!f)
        return 1;
    fprintf(f, "mentor_ref,organisation,sectors,capacity,lat,lon,online,"
               "max_travel_km,dbs_valid_until\n");
    for (long i = 0; i < n_mentors; i++) {
        const town *tw = &towns[rng_pick(&rm, town_w, n_towns)];
        int k = rng_int(&rm, 1, 3);
        int secs[3];
        /* Mentors' sectors: halfway between what pupils want and what is offered. */
        double mw[N_SECTORS];
        for (int s = 0; s < N_SECTORS; s++)
            mw[s] = want_w[s] + offer_w[s];
        pick_sectors(&rm, mw, k, secs);
        int cap = 1 + rng_pick(&rm, cap_w, 5);
        int online = rng_bool(&rm, 0.25);
        if (o.national && n_online >= NAT_MAX_ONLINE)
            online = 0; /* open to every pupil: a national pool */
        n_online += online;
        fprintf(f, "M%05ld,", i + 1);
        if (rng_bool(&rm, 0.8))
            fprintf(f, "%s %s", town_names[rng_int(&rm, 0, N_TOWN_NAMES - 1)],
                    org_words[rng_int(&rm, 0, 9)]);
        fputc(',', f);
        for (int j = 0; j < k; j++)
            fprintf(f, "%s%s", j ? "|" : "", sector_code[secs[j]]);
        fprintf(f, ",%d,", cap);
        if (online) {
            fputc(',', f);
        } else {
            double x, y;
            scatter(&rm, tw->x, tw->y, tw->spread * 1.5, half, &x, &y);
            put_coord(f, to_lat(y), to_lon(x));
        }
        fprintf(f, ",%d,", online);
        if (rng_bool(&rm, 0.6))
            fprintf(f, "%d", 10 + 5 * rng_int(&rm, 0, 4));
        fputc(',', f);
        double dv = rng_unit(&rm);
        if (dv < 0.78) { /* valid: expires 1..36 months after the round */
            long days = days_from_civil(o.year, o.month, o.day) + rng_int(&rm, 1, 1095);
            /* civil_from_days */
            long z = days + 719468;
            long era = (z >= 0 ? z : z - 146096) / 146097;
            long doe = z - era * 146097;
            long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            long y = yoe + era * 400;
            long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            long mp = (5 * doy + 2) / 153;
            long d = doy - (153 * mp + 2) / 5 + 1;
            long m = mp < 10 ? mp + 3 : mp - 9;
            y += m <= 2;
            fprintf(f, "%04ld-%02ld-%02ld", y, m, d);
        } else if (dv < 0.92) { /* expired within the last two years */
            fprintf(f, "%04d-%02d-%02d", o.year - rng_int(&rm, 1, 2),
                    rng_int(&rm, 1, 12), rng_int(&rm, 1, 28));
        } /* else: none */
        fputc('\n', f);
    }
    if (close_out(f, o.out, "mentors.csv") != 0)
        return 1;

    printf("fm_gen_region: %ld students (%ld want a placement, %ld a mentor), "
           "%ld schools, %d towns, %ld employers, %ld placements "
           "(%ld virtual, %ld seats), %ld mentors, side %.1f km\n",
           n, n_wp, n_wm, n_schools, n_towns, n_emp, pl, n_virtual, seats,
           n_mentors, side);
    free(school_cum);
    free(school_w);
    free(schools);
    free(town_w);
    free(towns);
    return 0;
}
