"""The ``unshare`` launcher: the process backend's namespaces without bubblewrap.

Its command is :mod:`sandbox.backends.unshare_init` run as root by the backend's own
interpreter: it calls ``unshare(2)`` itself (no user namespace, no util-linux tool),
builds the read-only view as the namespace's init and runs the program as the slot's
uid. Seen from the backend it behaves as bubblewrap does: the command exits with the
program's status, and the namespace's init, named on the info descriptor, is left to the
backend to collect.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sandbox.backends.launchers import LaunchContext, Launcher
from sandbox.backends.unshare_init import PIVOT_ROOT_SYSCALL

INIT = Path(__file__).with_name("unshare_init.py")
#: The launcher process and the namespace's init: root processes that the backend counts
#: in a run's process budget (as it counts bubblewrap's two) but the slot uid's does not.
OWN_PROCESSES = 2
NAMESPACES = ("mnt", "pid", "net", "ipc", "uts", "cgroup")


class Unshare(Launcher):
    """Namespaces made by a root init that drops to the slot's uid itself. There is no
    user namespace at all: the program is an unprivileged uid of the host, never root."""

    name = "unshare"
    drops_privileges = True

    def missing(self) -> list[str]:
        reasons = []
        if os.geteuid() != 0:
            reasons.append("unshare needs root: without a user namespace only root may "
                           "create namespaces and mount")
        absent = [ns for ns in NAMESPACES if not Path(f"/proc/self/ns/{ns}").exists()]
        if absent:
            reasons.append(f"the kernel lacks namespaces: {', '.join(absent)}")
        if os.uname().machine not in PIVOT_ROOT_SYSCALL:
            reasons.append(f"pivot_root's system call number is unknown on "
                           f"{os.uname().machine}")
        try:
            found = INIT.is_file()
        except OSError:  # not even readable to us (a checkout under /root, say)
            found = False
        if not found:
            reasons.append(f"the namespace init {INIT} is missing or unreadable")
        return reasons

    def command(self, ctx: LaunchContext) -> list[str]:
        args = [sys.executable, "-I", "-S", "-B", str(INIT),
                "--uid", str(ctx.uid), "--work", str(ctx.work),
                "--seccomp-fd", str(ctx.seccomp_fd), "--info-fd", str(ctx.info_fd),
                "--own-processes", str(OWN_PROCESSES)]
        if ctx.root is not None:
            args += ["--root", str(ctx.root)]
        else:
            for path in ctx.host_binds:
                args += ["--bind", path]
        if not ctx.network_ready:  # else: already in the slot's own empty namespace
            args += ["--loopback", "up"]
        for key, value in ctx.env.items():
            args += ["--setenv", f"{key}={value}"]
        return [*args, "--", *ctx.step.argv]
