#!/bin/sh
# The .deb, as an operator gets it: builds it with cpack from a build directory (default
# build-ci), checks its Depends, installs it with dpkg -i, checks what went where, runs
# `systemd-analyze verify` and `systemd-analyze security` (exposure <= 5.0) on the installed unit,
# then starts the installed harnessd under the unit's own restrictions (tests/package/confine.py:
# capabilities, seccomp, ProtectSystem=strict...; PID 1 here is not systemd) on a scratch state
# dir, runs a leaf with a bwrap tool through the installed harnessctl in a workdir under /home,
# and purges the package. Needs root; refuses to touch an already installed harness package.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-ci}
here=$PWD

fail() { echo "test_deb: FAIL: $*" >&2; exit 1; }
step() { echo "test_deb: $*" >&2; }

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i)"
[ -f "$build/CPackConfig.cmake" ] || fail "no $build/CPackConfig.cmake: configure and build $build first"
if dpkg-query -W -f='${Status}' harness 2>/dev/null | grep -q "install ok installed"; then
  fail "a harness package is already installed here; not replacing it"
fi

work=$(mktemp -d /var/tmp/harness-deb.XXXXXX)
state=$(mktemp -d /var/lib/harness-pkgtest.XXXXXX)
rundir=$(mktemp -d /run/harness-pkgtest.XXXXXX)
home=$(mktemp -d /home/harness-pkgtest.XXXXXX)
daemon=""
installed=""
# The package's groups outlive it (as Debian's do); the test removes those it caused.
new_groups=""
for g in harness harness-approvers; do
  getent group "$g" >/dev/null || new_groups="$new_groups $g"
done
cleanup() {
  [ -z "$daemon" ] || kill -TERM "$daemon" 2>/dev/null || true
  [ -z "$installed" ] || dpkg --purge harness >/dev/null 2>&1 || true
  for g in $new_groups; do groupdel "$g" 2>/dev/null || true; done
  rm -rf "$work" "$state" "$rundir" "$home"
}
trap cleanup EXIT INT TERM

step "building the .deb from $build"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$work"/harness_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
step "$(basename "$deb"): $(stat -c %s "$deb") bytes; Depends: $depends"
for lib in bubblewrap libc6 libcurl4 libsqlite3-0 libuv1 libseccomp2; do
  echo "$depends" | grep -q "\(^\|, \)$lib\( \|,\|$\)" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -f "$deb" Suggests | grep -q podman || fail "Suggests lacks podman"

step "dpkg -i"
installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
unit=/usr/lib/systemd/system/harnessd.service
for f in /usr/sbin/harnessd /usr/bin/harnessctl /usr/libexec/harness/harness-exec "$unit" \
  /usr/share/man/man8/harnessd.8 /usr/share/man/man1/harnessctl.1 \
  /usr/share/bash-completion/completions/harnessctl /usr/share/zsh/vendor-completions/_harnessctl \
  /usr/share/fish/vendor_completions.d/harnessctl.fish \
  /usr/lib/sysusers.d/harness.conf /usr/lib/tmpfiles.d/harness.conf \
  /usr/share/doc/harness/examples/harnessd.toml /usr/share/doc/harness/examples/harnessd.env \
  /usr/share/doc/harness/operations.md; do
  [ -e "$f" ] || fail "$f not installed"
done
grep -q '^ExecStart=/usr/sbin/harnessd ' "$unit" || fail "ExecStart: $(grep ^ExecStart "$unit")"
getent group harness >/dev/null || fail "postinst did not create the group harness"
getent group harness-approvers >/dev/null || fail "postinst did not create harness-approvers"
/usr/sbin/harnessd --version | grep -q "^harnessd " || fail "installed harnessd --version"
/usr/sbin/harnessd --print-config --config /usr/share/doc/harness/examples/harnessd.toml \
  >/dev/null || fail "the example config does not load"

step "systemd-analyze verify $unit"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$unit" >"$work/verify.log" 2>&1 ||
  { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify warned"; }

systemd-analyze security --offline=true --no-pager "$unit" >"$work/security.log" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for harnessd.service: \([0-9.]*\).*/\1/p' "$work/security.log")
[ -n "$exposure" ] || { cat "$work/security.log" >&2; fail "no exposure level"; }
step "systemd-analyze security: exposure $exposure"
awk "BEGIN { exit !($exposure <= 5.0) }" || { cat "$work/security.log" >&2; fail "exposure $exposure > 5.0"; }

step "the installed harnessd under the unit's restrictions"
cat >"$state/replay.json" <<'EOF'
{"responses": [
  {"text": "", "tool_calls": [{"id": "t1", "name": "bash",
    "input": {"command": "echo hello from the package > out.txt && grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"}}]},
  {"text": "wrote out.txt"}]}
EOF
cat >"$state/harnessd.toml" <<'EOF'
[models.default]
provider = "replay"
file = "replay.json"

[sandboxes.default]
driver = "bwrap"
EOF
sock="$rundir/harnessd.sock"
unshare -m --propagation private python3 "$here/tests/package/confine.py" "$unit" \
  --rw "$state" --rw "$rundir" -- \
  /usr/sbin/harnessd --config "$state/harnessd.toml" --state-dir "$state/state" \
  --socket "$sock" --foreground >"$work/harnessd.log" 2>&1 &
daemon=$!
ctl() { /usr/bin/harnessctl --socket "$sock" "$@"; }
i=0
until ctl ls >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -lt 200 ] || { cat "$work/harnessd.log" >&2; fail "harnessd did not answer"; }
  kill -0 "$daemon" 2>/dev/null || { cat "$work/harnessd.log" >&2; fail "harnessd exited"; }
  sleep 0.1
done
pid=$(pgrep -f -- "--socket $sock" | head -n 1)
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "the daemon is not confined"

id=$(ctl submit -q --wait --workdir "$home" "write out.txt") ||
  { cat "$work/harnessd.log" >&2; fail "the leaf did not succeed"; }
[ "$(cat "$home/out.txt")" = "hello from the package" ] || fail "out.txt: $(cat "$home/out.txt")"
ctl status "$id" -o json | grep -q '"result": *"wrote out.txt"' || fail "result of $id"
ctl doctor >"$work/doctor.log" 2>&1 || { cat "$work/doctor.log" >&2; fail "doctor under the unit"; }
grep -q "channel harness-exec" "$work/doctor.log" ||
  { cat "$work/doctor.log" >&2; fail "the bwrap profile does not use the installed harness-exec"; }
if ctl submit -q --workdir /opt "write" >/dev/null 2>"$work/ro.log"; then
  fail "a workdir outside ReadWritePaths= was accepted"
fi
grep -q "read-only for harnessd" "$work/ro.log" || fail "read-only workdir: $(cat "$work/ro.log")"

kill -TERM "$daemon"
wait "$daemon" || fail "harnessd exited $? on SIGTERM"
daemon=""

step "dpkg --purge"
dpkg --purge harness >/dev/null
installed=""
[ ! -e /usr/sbin/harnessd ] && [ ! -e "$unit" ] || fail "files left after dpkg --purge"
echo "test_deb: ok ($(basename "$deb"), exposure $exposure)"
