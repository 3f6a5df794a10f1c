/*
 * fuzz_request.c - libFuzzer target for the request decoders of fairmatchd:
 * the bytes of one frame's payload as dispatch.c sees them.
 *
 * Normal case, per input: a frame that does not decode goes through the id
 * scan dispatch uses for its error answer (fm_dispatch_scan_id).  In a
 * decoded fairmatch.v1.Request, the method's body takes the path its
 * handler takes, with the same validation code and a real SQLite store
 * (a temporary file under $TMPDIR, opened once, written as the
 * coordinator): typed upserts through fm_convert_*_in and
 * fm_store_put_region_rows, import_csv's text through the CSV reader of its
 * kind and the same store write, withdraw's refs
 * through fm_ref_valid and fm_store_withdraw, list's page token and size
 * through fm_store_list and fm_convert_list_out (packed as a Response), the
 * round methods' dates through fm_date_parse (and back through
 * fm_date_format) and their constraints_json through fm_policy_text_read.
 * No libuv loop and no socket: the handlers' role checks and job plumbing
 * are the dispatch tests' business.
 *
 * Checked: conversions fail only with FM_EINVAL naming a field and a
 * message; what conversion accepts the store accepts or refuses with
 * FM_EINVAL (never an internal or I/O error); list answers pack; a parsed
 * date formats back to the same text.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "convert.h"
#include "csv_input.h"
#include "dispatch.h"
#include "fairmatch.pb-c.h"
#include "fuzz_check.h"
#include "policy_file.h"
#include "store.h"

static char store_dir[256];
static fm_store *store;
static fm_store_scope coordinator = {FM_ROLE_COORDINATOR, ""};

static void close_store(void)
{
    fm_store_close(store);
    store = NULL;
    DIR *d = opendir(store_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[600];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", store_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(store_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(store_dir, sizeof store_dir, "%s/fm_fuzz_request.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(store_dir) != NULL);
    char path[300];
    snprintf(path, sizeof path, "%s/fm.db", store_dir);
    fm_error err;
    fm_error_clear(&err);
    FUZZ_CHECK(fm_store_open(path, FM_STORE_DAEMON, &store, &err) == 0);
    atexit(close_store);
    return 0;
}

static void check_refusal(int rc, const fm_error *err)
{
    FUZZ_CHECK(rc == FM_EINVAL);
    FUZZ_CHECK(err->code == rc && err->message[0] != '\0');
}

/* A converted or imported batch goes to the store as an upsert does. */
static void put(const fm_region *batch, fm_store_kind kind)
{
    fm_error err;
    fm_error_clear(&err);
    size_t n = 0;
    int rc = fm_store_put_region_rows(store, &coordinator, batch, kind, &n, &err);
    if (rc != 0)
        check_refusal(rc, &err);
}

static void upsert(const Fairmatch__V1__Request *req)
{
    fm_region region;
    fm_region_init(&region);
    fm_error err;
    fm_error_clear(&err);
    fm_store_kind kind;
    int rc;
    switch (req->method_case) {
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_SCHOOLS:
        kind = FM_STORE_SCHOOLS;
        rc = fm_convert_schools_in(&region, req->upsert_schools->rows,
                                   req->upsert_schools->n_rows, &err);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_STUDENTS:
        kind = FM_STORE_STUDENTS;
        rc = fm_convert_students_in(&region, req->upsert_students->rows,
                                    req->upsert_students->n_rows, &err);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_PLACEMENTS:
        kind = FM_STORE_PLACEMENTS;
        rc = fm_convert_placements_in(&region, req->upsert_placements->rows,
                                      req->upsert_placements->n_rows, &err);
        break;
    default:
        kind = FM_STORE_MENTORS;
        rc = fm_convert_mentors_in(&region, req->upsert_mentors->rows,
                                   req->upsert_mentors->n_rows, &err);
        break;
    }
    if (rc == 0) {
        put(&region, kind);
    } else {
        check_refusal(rc, &err);
        FUZZ_CHECK(err.field[0] != '\0');
    }
    fm_region_free(&region);
}

static void import_csv(const Fairmatch__V1__ImportCsvRequest *q)
{
    fm_store_kind kind = fm_convert_kind(q->kind);
    if (!kind)
        return;
    fm_region region;
    fm_region_init(&region);
    fm_error err;
    fm_error_clear(&err);
    static fm_csv_warnings w;
    fm_csv_warnings_clear(&w);
    const char *name = q->file_name && *q->file_name ? q->file_name : "upload.csv";
    const char *text = (const char *)q->data.data;
    int rc;
    switch (kind) {
    case FM_STORE_STUDENTS:
        rc = fm_csv_read_students_mem(&region, name, text, q->data.len, &w, &err);
        break;
    case FM_STORE_PLACEMENTS:
        rc = fm_csv_read_placements_mem(&region, name, text, q->data.len, &w, &err);
        break;
    case FM_STORE_MENTORS:
        rc = fm_csv_read_mentors_mem(&region, name, text, q->data.len, &w, &err);
        break;
    default:
        rc = fm_csv_read_schools_mem(&region, name, text, q->data.len, &w, &err);
        break;
    }
    if (rc == 0)
        put(&region, kind);
    else
        check_refusal(rc, &err);
    fm_region_free(&region);
}

static void withdraw(const Fairmatch__V1__WithdrawRequest *q)
{
    fm_store_kind kind = fm_convert_kind(q->kind);
    if (!kind || q->n_refs == 0)
        return;
    for (size_t i = 0; i < q->n_refs; i++)
        if (!fm_ref_valid(q->refs[i]))
            return;
    fm_error err;
    fm_error_clear(&err);
    size_t n = 0;
    int rc = fm_store_withdraw(store, &coordinator, kind, (const char *const *)q->refs,
                               q->n_refs, &n, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    else
        FUZZ_CHECK(n <= q->n_refs);
}

static void list(const Fairmatch__V1__ListRequest *q)
{
    fm_store_kind kind = fm_convert_kind(q->kind);
    if (!kind || (q->page_token && *q->page_token && !fm_ref_valid(q->page_token)))
        return;
    size_t limit = fm_page_size(q->page_size, 500, 10000);
    FUZZ_CHECK(limit >= 1 && limit <= 10000);
    fm_region region;
    fm_region_init(&region);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_store_list(store, &coordinator, kind, q->page_token, limit, &region, &err);
    FUZZ_CHECK(rc == 0);
    fm_arena arena;
    fm_arena_init(&arena);
    Fairmatch__V1__ListResponse out = FAIRMATCH__V1__LIST_RESPONSE__INIT;
    FUZZ_CHECK(fm_convert_list_out(&region, kind, &arena, &out) == 0);
    Fairmatch__V1__Response resp = FAIRMATCH__V1__RESPONSE__INIT;
    resp.result_case = FAIRMATCH__V1__RESPONSE__RESULT_LIST;
    resp.list = &out;
    out.next_page_token = (char *)fm_convert_last_ref(&region, kind);
    size_t n = fairmatch__v1__response__get_packed_size(&resp);
    uint8_t *buf = malloc(n ? n : 1);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(fairmatch__v1__response__pack(&resp, buf) == n);
    free(buf);
    fm_arena_free(&arena);
    fm_region_free(&region);
}

static void date(const char *s)
{
    int32_t d;
    if (!s || fm_date_parse(s, &d) != 0)
        return;
    char back[11];
    fm_date_format(d, back);
    FUZZ_CHECK(strcmp(back, s) == 0);
}

/* A round's extra constraints, as handlers_rounds.c reads them. */
static void options(const Fairmatch__V1__RoundOptions *o)
{
    if (!o || !o->constraints_json || !*o->constraints_json)
        return;
    fm_round_params p;
    memset(&p, 0, sizeof p);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_policy_text_read(o->constraints_json, &p, &err);
    if (rc != 0)
        check_refusal(rc, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fairmatch__V1__Request *req = fairmatch__v1__request__unpack(NULL, size, data);
    if (!req) {
        (void)fm_dispatch_scan_id(data, size);
        return 0;
    }
    switch (req->method_case) {
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_SCHOOLS:
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_STUDENTS:
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_PLACEMENTS:
    case FAIRMATCH__V1__REQUEST__METHOD_UPSERT_MENTORS:
        upsert(req);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_IMPORT_CSV:
        import_csv(req->import_csv);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_WITHDRAW:
        withdraw(req->withdraw);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_LIST:
        list(req->list);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_RUN_ROUND:
        date(req->run_round->date);
        options(req->run_round->options);
        break;
    case FAIRMATCH__V1__REQUEST__METHOD_RERUN_ROUND:
        date(req->rerun_round->date);
        options(req->rerun_round->options);
        break;
    default:
        break;
    }
    fairmatch__v1__request__free_unpacked(req, NULL);
    return 0;
}
