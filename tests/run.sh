#!/bin/sh
# The test command (README). Installs what is missing, then runs these phases in order and
# prints how long each took:
#   build       harnessd, harnessctl and the unit tests, warnings as errors (build-ci)
#   test        the unit and end-to-end tests
#   package     the .deb: dpkg -i, unit checks, a leaf under the unit's restrictions
#   build-asan  the same with ASan+UBSan (build-asan, Debug)
#   unit-asan   the unit tests under ASan+UBSan
#   e2e-asan    the end-to-end tests once against the ASan+UBSan harnessd and harnessctl
#   fuzz        each libFuzzer target for FUZZ_SECONDS (default 20) (tests/fuzz/run.sh, clang)
#   format      clang-format check of every .cpp/.hpp
# A failing phase does not stop the later ones (except those needing its build); the exit
# status is 1 if any phase failed. TEST_PHASES="build test" runs only those phases.
# With CI=true (exported by .ci/run) or HARNESS_REQUIRE_SANDBOX=1, a test whose prerequisite
# (bwrap, podman, busybox, root...) is missing fails instead of skipping.
# Benchmarks are separate: ctest --test-dir build-ci -L bench --output-on-failure
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${JOBS:-$(nproc)}
phases=${TEST_PHASES:-build test package build-asan unit-asan e2e-asan fuzz format}
launcher=""
command -v ccache >/dev/null && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"

# Sanitizer reports fail what they occur in: the daemon dies on the first one (its log is then
# part of the failing test's report) and the e2e fixtures fail a test whose daemon's log holds
# one (LeakSanitizer reports at exit). The e2e harness waits longer under ASan. For the e2e run
# ASan's quarantine of freed memory is 16 MiB instead of 256: test_hostile_http bounds the
# daemon's RSS growth under attack (40 MiB), and a bigger quarantine alone would exceed it.
asan_env() {
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:print_summary=1${ASAN_EXTRA:-} \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    HARNESS_E2E_TIMEOUT_SCALE=${HARNESS_E2E_TIMEOUT_SCALE:-4} "$@"
}

do_build() {
  # shellcheck disable=SC2086
  cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARNESS_WERROR=ON $launcher >/dev/null &&
    cmake --build build-ci -j"$jobs"
}
do_test() { ctest --test-dir build-ci -L 'unit|e2e' --output-on-failure; }
do_package() { tests/package/test_deb.sh build-ci; }
do_build_asan() {
  # shellcheck disable=SC2086
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHARNESS_SANITIZE=ON $launcher >/dev/null &&
    cmake --build build-asan -j"$jobs" --target harnessd harnessctl harness_unit
}
do_unit_asan() { asan_env ctest --test-dir build-asan -L unit --output-on-failure; }
# The e2e tests of build-asan run its own harnessd/harnessctl (HARNESSD/HARNESSCTL, set by CTest).
do_e2e_asan() { ASAN_EXTRA=:quarantine_size_mb=16 asan_env ctest --test-dir build-asan -L e2e --output-on-failure; }
do_fuzz() { JOBS=$jobs FUZZ_BUILD=$PWD/build-fuzz tests/fuzz/run.sh "${FUZZ_SECONDS:-20}"; }
do_format() {
  # shellcheck disable=SC2046
  clang-format --dry-run --Werror $(git ls-files '*.cpp' '*.hpp')
}

# CPU seconds (user+sys) used so far by finished child processes: with the wall time it shows
# what a phase costs on a machine shared with other work. `times` must run in this shell (in a
# command substitution it would report a fresh process with no children), hence the file.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_now() {
  times >"$times_file"
  cpu=$(tail -1 "$times_file" |
    awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t }')
}

failed=""
summary=""
total_start=$(date +%s)
cpu_now
total_cpu=$cpu
for p in $phases; do
  case "$p" in
    test | package) needs=build ;;
    unit-asan | e2e-asan) needs=build-asan ;;
    *) needs="" ;;
  esac
  if [ -n "$needs" ] && echo " $failed " | grep -q " $needs "; then
    summary="$summary$(printf '%-11s %-8s' "$p" "not run ($needs failed)")
"
    failed="$failed $p"
    continue
  fi
  echo "=== $p" >&2
  start=$(date +%s)
  cpu_now
  phase_cpu=$cpu
  if "do_$(echo "$p" | tr - _)"; then
    status=ok
  else
    status=FAILED
    failed="$failed $p"
  fi
  cpu_now
  summary="$summary$(printf '%-11s %-8s %6ss %8ss' "$p" "$status" "$(($(date +%s) - start))" \
    "$((cpu - phase_cpu))")
"
done
echo "=== summary" >&2
printf '%-11s %-8s %7s %9s\n' phase status wall cpu
printf '%s' "$summary"
cpu_now
printf '%-11s %-8s %6ss %8ss\n' total "" "$(($(date +%s) - total_start))" "$((cpu - total_cpu))"
if [ -n "$failed" ]; then
  echo "FAILED:$failed" >&2
  exit 1
fi
echo "all tests passed"
