#!/bin/sh
# Builds harness, starts harnessd on a throwaway state dir with the example config (SQLite,
# bwrap, replay model), runs one leaf with harnessctl and shows its result and workspace.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target harnessd harnessctl

dir=$(mktemp -d /tmp/harness-demo.XXXXXX)
sock="$dir/harnessd.sock"
mkdir -p "$dir/work"
build/apps/harnessd/harnessd --config examples/hello/harnessd.toml --state-dir "$dir/state" \
  --socket "$sock" --foreground --log-level warn 2>"$dir/harnessd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
i=0
until build/apps/harnessctl/harnessctl --socket "$sock" ls >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat "$dir/harnessd.log"; exit 1; }; sleep 0.1
done

ctl() { build/apps/harnessctl/harnessctl --socket "$sock" "$@"; }
ctl run --workdir "$dir/work" "Write hello.txt in the workspace and read it back"
echo
echo "--- $dir/work/hello.txt:"
cat "$dir/work/hello.txt"
