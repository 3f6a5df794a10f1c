#!/usr/bin/env bash
# report.html in a real browser: solves the bundled sample round with
# `fairmatch solve`, renders OUT/report.html in headless Chromium (Debian's
# chromium) and checks what the browser built (report_page_check.py):
# sections, charts with the right number of bars, the headline and the
# evidence equal to summary.json, the unmatched groups, no personal fields;
# that the page made no network request (Chromium's net log), with two
# control pages that prove the check can see a request and that the page's
# Content-Security-Policy blocks one; and that it prints to a PDF.
# Chromium starts slowly, so the page is rendered once for all DOM checks.
#   report_page_test.sh FAIRMATCH DATA_DIR
set -u
fm=$1
data=$2/sample
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
fails=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# The browser's own background traffic cannot leave (every host name fails
# to resolve); its own profile in tmp, so runs do not share state.
chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
        --disable-background-networking --disable-component-update --disable-sync
        --disable-default-apps "--host-resolver-rules=MAP * ~NOTFOUND"
        --user-data-dir="$tmp/profile")

"$fm" solve --students "$data/students.csv" --placements "$data/placements.csv" \
  --mentors "$data/mentors.csv" --schools "$data/schools.csv" --date 2027-06-14 \
  --out "$tmp/out" >/dev/null 2>"$tmp/solve.err"
check "fairmatch solve writes report.html ($(cat "$tmp/solve.err"))" test -s "$tmp/out/report.html"

"${chrome[@]}" --log-net-log="$tmp/net.json" --dump-dom "file://$tmp/out/report.html" \
  >"$tmp/dom.html" 2>"$tmp/chrome.err"
check "Chromium renders the page ($(grep -v -e dbus -e unexpected "$tmp/chrome.err" | tail -n 2))" \
  grep -q '</html>' "$tmp/dom.html"
check "the rendered page holds what summary.json and the CSVs say" \
  $py "$here/report_page_check.py" dom "$tmp/dom.html" "$tmp/out" "$data/students.csv"
check "the page made no network request" $py "$here/report_page_check.py" netlog "$tmp/net.json"

# Controls: the page with an image from elsewhere, once without its CSP
# (the net log must show the request) and once with it (it must not).
sed 's|<body>|<body><img src="http://192.0.2.7/x.png" alt="">|' "$tmp/out/report.html" \
  >"$tmp/out/with-csp.html"
sed -e 's|<body>|<body><img src="http://192.0.2.7/x.png" alt="">|' \
    -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' "$tmp/out/report.html" \
  >"$tmp/out/without-csp.html"
check "control page: the CSP is gone" sh -c "! grep -q Content-Security-Policy '$tmp/out/without-csp.html'"
"${chrome[@]}" --log-net-log="$tmp/net-without.json" --dump-dom \
  "file://$tmp/out/without-csp.html" >/dev/null 2>&1
check "control: without the CSP the net log shows the page's request" \
  $py "$here/report_page_check.py" netlog "$tmp/net-without.json" --expect-page-request
"${chrome[@]}" --log-net-log="$tmp/net-with.json" --dump-dom \
  "file://$tmp/out/with-csp.html" >/dev/null 2>&1
check "control: the page's CSP blocks the request" \
  $py "$here/report_page_check.py" netlog "$tmp/net-with.json"

"${chrome[@]}" --no-pdf-header-footer --print-to-pdf="$tmp/report.pdf" \
  "file://$tmp/out/report.html" >/dev/null 2>&1
check "prints to a PDF of several pages" $py "$here/report_page_check.py" pdf "$tmp/report.pdf"

echo "$fails failed"
test $fails -eq 0
