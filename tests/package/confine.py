#!/usr/bin/python3
"""Runs a command under the restrictions of a systemd unit file, on a machine whose PID 1 is not
systemd (a CI container), so a test can check that harnessd and its bubblewrap sandboxes work
under the unit as shipped. Each restriction is read from the unit itself and applied the way
systemd applies it:

  CapabilityBoundingSet=   prctl(PR_CAPBSET_DROP) of every capability not listed
  NoNewPrivileges=yes      prctl(PR_SET_NO_NEW_PRIVS)
  SystemCallFilter=        the allow list (groups expanded by `systemd-analyze syscall-filter`,
                           `~` lines removed) as a seccomp filter; the rest fail with
                           SystemCallErrorNumber=
  RestrictAddressFamilies= socket() allowed only for those families (others: EAFNOSUPPORT)
  ProtectSystem=strict     every mount read-only except /dev, /proc, /sys, ReadWritePaths= and
                           the --rw directories (stand-ins for StateDirectory=/RuntimeDirectory=)
  ProtectControlGroups=yes /sys/fs/cgroup and the mounts below it read-only
  ProtectProc=invisible    a fresh /proc mounted with hidepid=invisible
  PrivateTmp=yes           fresh tmpfs on /tmp and /var/tmp
  LimitNOFILE=, UMask=

Not emulated (no effect on what the test runs, or needing systemd itself): PrivateDevices,
DevicePolicy, ProtectClock, ProtectKernelModules, PrivateMounts,
KeyringMode, LockPersonality, RestrictRealtime, RestrictSUIDSGID, SystemCallArchitectures,
TasksMax.

Usage, as root:
  unshare -m --propagation private python3 confine.py UNIT [--rw DIR]... -- COMMAND [ARG]...
"""

import ctypes
import errno
import os
import resource
import socket
import subprocess
import sys

PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
API_FS = ("/proc", "/sys", "/dev")


def scmp_act_errno(e):
    return 0x00050000 | (e & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def read_unit(path):
    """{key: [values…]} of the [Service] section, in order (repeated keys accumulate)."""
    out, section = {}, None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def expand_syscalls(words, seen=None):
    """Syscall names of a SystemCallFilter= list: @groups expanded through systemd-analyze."""
    seen = set() if seen is None else seen
    names = set()
    for w in words:
        if not w.startswith("@"):
            names.add(w)
            continue
        if w in seen:
            continue
        seen.add(w)
        listing = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", w],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        members = [l.strip() for l in listing[1:] if l.strip() and not l.strip().startswith("#")]
        names |= expand_syscalls(members, seen)
    return names


def syscall_allow_list(unit):
    allowed = set()
    for line in unit.get("SystemCallFilter", []):
        if line.startswith("~"):
            allowed -= expand_syscalls(line[1:].split())
        else:
            allowed |= expand_syscalls(line.split())
    return allowed


def load_seccomp(unit):
    lines = unit.get("SystemCallFilter", [])
    families = " ".join(unit.get("RestrictAddressFamilies", [])).split()
    if not lines and not families:
        return
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ScmpArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    err = getattr(errno, (unit.get("SystemCallErrorNumber") or ["EPERM"])[-1])
    allowed = syscall_allow_list(unit) if lines else None
    ctx = lib.seccomp_init(scmp_act_errno(err) if lines else SCMP_ACT_ALLOW)

    def rule(action, name, conds=()):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:  # not a syscall of this architecture
            return
        arr = (ScmpArgCmp * max(1, len(conds)))(*conds)
        rc = lib.seccomp_rule_add_array(ctx, action, nr, len(conds), arr)
        if rc < 0:
            raise OSError(-rc, f"seccomp_rule_add({name})")

    if allowed is not None:
        for name in sorted(allowed - ({"socket"} if families else set())):
            rule(SCMP_ACT_ALLOW, name)
    if families:
        fams = [getattr(socket, f) for f in families]
        if allowed is None or "socket" in allowed:
            for fam in fams:
                rule(SCMP_ACT_ALLOW, "socket", [ScmpArgCmp(0, SCMP_CMP_EQ, int(fam), 0)])
        if allowed is None:  # a deny-by-family rule needs the other families named: refuse all
            raise SystemExit("confine.py: RestrictAddressFamilies= without SystemCallFilter= "
                             "is not emulated")
    if lib.seccomp_load(ctx) < 0:
        raise OSError(ctypes.get_errno(), "seccomp_load")


def mount(*args):
    subprocess.run(["mount", *args], check=True)


def protect_system(unit, extra_rw):
    if (unit.get("ProtectSystem") or [""])[-1] != "strict":
        return
    rw = []
    for word in " ".join(unit.get("ReadWritePaths", [])).split() + extra_rw:
        optional = word.startswith("-")
        path = word.lstrip("-")
        if not os.path.isdir(path):
            if optional:
                continue
            raise SystemExit(f"confine.py: ReadWritePaths={path} does not exist")
        mount("--bind", path, path)
        rw.append(path.rstrip("/") or "/")

    def under(p, roots):
        return any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)

    points = [line.split()[4] for line in open("/proc/self/mountinfo")]
    for mp in sorted(set(points)):
        if under(mp, API_FS) or under(mp, rw):
            continue
        r = subprocess.run(["mount", "-o", "remount,bind,ro", mp], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"confine.py: {mp} stays writable: {r.stderr.strip()}", file=sys.stderr)


def main(argv):
    if "--" not in argv:
        raise SystemExit(__doc__)
    sep = argv.index("--")
    opts, command = argv[1:sep], argv[sep + 1:]
    unit = read_unit(opts[0])
    extra_rw = [opts[i + 1] for i, o in enumerate(opts) if o == "--rw"]

    protect_system(unit, extra_rw)
    if (unit.get("ProtectControlGroups") or ["no"])[-1] == "yes":
        cgroup = [l.split()[4] for l in open("/proc/self/mountinfo")]
        for mp in [m for m in cgroup if m == "/sys/fs/cgroup" or m.startswith("/sys/fs/cgroup/")]:
            mount("-o", "remount,bind,ro", mp)
    if (unit.get("PrivateTmp") or ["no"])[-1] == "yes":
        for tmp in ("/tmp", "/var/tmp"):
            mount("-t", "tmpfs", "-o", "mode=1777", "tmpfs", tmp)
    if (unit.get("ProtectProc") or [""])[-1] == "invisible":
        mount("-t", "proc", "-o", "hidepid=invisible", "proc", "/proc")
    if unit.get("LimitNOFILE"):
        n = int(unit["LimitNOFILE"][-1])
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if n > hard:  # raising it needs CAP_SYS_RESOURCE, which containers often lack
            print(f"confine.py: LimitNOFILE={n} capped at this machine's hard limit {hard}",
                  file=sys.stderr)
            n = hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    if unit.get("UMask"):
        os.umask(int(unit["UMask"][-1], 8))

    libc = ctypes.CDLL(None, use_errno=True)
    keep = {c.upper() for c in " ".join(unit.get("CapabilityBoundingSet", [])).split()}
    if unit.get("CapabilityBoundingSet"):
        names = capability_names()
        for number, name in names.items():
            if name not in keep and libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), f"PR_CAPBSET_DROP {name}")
    if (unit.get("NoNewPrivileges") or ["no"])[-1] == "yes":
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    load_seccomp(unit)
    os.execvp(command[0], command)


# linux/capability.h, in bit order.
CAPABILITIES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
    "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO "
    "SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME "
    "SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG "
    "WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE").split()


def capability_names():
    """{number: "CAP_NAME"} for every capability this kernel knows."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    return {n: "CAP_" + (CAPABILITIES[n] if n < len(CAPABILITIES) else str(n))
            for n in range(last + 1)}


if __name__ == "__main__":
    main(sys.argv)
