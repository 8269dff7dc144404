"""Slots of the process backend: one unprivileged host uid and one work directory each,
taken under a file lock so that several worker processes on a machine never share one."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import signal
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_RDONLY = 0x1
MS_BIND = 0x1000
MS_REMOUNT = 0x20
MNT_DETACH = 0x2
CLONE_NEWNET = 0x40000000
SIOCSIFFLAGS = 0x8914
IFF_UP_LOOPBACK_RUNNING = 0x1 | 0x8 | 0x40
UID_LOCKS = Path("/run/ardoise-sandbox-uids")

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    result = _libc.mount(source.encode(), target.encode(),
                         fstype.encode() if fstype else None, flags,
                         data.encode() if data else None)
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _unmount(target: str) -> None:
    if _libc.umount2(target.encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOENT):  # not mounted: nothing to do
            raise OSError(err, f"umount {target}: {os.strerror(err)}")


def is_mount(path: Path) -> bool:
    """Whether something is mounted at ``path``. ``os.path.ismount`` compares devices, so
    it misses a bind of a directory of the same file system: the mount table does not."""
    if os.path.ismount(path):
        return True
    target = os.path.realpath(path).encode()
    with open("/proc/self/mountinfo", "rb") as table:
        return any(line.split(b" ", 5)[4] == target for line in table)


def _same_directory(a: Path, b: Path) -> bool:
    first, second = os.stat(a), os.stat(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def mount_read_only_view(source: Path, target: Path) -> None:
    """Bind ``source`` at ``target`` read-only (a path every slot uid may traverse),
    replacing a view of another (older) root file system."""
    target.mkdir(parents=True, exist_ok=True)
    lock = os.open(target.parent / ".setup.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # worker processes start at once: mount once
        if is_mount(target) and _same_directory(source, target):
            return
        unmount_all(target)
        _mount(str(source), str(target), None, MS_BIND, None)
        _mount(str(source), str(target), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
               | MS_NODEV, None)
    finally:
        os.close(lock)


def unmount_all(target: Path, tmpfs: bool = False) -> None:
    """Remove every mount stacked on ``target`` (a tmpfs is seen without the mount table)."""
    mounted = os.path.ismount if tmpfs else is_mount
    for _ in range(100):
        if not mounted(target):
            return
        _unmount(str(target))
    raise OSError(errno.EBUSY, f"{target} stays mounted")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return True


def processes_of(uid: int) -> list[int]:
    """Pids of every living process owned by ``uid`` (their /proc entries carry the owner);
    zombies are dead already and only wait for their parent to collect them."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid and not _is_zombie(int(name)):
                    found.append(int(name))
            except FileNotFoundError:
                continue
    return found


def kill_uid(uid: int, rounds: int = 50) -> bool:
    """Kill every process of ``uid``; True when some existed.

    A child drops to ``uid`` and calls ``kill(-1, SIGKILL)``, which the kernel applies to
    all of that uid's processes at once, so a fork bomb cannot outrun it. Repeats until
    ``/proc`` shows none, because killing one tree must never leave another alive.
    """
    existed = False
    for _ in range(rounds):
        if not processes_of(uid):
            return existed
        existed = True
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child only signals and exits
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.002)
    if processes_of(uid):
        raise RuntimeError(f"processes of uid {uid} survive SIGKILL")
    return existed


def make_network_namespace(path: Path) -> None:
    """Create an empty network namespace with its loopback up, pinned at ``path``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            if _libc.unshare(CLONE_NEWNET) == 0:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    request = struct.pack("16sH14s", b"lo", IFF_UP_LOOPBACK_RUNNING, b"")
                    fcntl.ioctl(sock, SIOCSIFFLAGS, request)
                _mount("/proc/self/ns/net", str(path), None, MS_BIND, None)
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise OSError(errno.EPERM, f"could not create a network namespace at {path}")


def join_network(fd: int) -> None:
    """Enter the network namespace behind ``fd`` (in a child, before it drops root)."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@dataclass
class Slot:
    """A claimed slot: its number, uid and work directory (a fresh tmpfs per run)."""

    number: int
    uid: int
    directory: Path
    lock_fd: int

    @property
    def work(self) -> Path:
        return self.directory / "work"

    def mount_work(self, size_bytes: int, inodes: int = 8192) -> None:
        self.work.mkdir(mode=0o700, exist_ok=True)
        unmount_all(self.work, tmpfs=True)
        _mount("ardoise-work", str(self.work), "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={size_bytes},nr_inodes={inodes},mode=0700,uid={self.uid},gid={self.uid}")

    def unmount_work(self) -> None:
        unmount_all(self.work, tmpfs=True)

    @property
    def network(self) -> Path:
        return self.directory / "net"

    def network_fd(self) -> int:
        """A descriptor on this slot's own empty network namespace (only a loopback).

        Made once and kept (a bind of its nsfs file): creating and tearing down a network
        namespace for every run costs several milliseconds of kernel work. Runs of a slot
        never overlap and leave no process behind, so they cannot meet there.
        """
        if not is_mount(self.network):
            self.network.touch(mode=0o600)
            make_network_namespace(self.network)
        return os.open(self.network, os.O_RDONLY | os.O_CLOEXEC)


class SlotPool:
    """``count`` slots under ``runtime_dir``; uids ``uid_base`` … ``uid_base + count - 1``."""

    def __init__(self, runtime_dir: Path, count: int, uid_base: int) -> None:
        self.runtime_dir = runtime_dir
        self.count = count
        self.uid_base = uid_base
        self._next = 0

    def setup(self) -> None:
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        os.chown(self.runtime_dir, 0, 0)
        os.chmod(self.runtime_dir, 0o711)

    def acquire(self, timeout: float = 120.0) -> Slot:
        deadline = time.monotonic() + timeout
        while True:
            for offset in range(self.count):
                number = (self._next + offset) % self.count
                slot = self._try(number)
                if slot is not None:
                    self._next = number + 1
                    return slot
            if time.monotonic() > deadline:
                raise TimeoutError("every sandbox slot stayed busy")
            time.sleep(0.005)

    def _try(self, number: int) -> Slot | None:
        # Locked by uid, machine-wide: two pools (another runtime directory) that handed out
        # one uid at once would share its per-uid process limit.
        UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
        lock_path = UID_LOCKS / f"uid-{self.uid_base + number}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        directory = self.runtime_dir / f"slot-{number}"
        directory.mkdir(mode=0o711, exist_ok=True)
        return Slot(number, self.uid_base + number, directory, fd)

    @staticmethod
    def release(slot: Slot) -> None:
        os.close(slot.lock_fd)  # closing the descriptor drops the flock
