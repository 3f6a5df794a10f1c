/*
 * config.h - fairmatchd's settings: defaults, the --config file, and the
 * command line on top (files.md: `fairmatchd [--listen HOST:PORT] [--db
 * PATH] [--config FILE]`).
 *
 * The config file is INI, read with Debian's libinih: UTF-8 text,
 * `[section]` headers, `key = value` lines; blank lines and lines starting
 * with `#` or `;` are ignored, as is a ` ;` comment after a value.  Keys
 * (defaults in brackets), each in its own section:
 *   [server]
 *     listen = HOST:PORT            [127.0.0.1:7433]  ([v6addr]:PORT too)
 *     max_frame_bytes = N           [16777216]  frames after a valid token
 *     idle_timeout_s = N            [300]  0 = never close idle connections
 *     frame_timeout_s = N           [60]  a frame must arrive whole within
 *                                   this of its first byte; 0 = no limit
 *     write_queue_limit_bytes = N   [4194304]  stop reading above this
 *     max_connections = N           [256]
 *     max_inflight = N              [64]  requests per connection at once
 *     max_upload_bytes = N          [268435456]  one CSV file being imported
 *     shutdown_grace_s = N          [30]  then connections are cut
 *   [store]
 *     db = PATH                     [./fairmatch.db]
 *     retention_days = N            [365]  pupils' personal fields are purged
 *                                   N days after their last round; 0 never
 *     db_max_bytes = N              [0]  cap the database file (tests of a
 *                                   full disk); 0 = no cap
 *   [rounds]
 *     max_rounds = N                [2]  rounds queued or running at once
 *     max_round_seconds = N         [0]  cap on a round's time limit, 0 none
 *   [log]
 *     log_level = debug|info|warn|error  [info]
 * Keys before the first `[section]` are read wherever they belong (the
 * older sectionless format).
 * Command-line options override the file, whatever their order.
 *
 * Failure: an unknown key, a key in another section than its own, a value
 * out of range, a line longer than 8190 characters or a line that is not
 * `key = value`, `[section]` or a comment is FM_EINVAL (FM_EIO for
 * reading) naming file, line and key in *err; the config is then not to be
 * used.
 */
#ifndef FM_CONFIG_H
#define FM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct fm_config {
    char listen[300];          /* HOST:PORT as given */
    char db_path[4096];
    size_t max_frame;
    uint64_t idle_timeout_ms;
    uint64_t frame_timeout_ms;
    size_t write_queue_limit;
    unsigned max_connections;
    unsigned max_inflight;
    unsigned max_rounds;
    double max_round_seconds;
    size_t max_upload;
    double shutdown_grace_s;
    int log_level;             /* fm_log_level */
    unsigned retention_days;   /* 0: never purge */
    uint64_t db_max_bytes;     /* 0: no cap */
} fm_config;

/* Fills the defaults. */
void fm_config_init(fm_config *c);

/* Reads a config file over *c. */
int fm_config_read(fm_config *c, const char *path, fm_error *err);

/* Splits "HOST:PORT" / "[V6]:PORT" into host (size bytes) and port. */
int fm_config_split_listen(const char *listen, char *host, size_t size,
                           int *port, fm_error *err);

#endif
