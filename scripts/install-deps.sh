#!/bin/sh
# Installs the Debian packages harness needs to build and test, skipping those already present.
# Idempotent; needs root (or sudo) only when something is missing.
set -eu

# clang + libclang-rt-dev build the fuzz targets: libclang-rt-dev pulls the compiler-rt of the
# default clang (libclang-rt-14-dev on Debian 12), which holds libFuzzer (libclang_rt.fuzzer);
# apt would not install it with clang under --no-install-recommends. curl and redis-server are
# used by tests (CI fails, rather than skips, tests whose prerequisites are missing).
pkgs="build-essential cmake pkg-config clang-format clang libclang-rt-dev \
  libcli11-dev libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libhiredis-dev \
  libuv1-dev libspdlog-dev doctest-dev libhttp-parser-dev libtomlplusplus-dev libseccomp-dev \
  bubblewrap busybox-static python3 python3-pytest sqlite3 podman runc curl redis-server"
pkgs="$pkgs tzdata"  # the scheduler reads IANA zones from /usr/share/zoneinfo
pkgs="$pkgs redis-server"  # the Redis store's tests start their own servers
pkgs="$pkgs dpkg-dev systemd"  # tests/package/test_deb.sh: dpkg-shlibdeps, systemd-analyze
pkgs="$pkgs passwd util-linux"  # tests/e2e/test_runas.py: useradd/groupadd, runuser, setpriv
pkgs="$pkgs prometheus"  # tests/e2e/test_metrics.py: promtool check metrics, a real scrape

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends $missing >/dev/null || {
  $sudo apt-get update >/dev/null
  $sudo apt-get install -y --no-install-recommends $missing >/dev/null
}
