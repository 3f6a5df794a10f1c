/*
 * fuzz_config.c - libFuzzer target for fairmatchd's config file reader
 * (engine/config.h).  The input is the file's bytes, written to a temporary
 * file and read over the defaults.  Checked: 0 or FM_EINVAL; a failure
 * names the file and says why; a success gives values inside the ranges
 * config.h documents, and a listen address that either splits into host and
 * port or is refused with a message.
 */
#include <string.h>

#include "config.h"
#include "frame.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_file(data, size);
    fm_config c;
    fm_config_init(&c);
    fm_error err;
    fm_error_clear(&err);
    int rc = fm_config_read(&c, path, &err);
    FUZZ_CHECK(rc == 0 || rc == FM_EINVAL);
    if (rc != 0) {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
        FUZZ_CHECK(strcmp(err.file, path) == 0);
        return 0;
    }
    FUZZ_CHECK(c.listen[0] != '\0' && c.db_path[0] != '\0');
    FUZZ_CHECK(c.max_frame >= FM_FRAME_PREAUTH_MAX && c.max_frame <= FM_FRAME_LIMIT_MAX);
    FUZZ_CHECK(c.max_connections >= 1 && c.max_inflight >= 1 && c.max_rounds >= 1);
    FUZZ_CHECK(c.max_round_seconds >= 0 && c.shutdown_grace_s >= 0);
    char host[300];
    int port = -1;
    fm_error_clear(&err);
    if (fm_config_split_listen(c.listen, host, sizeof host, &port, &err) == 0)
        FUZZ_CHECK(host[0] != '\0' && port >= 0 && port <= 65535);
    else
        FUZZ_CHECK(err.message[0] != '\0');
    return 0;
}
