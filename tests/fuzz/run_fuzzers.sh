#!/usr/bin/env bash
# run_fuzzers.sh - runs every libFuzzer target of a FM_FUZZ=ON build
# briefly, as CI does (tests/run_tests.sh, fuzz stage).
#   bash tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_PER_TARGET]   (default 7)
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>,
# left untouched: new inputs go to a scratch directory) and runs for the
# given time.  Any crash, leak, sanitizer report or failed check fails the
# script; the input that did it is kept in BUILD_DIR/fuzz-artifacts/ and
# should become a regression input in the corpus.
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-7}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz-artifacts"
status=0
for corpus in "$here"/corpus/*/; do
  t=$(basename "$corpus")
  bin=$build/tests/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz: $t not built in $build"; status=1; continue; }
  mkdir -p "$scratch/$t"
  if TMPDIR=$scratch "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
       "$scratch/$t" "$corpus" > "$scratch/$t.log" 2>&1; then
    echo "fuzz: $t ok: $(grep -E '^#[0-9]+' "$scratch/$t.log" | tail -1)"
  else
    echo "fuzz: $t FAILED"; tail -40 "$scratch/$t.log"; status=1
  fi
done
exit $status
