/*
 * round_files.c - putting a round's result files into a directory,
 * all or nothing (fm_round_write, round_output.h).
 *
 * Normal case: create OUT and any missing parents (mode 0755, less the
 * umask); write placements.csv, mentors.csv, explanations.csv (when the
 * result kept nearest misses), then build the summary (whose write_s now
 * includes the time spent here) and write certificate.csv from the
 * certificate text it carries, and report.html and summary.json from the
 * rest.  Each file goes to a fresh hidden temporary name in
 * OUT (".NAME.tmp-PID-N", created with O_EXCL, mode 0666 less the umask) and
 * is flushed and fsync()ed.  Only when all four are complete are they
 * renamed onto their final names, summary.json last, and OUT is fsync()ed.
 *
 * Failure: OUT cannot be created or is not a directory, a temporary file
 * cannot be created or written, or a rename fails: FM_EIO, with the path in
 * err->file and strerror in err->message.  Building the summary can fail
 * with FM_ENOMEM, a result that breaks the solver's contract with
 * FM_EINTERNAL.  Every temporary file not yet renamed is removed, so the
 * final names hold either the previous round's files or this round's
 * complete ones; only a failure between two renames (after every file was
 * written) can leave a mix, and then summary.json is still the old one.
 */
#include "round_output.h"

#include "explanations_csv.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum { F_PLACEMENTS, F_MENTORS, F_EXPLANATIONS, F_CERTIFICATE, F_REPORT, F_SUMMARY,
       N_FILES };

static const char *const file_names[N_FILES] = {
    "placements.csv", "mentors.csv", "explanations.csv", "certificate.csv",
    "report.html", "summary.json"};

/* One output file on its way: temporary path while open, then renamed. */
typedef struct out_file {
    char tmp[PATH_MAX];
    char final[PATH_MAX];
    FILE *f;
    int created; /* tmp exists on disk and must be renamed or removed */
} out_file;

/* Names path in err->file; a path too long keeps its end, after "...",
 * since the file name is what tells the reader most. */
static void set_file(fm_error *err, const char *path)
{
    size_t len = strlen(path), cap = sizeof err->file - 1;
    if (len <= cap) {
        memcpy(err->file, path, len + 1);
    } else {
        memcpy(err->file, "...", 3);
        memcpy(err->file + 3, path + len - (cap - 3), cap - 3 + 1);
    }
}

static int io_error(fm_error *err, const char *path, const char *what,
                    int errnum)
{
    if (err)
        set_file(err, path);
    return fm_error_set(err, FM_EIO, "%s: %s", what, strerror(errnum));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* mkdir -p: creates dir and its missing parents; dir must end as a
 * directory. */
static int make_dirs(const char *dir, fm_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    size_t len = strlen(dir);

    if (len == 0)
        return io_error(err, dir, "cannot create directory", ENOENT);
    if (len >= sizeof path)
        return io_error(err, dir, "cannot create directory", ENAMETOOLONG);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        if (path[i - 1] == '/')
            continue; /* "a//b" or a trailing slash */
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return io_error(err, path, "cannot create directory", errno);
        if (i < len)
            path[i] = '/';
    }
    if (stat(dir, &st) != 0)
        return io_error(err, dir, "cannot create directory", errno);
    if (!S_ISDIR(st.st_mode))
        return io_error(err, dir, "cannot create directory", ENOTDIR);
    return 0;
}

/* Creates a new temporary file beside o->final and opens it for writing. */
static int open_tmp(out_file *o, const char *dir, const char *name,
                    fm_error *err)
{
    static atomic_uint counter;
    int n, fd = -1;

    n = snprintf(o->final, sizeof o->final, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof o->final)
        return io_error(err, dir, "cannot create file", ENAMETOOLONG);
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        n = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp-%ld-%u", dir, name,
                     (long)getpid(), atomic_fetch_add(&counter, 1u));
        if (n < 0 || (size_t)n >= sizeof o->tmp)
            return io_error(err, o->final, "cannot create file",
                            ENAMETOOLONG);
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return io_error(err, o->final, "cannot create file", errno);
    }
    if (fd < 0)
        return io_error(err, o->final, "cannot create file", EEXIST);
    o->created = 1;
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        return io_error(err, o->final, "cannot create file", e);
    }
    return 0;
}

/* Flushes the file to disk and closes it; it stays under its tmp name. */
static int close_tmp(out_file *o, fm_error *err)
{
    int rc = 0, e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(o->f)) != 0)
        e = errno;
    if (fclose(o->f) != 0 && e == 0)
        e = errno;
    o->f = NULL;
    if (e)
        rc = io_error(err, o->final, "cannot write", e);
    return rc;
}

/* After a writer failed: keep its message, name the file. */
static int name_file(int rc, const out_file *o, fm_error *err)
{
    if (rc != 0 && err && !err->file[0])
        set_file(err, o->final);
    return rc;
}

/* Makes the summary once the CSV files are written (so it can count their
 * time), or NULL with err set. */
typedef json_t *(*summary_fn)(void *ctx, fm_error *err);

/* Writes summary.json from the summary less the certificate's text, and
 * certificate.csv from that text when there is one (else no file). */
static int write_summary_files(out_file *files, const json_t *summary,
                               const fm_region *r, const fm_result *res,
                               const fm_report_context *report, int *has_cert,
                               fm_error *err)
{
    json_t *cert = json_object_get(summary, FM_SUMMARY_CERTIFICATE_KEY);
    json_t *plain = json_copy((json_t *)summary);
    int rc = 0;
    if (!plain)
        return fm_error_set(err, FM_ENOMEM, "out of memory writing the summary");
    json_object_del(plain, FM_SUMMARY_CERTIFICATE_KEY);
    *has_cert = json_is_string(cert);
    if (*has_cert) {
        errno = 0;
        if (fwrite(json_string_value(cert), 1, json_string_length(cert),
                   files[F_CERTIFICATE].f) != json_string_length(cert))
            rc = io_error(err, files[F_CERTIFICATE].final, "cannot write",
                          errno ? errno : EIO);
        if (rc == 0)
            rc = close_tmp(&files[F_CERTIFICATE], err);
    }
    if (rc == 0) {
        errno = 0;
        rc = name_file(fm_report_html_write(files[F_REPORT].f, plain, r, res, report, err),
                       &files[F_REPORT], err);
    }
    if (rc == 0)
        rc = close_tmp(&files[F_REPORT], err);
    if (rc == 0) {
        errno = 0;
        rc = name_file(fm_summary_json_write(files[F_SUMMARY].f, plain, err),
                       &files[F_SUMMARY], err);
    }
    if (rc == 0)
        rc = close_tmp(&files[F_SUMMARY], err);
    json_decref(plain);
    return rc;
}

/* The whole job of fm_round_write and fm_round_write_with_summary: with
 * make == NULL only the two CSV files are written; explanations.csv when
 * res kept nearest misses (date: the round date for its sentences).  A
 * previous explanations.csv or certificate.csv that this round does not
 * replace is removed once the new files are in place, so OUT never pairs
 * one round's files with another's evidence. */
static int write_round(const char *outdir, const fm_region *r, const fm_result *res,
                       int32_t date, summary_fn make, void *ctx,
                       const fm_report_context *report, fm_error *err)
{
    out_file files[N_FILES];
    int want[N_FILES] = { 0 };
    json_t *summary = NULL;
    int rc, dirfd, has_cert = 0;

    assert(outdir && r && res);
    memset(files, 0, sizeof files);
    if (err)
        err->file[0] = '\0';
    want[F_PLACEMENTS] = want[F_MENTORS] = 1;
    want[F_EXPLANATIONS] = res->placements.miss || res->mentors.miss;
    want[F_CERTIFICATE] = want[F_REPORT] = want[F_SUMMARY] = make != NULL;

    rc = make_dirs(outdir, err);
    if (rc != 0)
        goto done;

    for (int i = 0; i < N_FILES; i++) {
        if (!want[i])
            continue;
        rc = open_tmp(&files[i], outdir, file_names[i], err);
        if (rc != 0)
            goto done;
    }

    errno = 0;
    rc = name_file(fm_result_csv_write_placements(files[F_PLACEMENTS].f, r,
                                                  res, err),
                   &files[F_PLACEMENTS], err);
    if (rc == 0)
        rc = close_tmp(&files[F_PLACEMENTS], err);
    if (rc == 0) {
        errno = 0;
        rc = name_file(fm_result_csv_write_mentors(files[F_MENTORS].f, r,
                                                   res, err),
                       &files[F_MENTORS], err);
    }
    if (rc == 0)
        rc = close_tmp(&files[F_MENTORS], err);
    if (rc == 0 && want[F_EXPLANATIONS]) {
        errno = 0;
        rc = name_file(fm_explanations_csv_write(files[F_EXPLANATIONS].f, r, date, res, err),
                       &files[F_EXPLANATIONS], err);
        if (rc == 0)
            rc = close_tmp(&files[F_EXPLANATIONS], err);
    }
    if (rc != 0)
        goto done;

    if (make) {
        summary = make(ctx, err);
        if (!summary) {
            rc = err && err->code ? err->code : FM_ENOMEM;
            goto done;
        }
        rc = write_summary_files(files, summary, r, res, report, &has_cert, err);
        if (rc != 0)
            goto done;
        if (!has_cert)
            want[F_CERTIFICATE] = 0; /* its empty temporary file goes below */
    }

    for (int i = 0; i < N_FILES; i++) {
        if (!want[i])
            continue;
        if (rename(files[i].tmp, files[i].final) != 0) {
            rc = io_error(err, files[i].final, "cannot rename into place",
                          errno);
            goto done;
        }
        files[i].created = 0;
    }
    for (int i = F_EXPLANATIONS; i <= F_CERTIFICATE; i++) {
        char stale[PATH_MAX];
        if (want[i])
            continue;
        if (snprintf(stale, sizeof stale, "%s/%s", outdir, file_names[i]) < (int)sizeof stale)
            (void)unlink(stale);
    }
    /* Make the renames durable; a directory that cannot be fsync()ed
     * (some file systems say EINVAL) still holds complete files. */
    dirfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0) {
        (void)fsync(dirfd);
        close(dirfd);
    }

done:
    for (int i = 0; i < N_FILES; i++) {
        if (files[i].f)
            fclose(files[i].f);
        if (files[i].created)
            unlink(files[i].tmp);
    }
    json_decref(summary);
    return rc;
}

typedef struct solved_round {
    const fm_region *r;
    const fm_round_params *params;
    const fm_result *res;
    const fm_round_timing *timing;
    double t0;
} solved_round;

static json_t *summary_of_solved(void *ctx, fm_error *err)
{
    solved_round *sr = ctx;
    fm_round_timing t = {0};
    json_t *summary = NULL;
    if (sr->timing) {
        double spent = now_s() - sr->t0;
        t = *sr->timing;
        t.write_s += spent;
        t.total_s += spent;
    }
    if (fm_summary_json_new(sr->r, sr->params, sr->res, sr->timing ? &t : NULL,
                            &summary, err) != 0)
        return NULL;
    return summary;
}

int fm_round_write(const char *outdir, const fm_region *r,
                   const fm_round_params *params, const fm_result *res,
                   const fm_round_timing *timing, fm_error *err)
{
    solved_round sr = { r, params, res, timing, now_s() };
    return write_round(outdir, r, res, params ? params->date : 0, summary_of_solved, &sr,
                       NULL, err);
}

static json_t *given_summary(void *ctx, fm_error *err)
{
    (void)err;
    return json_incref((json_t *)ctx);
}

int fm_round_write_with_summary(const char *outdir, const fm_region *r,
                                const fm_result *res, const json_t *summary,
                                const fm_report_context *ctx, fm_error *err)
{
    return write_round(outdir, r, res, 0, summary ? given_summary : NULL,
                       (void *)summary, ctx, err);
}

int fm_round_file_write(const char *outdir, const char *name, fm_round_file_fn write,
                        void *ctx, fm_error *err)
{
    out_file o;
    int rc, dirfd;

    memset(&o, 0, sizeof o);
    if (err)
        err->file[0] = '\0';
    rc = make_dirs(outdir, err);
    if (rc == 0)
        rc = open_tmp(&o, outdir, name, err);
    if (rc == 0) {
        errno = 0;
        rc = name_file(write(o.f, ctx, err), &o, err);
    }
    if (rc == 0)
        rc = close_tmp(&o, err);
    if (rc == 0 && rename(o.tmp, o.final) != 0)
        rc = io_error(err, o.final, "cannot rename into place", errno);
    if (rc == 0) {
        o.created = 0;
        dirfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd >= 0) {
            (void)fsync(dirfd);
            close(dirfd);
        }
    }
    if (o.f)
        fclose(o.f);
    if (o.created)
        unlink(o.tmp);
    return rc;
}
