# cli_test_lib.sh - shared by the shell tests of the fairmatch command
# against a real fairmatchd (cli_client_test.sh, cli_constraints_test.sh);
# sourced, not run.
#
# Gives: $tmp (a temporary directory, removed at exit together with a
# daemon still running), check DESCRIPTION COMMAND... (counts passes and
# fails, prints "FAIL: ..."), py CODE ARGS... (Debian's python3),
# start_daemon FAIRMATCHD DB (starts it on a free loopback port with its log
# in $tmp/daemon.log, sets $daemon and $port and exports FAIRMATCH_SERVER;
# exits 1 if it does not start), wait_listening WHAT (the same wait, for a
# daemon started otherwise, with its pid in $daemon) and finish (prints the counts; its status
# is the verdict).
tmp=$(mktemp -d)
daemon=
cleanup() {
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    kill -KILL "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
passes=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
py() { /usr/bin/python3 -c "$@"; }
wait_listening() { # WHAT: waits for $daemon's port in $tmp/daemon.log, sets $port
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*event=listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/daemon.log")
    [ -n "$port" ] && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "FAIL: $1 did not start: $(cat "$tmp/daemon.log")"
    exit 1
  fi
}
start_daemon() { # FAIRMATCHD DB
  "$1" --listen 127.0.0.1:0 --db "$2" 2>"$tmp/daemon.log" &
  daemon=$!
  wait_listening fairmatchd
  export FAIRMATCH_SERVER=127.0.0.1:$port
}
finish() {
  echo "$passes passed, $fails failed"
  test $fails -eq 0
}
