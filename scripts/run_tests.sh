#!/bin/sh
# Runs every test: the C unit tests (ASan+UBSan build), the fuzzers' smoke run (make
# fuzz-smoke), then the integration tests (pytest, Debian's python3) against the real
# server and PostGIS.
#   run_tests.sh CONNINFO      all tests against the demo database CONNINFO
#   run_tests.sh --unit-only   C unit tests and the fuzzers' smoke run only
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export RBMAP_SHARED_DATA="${RBMAP_SHARED_DATA:-$ROOT/../shared/data}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
passed=0
failed=0
for t in build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  echo "== $t"
  out=$("$t" 2>&1); rc=$?
  echo "$out" | tail -n 20
  line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); echo "   (no result line, exit $rc)"; continue; fi
  p=$(echo "$line" | cut -d' ' -f1); f=$(echo "$line" | cut -d' ' -f3)
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
done
# libFuzzer harnesses (fuzz/fuzz.mk): each FUZZ_SMOKE_SECONDS on its seed corpus, then
# every input of fuzz/regressions/ once; counted one test per harness.
echo "== fuzz-smoke"
out=$(make -s -j2 fuzz-smoke 2>&1); rc=$?
echo "$out" | grep -vE '^(CC|LD) \(fuzz\)' | tail -n 60
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ -z "$line" ]; then failed=$((failed + 1)); echo "   (fuzz-smoke: no result line, exit $rc)"
else
  p=$(echo "$line" | cut -d' ' -f1); f=$(echo "$line" | cut -d' ' -f3)
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
fi
if [ "${1:-}" != "--unit-only" ]; then
  export RBMAP_TEST_DB="$1"
  export RBMAP_BIN="$ROOT/build/asan/rbmap"
  report="$ROOT/build/pytest-report.txt"
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration ${PYTEST_ARGS:-} 2>&1 | tee "$report"
  summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)' "$report" | tail -n 1)
  p=$(echo "$summary" | grep -oE '[0-9]+ passed' | cut -d' ' -f1); f=$(echo "$summary" | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
  e=$(echo "$summary" | grep -oE '[0-9]+ error' | cut -d' ' -f1)
  [ -z "$summary" ] && failed=$((failed + 1))
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
fi
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
