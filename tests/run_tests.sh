#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then builds
# and runs every test twice, once plain (Release) and once under
# AddressSanitizer + UndefinedBehaviorSanitizer; then builds the libFuzzer
# targets with clang and runs each briefly (tests/fuzz/run_fuzzers.sh).
#   bash tests/run_tests.sh            # all three
#   FM_TEST_BUILDS=plain bash tests/run_tests.sh
#   FM_TEST_BUILDS=fuzz bash tests/run_tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install_deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
builds=${FM_TEST_BUILDS:-"plain sanitize fuzz"}
status=0
for b in $builds; do
  if [ "$b" = fuzz ]; then
    echo "=== fuzz build (build-test-fuzz), each target for ${FM_FUZZ_SECONDS:-7} s"
    CC=clang CXX=clang++ cmake -S . -B build-test-fuzz -DFM_FUZZ=ON -DFM_BUILD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-test-fuzz -j "$jobs" --target fm_fuzzers
    bash tests/fuzz/run_fuzzers.sh build-test-fuzz "${FM_FUZZ_SECONDS:-7}" || status=1
    continue
  fi
  dir=build-test-$b
  extra=(-DCMAKE_BUILD_TYPE=Release)  # -O3 finds warnings -O2 does not
  [ "$b" = sanitize ] && extra=(-DFM_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug)
  echo "=== $b build ($dir)"
  cmake -S . -B "$dir" -DFM_BUILD_BENCH=ON "${extra[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ( cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j "$jobs" ) || status=1
done
exit $status
