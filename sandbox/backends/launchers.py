"""How the process backend enters its namespaces: bubblewrap, or ``unshare`` without it.

A launcher turns one step into a command line and says whether the command drops to the
slot's uid itself (a launcher that must mount as root) or expects to be started as it.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from sandbox.languages import Step


@dataclass(frozen=True)
class LaunchContext:
    """What a launcher needs to confine one step."""

    step: Step
    env: dict[str, str]
    uid: int
    work: Path
    #: The read-only root (a bind of the sandbox root file system), or None for host paths.
    root: Path | None
    #: Host paths bound read-only when there is no root file system.
    host_binds: tuple[str, ...]
    seccomp_fd: int
    #: A descriptor on which the launcher writes ``{"child-pid": N}``: the namespace's init.
    info_fd: int
    #: True when the command already runs in the slot's own empty network namespace.
    network_ready: bool = False


class Launcher(ABC):
    name: str
    #: True when the command starts as root and drops to ``LaunchContext.uid`` itself.
    drops_privileges: bool = False

    @abstractmethod
    def missing(self) -> list[str]: ...

    @abstractmethod
    def command(self, ctx: LaunchContext) -> list[str]: ...


class Bubblewrap(Launcher):
    """bubblewrap started as the slot uid: the user namespace it creates maps that uid to
    itself, so host root is mapped nowhere inside."""

    name = "bubblewrap"

    def missing(self) -> list[str]:
        if shutil.which("bwrap") is None:
            return ["bubblewrap (bwrap) is not installed (Debian: apt install bubblewrap)"]
        if not Path("/proc/self/ns/user").exists():
            return ["the kernel has no user namespaces (bubblewrap needs them)"]
        return []

    def command(self, ctx: LaunchContext) -> list[str]:
        # No --disable-userns: the seccomp filter already refuses every namespace flag to
        # clone and unshare (and clone3), and the nested namespace it adds costs ~15 ms a run.
        args = ["bwrap", "--info-fd", str(ctx.info_fd), "--unshare-all", "--unshare-user",
                "--die-with-parent", "--new-session",
                "--hostname", "sandbox"]
        if ctx.network_ready:
            args.append("--share-net")  # the slot's empty namespace, entered before bwrap
        if ctx.root is not None:
            args += ["--ro-bind", str(ctx.root), "/"]
        else:
            for path in ctx.host_binds:
                args += ["--ro-bind-try", path, path]
            args += ["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                     "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"]
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--bind", str(ctx.work), "/work", "--bind", str(ctx.work), "/tmp",
                 # Only the work directory is writable: not the tmpfs bubblewrap makes for
                 # /dev, nor the one under the host paths when there is no root file system.
                 "--remount-ro", "/dev", "--remount-ro", "/",
                 "--chdir", "/work", "--seccomp", str(ctx.seccomp_fd), "--clearenv"]
        for key, value in ctx.env.items():
            args += ["--setenv", key, value]
        return [*args, "--", *ctx.step.argv]


def available_launchers() -> list[Launcher]:
    """In order of preference."""
    from sandbox.backends.unshare_launcher import Unshare  # subclasses Launcher: import late
    return [Bubblewrap(), Unshare()]
