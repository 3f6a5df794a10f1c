#!/usr/bin/env bash
# The main job on the bundled sample region: installs what is missing,
# builds, runs one fair-access round offline with `fairmatch solve`, then
# the same round through the service: starts fairmatchd on its embedded
# database, loads the region with the client, runs the round, exports it,
# checks both give the same files, and says where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target fairmatch fairmatchd
fm=$PWD/build/adapters/fairmatch
fmd=$PWD/build/engine/fairmatchd
data=$PWD/tests/data/sample
date=2027-06-14

echo "== offline: fairmatch solve"
"$fm" solve --students "$data/students.csv" --placements "$data/placements.csv" \
  --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date $date --out out/sample-offline

echo "== service: fairmatchd with its embedded database in out/service/"
rm -rf out/service out/sample
mkdir -p out/service
cd out/service
token=$("$fm" token create --db fairmatch.db --role coordinator 2>/dev/null)
"$fmd" --listen 127.0.0.1:0 2>daemon.log &   # default database: ./fairmatch.db
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*event=listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' daemon.log)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "fairmatchd did not start:"; cat daemon.log; exit 1; }
export FAIRMATCH_SERVER=127.0.0.1:$port FAIRMATCH_TOKEN=$token
for kind in schools students placements mentors; do
  "$fm" import $kind "$data/$kind.csv"
done
"$fm" round run --date $date
"$fm" round export 1 --out ../sample
kill -TERM "$daemon"
wait "$daemon"
trap - EXIT
cd ../..
for f in placements.csv mentors.csv; do
  cmp -s out/sample-offline/$f out/sample/$f && echo "$f: same as fairmatch solve" ||
    { echo "$f differs from fairmatch solve"; exit 1; }
done
echo "report: $PWD/out/sample/report.html"
