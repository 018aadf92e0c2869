#!/bin/sh
# Builds the libFuzzer targets (if needed) and runs each for SECONDS, then prints a table of
# execs/s per target. Exits 1 if any target crashed, leaked, timed out on an input or broke a
# checked property; the input is kept in $WORK/artifacts and reproduces with
#   BUILD/tests/fuzz/fuzz_TARGET ARTIFACT
# New coverage goes to a scratch corpus ($WORK/corpus/TARGET), never into the repo: copy an
# input into tests/fuzz/corpus/TARGET/ by hand when it is worth keeping (and always a crash,
# once fixed, as a regression input).
#
#   tests/fuzz/run.sh [SECONDS]   (default 60)
# Environment: FUZZ_BUILD (build dir, default build-fuzz), FUZZ_WORK (scratch dir, default a
# new temp dir), FUZZ_TARGETS (space-separated subset), FUZZ_RSS_MB (default 2048), JOBS.
set -eu
seconds=${1:-60}
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$repo/build-fuzz}
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/harness-fuzz-XXXXXX")}
rss=${FUZZ_RSS_MB:-2048}
targets=${FUZZ_TARGETS:-$(ls "$repo/tests/fuzz/corpus")}

# Configure once (clang, everything instrumented), then let the build decide what is stale.
if ! grep -q '^HARNESS_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  launcher=""
  command -v ccache >/dev/null && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
  # shellcheck disable=SC2086
  CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHARNESS_FUZZ=ON -DBUILD_TESTING=OFF $launcher >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}" --target fuzz >/dev/null

mkdir -p "$work/artifacts"
# Any sanitizer report is a crash (the build does not recover from UB); LeakSanitizer runs too
# (libFuzzer's -detect_leaks default).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=""
report=""
for t in $targets; do
  bin="$build/tests/fuzz/fuzz_$t"
  mkdir -p "$work/corpus/$t"
  log="$work/$t.log"
  dict=""
  [ -f "$repo/tests/fuzz/dict/$t.dict" ] && dict="-dict=$repo/tests/fuzz/dict/$t.dict"
  echo "fuzz_$t: ${seconds}s" >&2
  # shellcheck disable=SC2086
  if "$bin" -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$t-" $dict "$work/corpus/$t" "$repo/tests/fuzz/corpus/$t" \
      >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed="$failed $t"
    grep -E 'ERROR: |runtime error|fuzz property failed|Test unit written|SUMMARY' "$log" | head -8 >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  report="$report$(printf '%-20s %-7s %10s %8s %6s %6s' "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${peak:-?}")
"
done

printf '%-20s %-7s %10s %8s %6s %6s\n' target status execs execs/s cov rss_mb
printf '%s' "$report"
echo "logs, scratch corpus and artifacts: $work"
if [ -n "$failed" ]; then
  echo "fuzzing FAILED:$failed (reproduce: $build/tests/fuzz/fuzz_TARGET $work/artifacts/TARGET-...)" >&2
  exit 1
fi
