#!/usr/bin/env bash
# The main job on the bundled sample region: installs what is missing,
# builds, and runs one fair-access round offline with `fairmatch solve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target fairmatch
d=tests/data/sample
./build/adapters/fairmatch solve --students $d/students.csv --placements $d/placements.csv \
  --mentors $d/mentors.csv --schools $d/schools.csv --date 2027-06-14 --out out/sample
echo "report: $(pwd)/out/sample/report.html"
