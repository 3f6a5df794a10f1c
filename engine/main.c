/*
 * main.c - fairmatchd [--listen HOST:PORT] [--db PATH] [--config FILE]
 *
 * Normal case: reads the config file if given, lets --listen and --db
 * override it, opens the database as the daemon (FM_STORE_DAEMON: created
 * on first start, an exclusive lock, rounds left running by a crash marked
 * failed; rounds left queued are marked failed here), purges pupils past
 * retention_days (retention.h; not on a read-only database), listens, and runs
 * the loop until SIGTERM or SIGINT has drained it (server.h); then closes
 * the worker stores and the database, checks that uv_loop_close returns 0,
 * and exits 0.
 *
 * Failure cases: bad options or config file: a message on stderr, exit 2.
 * The database cannot be opened (a second daemon on the same file, not a
 * fairmatch database, unreadable) or the address cannot be bound: a
 * message on stderr, exit 1, nothing left open.  A loop that does not
 * close cleanly at the end: logged, exit 1.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "config.h"
#include "error.h"
#include "jobs.h"
#include "log.h"
#include "retention.h"
#include "server.h"
#include "store.h"

#ifndef FM_VERSION
#define FM_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fairmatchd [--listen HOST:PORT] [--db PATH] [--config FILE]\n"
        "\n"
        "The fairmatch daemon: keeps schools, students, placements, mentors and\n"
        "rounds in an SQLite database and serves the fairmatch.v1 protocol.\n"
        "  --listen   address to listen on (default 127.0.0.1:7433)\n"
        "  --db       the database file, created on first start (default ./fairmatch.db)\n"
        "  --config   an INI file of settings (see engine/README.md)\n"
        "SIGTERM or SIGINT stops it cleanly.  Logs go to stderr, one line per event.\n"
        "Exit codes: 0 stopped cleanly, 1 failed, 2 bad options or config.\n");
}

static void print_error(const fm_error *err)
{
    char buf[1024];
    fm_error_format(err, buf, sizeof buf);
    fprintf(stderr, "fairmatchd: error: %s\n", buf);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *db = NULL, *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen = optarg; break;
        case 'd': db = optarg; break;
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("fairmatchd %s\n", FM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fairmatchd: error: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    fm_config cfg;
    fm_config_init(&cfg);
    fm_error err;
    fm_error_clear(&err);
    if (config && fm_config_read(&cfg, config, &err) != 0) {
        print_error(&err);
        return 2;
    }
    if (listen) {
        if (strlen(listen) >= sizeof cfg.listen) {
            fprintf(stderr, "fairmatchd: error: --listen is too long\n");
            return 2;
        }
        snprintf(cfg.listen, sizeof cfg.listen, "%s", listen);
    }
    if (db) {
        if (!*db || strlen(db) >= sizeof cfg.db_path) {
            fprintf(stderr, "fairmatchd: error: --db needs a path\n");
            return 2;
        }
        snprintf(cfg.db_path, sizeof cfg.db_path, "%s", db);
    }
    char host[256];
    int port;
    if (fm_config_split_listen(cfg.listen, host, sizeof host, &port, &err) != 0) {
        print_error(&err);
        return 2;
    }
    fm_log_set_level((fm_log_level)cfg.log_level);

    /* Writes to a closed peer must fail with EPIPE, not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);
    /* Rounds hold pool threads for long; keep some for imports. */
    if (!getenv("UV_THREADPOOL_SIZE")) {
        char n[16];
        snprintf(n, sizeof n, "%u", cfg.max_rounds + 3);
        setenv("UV_THREADPOOL_SIZE", n, 1);
    }

    fm_store *store = NULL;
    if (fm_store_open(cfg.db_path, FM_STORE_DAEMON, &store, &err) != 0) {
        print_error(&err);
        return 1;
    }
    if (cfg.db_max_bytes && fm_store_set_max_bytes(store, cfg.db_max_bytes, &err) != 0) {
        print_error(&err);
        fm_store_close(store);
        return 1;
    }
    int read_only = fm_store_read_only(store);
    if (read_only)
        fm_log(FM_LOG_WARN, "database_read_only", "writes", "refused", NULL);
    size_t n_failed = 0;
    if (!read_only && fm_jobs_recover_queued(store, &n_failed, &err) != 0) {
        print_error(&err);
        fm_store_close(store);
        return 1;
    }
    if (n_failed)
        fm_logf(FM_LOG_WARN, "rounds_interrupted", "queued_rounds_failed=%zu", n_failed);
    fm_retention_run(store, cfg.retention_days); /* then daily (server.c) */
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "fairmatchd: error: cannot start the event loop\n");
        fm_store_close(store);
        return 1;
    }
    fm_server srv;
    int rc = fm_server_init(&srv, &loop, &cfg, store, &err);
    if (rc != 0) {
        uv_run(&loop, UV_RUN_DEFAULT); /* lets the closed handles finish */
        fm_server_free(&srv);
        uv_loop_close(&loop);
        fm_store_close(store);
        print_error(&err);
        return 1;
    }
    fm_log(FM_LOG_INFO, "started", "version", FM_VERSION, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    fm_server_free(&srv);
    fm_store_close(store);
    int lc = uv_loop_close(&loop);
    fm_logf(lc == 0 ? FM_LOG_INFO : FM_LOG_ERROR, "stopped", "loop_close=%s",
            lc == 0 ? "ok" : uv_err_name(lc));
    return lc == 0 ? 0 : 1;
}
