#!/usr/bin/env bash
# Opens --html reports in headless Chromium and fails on any script error or console
# message, or when the charts did not render. Run by CTest (tests/sim/CMakeLists.txt):
#
#   html_chromium_check.sh [--full] WORKDIR -- COMMAND [ARGS...]
#
# WORKDIR is emptied, COMMAND runs (it must write one or more *.html files into
# WORKDIR), then every WORKDIR/*.html is loaded with file://...#check-all-views (the
# report draws its charts for every source and scale choice, then the default view)
# and its DOM, after the scripts ran, must have:
#   - <html data-rendered="3">: the report script drew its three charts;
#   - data-views-checked: it went through every view;
#   - no data-errors attribute and no #report-errors box: src/sim/html/errors.js, the
#     page's first script, sets them on window errors, failed loads and console.error;
#   - a comparison-table row (data-policy="SPEC") for every policy in the data block;
#   - with --full, every chart has at least one line or point (data-series > 0).
# Chromium's own console log (--enable-logging=stderr) must have no CONSOLE line: the
# report logs nothing when it works.
#
# Exit status: 0 pass, 1 fail, 77 skipped (chromium is not installed; CTest's
# SKIP_RETURN_CODE). CHROMIUM=/path/to/browser overrides the browser.
set -uo pipefail

full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
if [ $# -lt 3 ] || [ "$2" != "--" ]; then
  echo "usage: $0 [--full] WORKDIR -- COMMAND [ARGS...]" >&2
  exit 2
fi
work=$1
shift 2

browser=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (scripts/setup.sh installs Debian's chromium package)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
if ! "$@" >"$work/command.log" 2>&1; then
  echo "FAIL: command failed: $*"
  cat "$work/command.log"
  exit 1
fi

shopt -s nullglob
pages=("$work"/*.html)
if [ ${#pages[@]} -eq 0 ]; then
  echo "FAIL: $* wrote no .html file into $work"
  exit 1
fi

failed=0
fail() {
  echo "FAIL: $page: $*"
  failed=1
  page_failed=1
}

for page in "${pages[@]}"; do
  page=$(realpath "$page")
  page_failed=0
  profile=$(mktemp -d)
  dom="$page.dom"
  log="$page.chromium.log"
  # Chromium is not sanitized; the sanitizer options of the test environment do not
  # concern it. A private HOME and profile keep it from touching the user's.
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u TSAN_OPTIONS -u LSAN_OPTIONS HOME="$profile" \
    XDG_CONFIG_HOME="$profile" XDG_CACHE_HOME="$profile" \
    timeout -k 10 90 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-extensions --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$page#check-all-views" >"$dom" 2>"$log"
  rc=$?
  rm -rf "$profile"
  if [ $rc -ne 0 ]; then
    fail "chromium exited with status $rc (124: timed out); its log:"
    grep -v dbus "$log" | tail -20
    continue
  fi
  root=$(grep -o -m1 '<html[^>]*>' "$dom" || true)
  if [ -z "$root" ]; then
    fail "chromium dumped no document"
    continue
  fi
  if [[ "$root" != *'data-rendered="3"'* ]]; then
    fail "charts not rendered (expected data-rendered=\"3\" on <html>, got: $root)"
  fi
  if [[ "$root" != *data-views-checked=* ]]; then
    fail "the report did not go through its views (no data-views-checked on <html>: $root)"
  fi
  if [[ "$root" == *data-errors=* ]] || grep -q 'id="report-errors"' "$dom"; then
    fail "the page reported errors: $root"
    tr '\n' ' ' <"$dom" | grep -o '<pre id="report-errors"[^<]*' | sed 's/^[^>]*>//'
  fi
  if grep -q ':CONSOLE' "$log"; then
    fail "console messages:"
    grep ':CONSOLE' "$log"
  fi
  charts=$(grep -o 'data-series="[0-9]*"' "$dom" | wc -l)
  if [ "$charts" -ne 3 ]; then
    fail "expected 3 chart <svg> elements with data-series, found $charts"
  fi
  if [ $full -eq 1 ] && grep -q 'data-series="0"' "$dom"; then
    fail "a chart has no data (--full): $(grep -o '<figure[^>]*id="chart-[a-z]*"\|data-series="[0-9]*"' "$dom" | tr '\n' ' ')"
  fi
  specs=$(grep -o '"spec":"[^"]*"' "$dom" | sed 's/^"spec":"\(.*\)"$/\1/')
  if [ -z "$specs" ]; then
    fail "no policy in the data block"
  fi
  while IFS= read -r spec; do
    [ -z "$spec" ] && continue
    if ! grep -qF "data-policy=\"$spec\"" "$dom"; then
      fail "policy $spec has no row in the comparison table"
    fi
  done <<<"$specs"
  if [ $page_failed -eq 0 ]; then
    echo "ok: $page ($(echo "$specs" | wc -l) policies, $root)"
  fi
done
exit $failed
