#!/bin/sh
# Runs libFuzzer harnesses built by fuzz/fuzz.mk.
#   run.sh smoke SECONDS "FLAGS" NAME...  each harness SECONDS on a scratch copy of its
#        seed corpus, then every file of fuzz/regressions/NAME/ once; prints one line per
#        harness and "N passed, M failed" (the unit-test result line run_tests.sh counts)
#   run.sh long SECONDS "FLAGS" NAME...   long runs on build/fuzz-corpus/NAME (kept between
#        runs), crashes into build/fuzz-crashes/NAME/; prints libFuzzer's final stats
# A harness fails when libFuzzer exits non-zero (crash, leak, sanitizer report, timeout,
# out-of-memory) or does not print its final "Done" line.
set -u
mode=$1 seconds=$2 flags=$3
shift 3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0 failed=0
mkdir -p build/fuzz-logs
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for name in "$@"; do
  bin=build/fuzz/fuzz_$name
  log=build/fuzz-logs/$name.$mode.log
  if [ "$mode" = smoke ]; then
    corpus=build/fuzz-smoke-corpus/$name
    rm -rf "$corpus"; mkdir -p "$corpus"
    [ -d fuzz/corpus/$name ] && cp fuzz/corpus/$name/* "$corpus"/ 2>/dev/null
    crashes=build/fuzz-smoke-crashes/$name/
  else
    corpus=build/fuzz-corpus/$name
    mkdir -p "$corpus"
    [ -d fuzz/corpus/$name ] && cp -n fuzz/corpus/$name/* "$corpus"/ 2>/dev/null
    crashes=build/fuzz-crashes/$name/
  fi
  mkdir -p "$crashes"
  # shellcheck disable=SC2086
  "$bin" $flags -max_total_time="$seconds" -artifact_prefix="$crashes" "$corpus" >"$log" 2>&1
  rc=$?
  stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  [ -z "$stats" ] && stats=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1)
  ok=1
  { [ "$rc" -ne 0 ] || ! grep -q '^Done ' "$log"; } && ok=0
  regress=0
  if [ "$ok" = 1 ] && [ -d fuzz/regressions/$name ] && [ -n "$(ls fuzz/regressions/$name)" ]; then
    rlog=build/fuzz-logs/$name.regressions.log
    "$bin" -rss_limit_mb=2048 -timeout=20 fuzz/regressions/$name/* >"$rlog" 2>&1 || { ok=0; log=$rlog; }
    regress=$(ls fuzz/regressions/$name | wc -l)
  fi
  if [ "$ok" = 1 ]; then
    passed=$((passed + 1))
    echo "fuzz $name: ok  $stats  (+$regress regression inputs)"
  else
    failed=$((failed + 1))
    echo "fuzz $name: FAILED (exit $rc), log $log; reproduce with $bin <input>"
    tail -n 40 "$log"
  fi
  [ "$mode" = long ] && grep -E '^stat::' "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
