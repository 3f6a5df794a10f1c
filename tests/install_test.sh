#!/usr/bin/env bash
# The install layout, and the installed service working: `cmake --install
# BUILD --prefix STAGE` and `DESTDIR=DEST cmake --install BUILD` into
# temporary directories must give the binaries, both man pages (clean under
# `groff -ww`), the systemd unit (clean under `systemd-analyze verify`, with
# its ExecStart= naming the installed daemon and config), the sysusers.d
# file and the example config.  Then the installed fairmatchd is started
# from STAGE with the installed example config, changed only in `db` and
# `listen` (a temporary database, a free port), with JOURNAL_STREAM naming
# its stderr as systemd does: its log lines carry syslog priorities; the
# installed client creates a token, `fairmatch health` exits 0 (and 1 once
# the daemon is stopped), `status` answers.  Leaves nothing behind.
#   install_test.sh BUILD_DIR
set -u
build=$1
. "$(dirname "$0")/cli_test_lib.sh"   # $tmp, check, cleanup of $tmp and $daemon

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
stage=$tmp/stage
cmake --install "$build" --prefix "$stage" >"$tmp/install.out" 2>&1; rc=$?
check "cmake --install --prefix STAGE exits 0 (got $rc: $(tail -n 3 "$tmp/install.out"))" test $rc -eq 0
DESTDIR=$tmp/dest cmake --install "$build" >"$tmp/install2.out" 2>&1; rc=$?
check "DESTDIR=DEST cmake --install exits 0 (got $rc)" test $rc -eq 0

layout() { # root: the layout under one install root
  local root=$1
  check "$root: bin/fairmatch is executable" test -x "$root/bin/fairmatch"
  check "$root: bin/fairmatchd is executable" test -x "$root/bin/fairmatchd"
  check "$root: share/man/man1/fairmatch.1" test -s "$root/share/man/man1/fairmatch.1"
  check "$root: share/man/man8/fairmatchd.8" test -s "$root/share/man/man8/fairmatchd.8"
  check "$root: lib/systemd/system/fairmatchd.service" test -s "$root/lib/systemd/system/fairmatchd.service"
  check "$root: lib/sysusers.d/fairmatch.conf" grep -q '^u fairmatch ' "$root/lib/sysusers.d/fairmatch.conf"
}
layout "$stage"
check "STAGE: etc/fairmatch/fairmatchd.conf" test -s "$stage/etc/fairmatch/fairmatchd.conf"
layout "$tmp/dest$prefix"
conf=$prefix/etc/fairmatch/fairmatchd.conf
[ "$prefix" = /usr ] && conf=/etc/fairmatch/fairmatchd.conf
check "DEST: the example config at $conf" test -s "$tmp/dest$conf"
unit=$tmp/dest$prefix/lib/systemd/system/fairmatchd.service
check "the unit starts $prefix/bin/fairmatchd with $conf" \
  grep -qx "ExecStart=$prefix/bin/fairmatchd --config $conf" "$unit"
check "the unit waits for fairmatch health" grep -q "^ExecStartPost=$prefix/bin/fairmatch health" "$unit"
for key in 'User=fairmatch' 'StateDirectory=fairmatch' 'ProtectSystem=strict' \
           'NoNewPrivileges=yes' 'PrivateTmp=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'; do
  check "the unit sets $key" grep -qx "$key" "$unit"
done
check "the example config's db is in the StateDirectory" \
  grep -qx 'db = /var/lib/fairmatch/fairmatch.db' "$stage/etc/fairmatch/fairmatchd.conf"

for page in "$stage/share/man/man1/fairmatch.1" "$stage/share/man/man8/fairmatchd.8"; do
  groff -man -ww -z "$page" >"$tmp/groff.out" 2>&1; rc=$?
  check "$(basename "$page") renders without warnings (rc $rc: $(head -c 300 "$tmp/groff.out"))" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/groff.out'"
  check "$(basename "$page") has an EXIT STATUS section" grep -q '^\.SH EXIT STATUS' "$page"
done

# systemd-analyze checks every directive; the binaries it must find are the
# staged ones, so their paths are pointed there in a copy of the unit.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/verify"
  sed "s#$prefix/bin/#$tmp/dest$prefix/bin/#g" "$unit" >"$tmp/verify/fairmatchd.service"
  systemd-analyze verify --man=no "$tmp/verify/fairmatchd.service" >"$tmp/verify.out" 2>&1; rc=$?
  check "systemd-analyze verify is clean (rc $rc: $(cat "$tmp/verify.out"))" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/verify.out'"
else
  echo "note: systemd-analyze is not installed; the unit was checked by grep only"
fi

# The installed daemon with the installed example config.
sed -e "s#^db = .*#db = $tmp/fm.db#" -e "s#^listen = .*#listen = 127.0.0.1:0#" \
  "$stage/etc/fairmatch/fairmatchd.conf" >"$tmp/fairmatchd.conf"
changed=$(diff "$stage/etc/fairmatch/fairmatchd.conf" "$tmp/fairmatchd.conf" | grep -c '^>')
check "only db and listen changed in the installed config ($changed lines)" test "$changed" -eq 2
: >"$tmp/daemon.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/daemon.log") \
  "$stage/bin/fairmatchd" --config "$tmp/fairmatchd.conf" 2>>"$tmp/daemon.log" &
daemon=$!
wait_listening "the installed fairmatchd"
fm=$stage/bin/fairmatch
export FAIRMATCH_SERVER=127.0.0.1:$port
check "the database is where the config says" test -f "$tmp/fm.db"
check "log lines carry a syslog priority when stderr is the journal" \
  grep -q '^<6>ts=.* level=info event=listening ' "$tmp/daemon.log"
check "every log line has a priority" sh -c "! grep -v '^<[3467]>ts=' '$tmp/daemon.log' | grep -q ."
"$fm" health >"$tmp/health.out" 2>&1; rc=$?
check "installed fairmatch health exits 0 (got $rc: $(cat "$tmp/health.out"))" test $rc -eq 0
"$fm" health --json >"$tmp/health.json" 2>/dev/null
check "health --json says healthy" /usr/bin/python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["healthy"] is True, d' "$tmp/health.json"
tok=$("$fm" token create --db "$tmp/fm.db" --role coordinator 2>/dev/null)
check "installed fairmatch token create gives a token" test -n "$tok"
FAIRMATCH_TOKEN=$tok "$fm" status >"$tmp/status.out" 2>&1; rc=$?
check "status with the token exits 0 and names the role (got $rc)" \
  sh -c "test $rc -eq 0 && grep -q '^role *coordinator' '$tmp/status.out'"
kill -TERM "$daemon"
wait "$daemon"; rc=$?
daemon=
check "the installed fairmatchd exits 0 on SIGTERM (got $rc)" test $rc -eq 0
"$fm" health >/dev/null 2>"$tmp/down.err"; rc=$?
check "health exits 1 once the daemon is gone (got $rc)" test $rc -eq 1
check "... and says where to look: $(cat "$tmp/down.err")" grep -q "journalctl -u fairmatchd" "$tmp/down.err"

finish
