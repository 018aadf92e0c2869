#!/bin/sh
# The test command: installs what is missing, builds with warnings as errors, runs the unit and
# end-to-end tests, then the unit tests again under ASan+UBSan, and checks formatting.
# Benchmarks are separate: ctest --test-dir build-ci -L bench --output-on-failure
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHARNESS_WERROR=ON >/dev/null
cmake --build build-ci -j"$jobs"
ctest --test-dir build-ci -L 'unit|e2e' --output-on-failure

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHARNESS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target harness_unit
ctest --test-dir build-asan -L unit --output-on-failure

tests/package/test_deb.sh build-ci  # the .deb: dpkg -i, unit checks, a leaf under the unit's restrictions

files=$(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run --Werror $files
echo "all tests passed"
