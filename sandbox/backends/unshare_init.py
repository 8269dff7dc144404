"""The ``unshare`` launcher's own program: it makes a run's namespaces, as root.

The backend starts it as root (the command of :class:`~sandbox.backends.unshare_launcher.
Unshare`). This process, the *launcher*, calls ``unshare(CLONE_NEWPID)`` and forks the
namespace's *init* (pid 1 there), which makes fresh mount, IPC, UTS and cgroup namespaces
(and a network namespace unless the backend entered the slot's own already; never a user
namespace), builds the sandbox's file system view and forks the program. The program
drops to the slot's uid (no groups, no capabilities, an empty bounding set, no new
privileges), loads the seccomp filter and execs the step.

The init waits for the program and hands its status to the launcher, which writes
``{"child-pid": INIT}`` on the info descriptor and exits with that status (128 + N when
signal N killed it), without waiting for the init: as with bubblewrap, the init is left
to the backend (a child subreaper) to collect, with the resource usage of the program it
waited for. The init dies with the launcher (parent-death signal) and everything in the
namespace dies with the init; the launcher dies with the process that started it. A
failure before the program ran adds ``"error": TEXT`` to the info, says why on stderr and
exits 125.

It runs with the backend's interpreter in isolated mode (``-I -S -B``), so it imports
only the standard library, and only the cheap part of it: its CPU time is counted in the
run's. It is a script, not a module of the package; the launcher imports it for its
constants. Arguments: ``--uid N --work DIR --seccomp-fd N --info-fd N
--own-processes N``, ``--root DIR`` or ``--bind PATH`` (repeated), ``--setenv KEY=VALUE``
(repeated), ``--loopback up`` for a network namespace of its own, then ``--`` and the
step's argv.
"""

from __future__ import annotations

import _signal  # the public ``signal`` module imports enum: 10 ms of CPU on every run
import ctypes
import errno
import os
import resource
import select
import sys

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
SIGKILL = 9
AF_INET = 2
SOCK_DGRAM = 2
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
#: ``pivot_root`` has no libc wrapper; its number per architecture.
PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
#: Exit status when the program could not be confined, so never ran (as env(1) uses it).
SETUP_FAILED = 125
#: Device nodes of the sandbox's /dev, bound from the host's.
DEVICES = ("null", "zero", "full", "random", "urandom")
DEV_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"))
#: The merged-/usr links, when host paths are bound rather than a root file system.
ROOT_LINKS = (("lib", "usr/lib"), ("lib64", "usr/lib64"), ("bin", "usr/bin"),
              ("sbin", "usr/sbin"))
#: Where the host's root is while the sandbox's is built (bubblewrap's layout).
OLD = "/oldroot"
NEW = "/newroot"

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """The sandbox could not be built; nothing of the program has run."""


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0)), f"prctl({option})")


def mount(source: str, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None),
           f"mount {source} on {target}")


def bind(source: str, target: str, flags: int) -> None:
    """Bind ``source`` (not its submounts) at ``target`` with exactly ``flags``."""
    mount(source, target, None, MS_BIND)
    mount("none", target, None, MS_REMOUNT | MS_BIND | flags)


def pivot_root(new_root: str, put_old: str) -> None:
    number = PIVOT_ROOT_SYSCALL.get(os.uname().machine)
    if number is None:
        raise SetupError(f"pivot_root: unknown on {os.uname().machine}")
    _check(_libc.syscall(ctypes.c_long(number), new_root.encode(), put_old.encode()),
           "pivot_root")


def detach(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


class Options:
    """The command line the launcher wrote (parsed by hand: argparse costs CPU time)."""

    def __init__(self, args: list[str]) -> None:
        self.uid = -1
        self.work = self.root = self.loopback = ""
        self.seccomp_fd = self.info_fd = -1
        self.own_processes = 0
        self.binds: list[str] = []
        self.env: dict[str, str] = {}
        end = args.index("--")
        self.argv = args[end + 1:]
        pairs = args[:end]
        if len(pairs) % 2 or not self.argv:
            raise SetupError("usage: unshare_init OPTION VALUE ... -- PROGRAM ARG ...")
        for option, value in zip(pairs[::2], pairs[1::2], strict=True):
            if option == "--bind":
                self.binds.append(value)
            elif option == "--setenv":
                key, _, val = value.partition("=")
                self.env[key] = val
            elif option in ("--work", "--root", "--loopback"):
                setattr(self, option[2:], value)
            elif option in ("--uid", "--seccomp-fd", "--info-fd", "--own-processes"):
                setattr(self, option[2:].replace("-", "_"), int(value))
            else:
                raise SetupError(f"unknown option {option}")
        if self.uid <= 0 or not self.work or self.seccomp_fd < 0 or self.info_fd < 0:
            raise SetupError("--uid (not root), --work, --seccomp-fd and --info-fd are needed")


def read_filter(fd: int) -> bytes:
    """The exported BPF program: an array of 8-byte ``sock_filter`` instructions."""
    program = os.pread(fd, os.fstat(fd).st_size, 0)
    os.close(fd)
    if not program or len(program) % 8 or len(program) // 8 > 4096:
        raise SetupError(f"the seccomp program is malformed ({len(program)} bytes)")
    return program


def build_root(options: Options) -> None:
    """Make ``/`` the sandbox's view: the read-only root, /proc, a minimal /dev and the
    work directory at /work and /tmp. The host's root is detached at the end."""
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k,nr_inodes=64")
    os.chdir("/tmp")
    os.mkdir("newroot", 0o755)
    os.mkdir("oldroot", 0o755)
    pivot_root(".", "oldroot")
    os.chdir("/")
    read_only = MS_RDONLY | MS_NOSUID | MS_NODEV
    if options.root:
        bind(OLD + options.root, NEW, read_only)
    else:
        mount("tmpfs", NEW, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k,nr_inodes=512")
        for path in options.binds:
            bind_host_path(path)
        for name, target in ROOT_LINKS:
            os.symlink(target, f"{NEW}/{name}")
        for name in ("proc", "dev", "work", "tmp"):
            os.mkdir(f"{NEW}/{name}", 0o755)
    mount("proc", f"{NEW}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    build_dev(f"{NEW}/dev")
    for target in ("work", "tmp"):
        bind(OLD + options.work, f"{NEW}/{target}", MS_NOSUID | MS_NODEV)
    if not options.root:
        mount("none", NEW, None, MS_REMOUNT | MS_BIND | read_only)
    detach(OLD)
    os.chdir(NEW)
    pivot_root(".", ".")
    detach(".")
    os.chdir("/")


def bind_host_path(path: str) -> None:
    """Bind one host path read-only at the same place, when the host has it."""
    source = OLD + path
    if not path.startswith("/") or ".." in path.split("/") or not os.path.exists(source):
        return
    target = NEW + path
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    if os.path.isdir(source):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    bind(source, target, MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_dev(dev: str) -> None:
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          "mode=0755,size=64k,nr_inodes=64")
    for name in DEVICES:
        os.close(os.open(f"{dev}/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        mount(f"{OLD}/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for name, target in DEV_LINKS:
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm", 0o755)
    mount("none", dev, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def set_up_host(loopback: bool) -> None:
    """Name the host ``sandbox``; in a network namespace of its own, bring up its private
    loopback, as bubblewrap does (there is no other interface, so no route out)."""
    _check(_libc.sethostname(b"sandbox", ctypes.c_size_t(7)), "sethostname")
    if not loopback:
        return  # the backend's slot namespace: its loopback is up already
    fd = _libc.socket(AF_INET, SOCK_DGRAM, 0)
    if fd < 0:
        _check(-1, "socket")
    try:
        request = ctypes.create_string_buffer(b"lo", 40)  # struct ifreq
        _check(_libc.ioctl(fd, ctypes.c_ulong(SIOCGIFFLAGS), request), "SIOCGIFFLAGS lo")
        flags = ctypes.c_short.from_buffer(request, 16)
        flags.value |= IFF_UP
        _check(_libc.ioctl(fd, ctypes.c_ulong(SIOCSIFFLAGS), request), "SIOCSIFFLAGS lo")
    finally:
        os.close(fd)


def become_program(options: Options, program: bytes) -> None:
    """In the forked child: drop everything, then exec the step. Never returns."""
    os.setsid()
    for number in _signal.valid_signals():  # Python ignores SIGPIPE and SIGXFSZ
        try:
            _signal.signal(number, _signal.SIG_DFL)
        except (OSError, ValueError):
            continue
    _signal.pthread_sigmask(_signal.SIG_SETMASK, [])
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(capability), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            if ctypes.get_errno() != errno.EINVAL:
                _check(-1, f"dropping capability {capability} from the bounding set")
            break  # past the last capability this kernel knows
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    # The backend's process budget counts the launcher and the init, which are root and
    # so outside the slot uid's RLIMIT_NPROC: give the program exactly its own share.
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NPROC, (max(1, soft - options.own_processes),
                                                   max(1, hard - options.own_processes)))
    uid = options.uid
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to a non-zero uid: every capability is gone
    if os.getresuid() != (uid, uid, uid) or os.getgroups():
        raise SetupError("the program did not become the slot's uid")
    os.chdir("/work")
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER),
                       ctypes.pointer(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)),
           "seccomp filter")
    try:
        os.execvpe(options.argv[0], options.argv, options.env)
    except OSError as exc:
        os.write(2, f"cannot run {options.argv[0]}: {exc.strerror}\n".encode())
        os._exit(126 if os.path.exists(options.argv[0]) else 127)


def wait_for(program: int) -> int:
    """Reap every child (orphans come to pid 1) until the program ends; its status."""
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == program:
            return status


def json_string(text: str) -> str:
    """A JSON string literal (the json module costs more CPU time than the whole init)."""
    escaped = []
    for char in text:
        if char in '"\\' or ord(char) < 0x20:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def report(info_fd: int, fields: dict[str, int | str]) -> None:
    body = ", ".join(f'"{key}": {value if isinstance(value, int) else json_string(value)}'
                     for key, value in fields.items())
    try:
        os.write(info_fd, ("{" + body + "}").encode())
    except OSError:
        pass  # the backend is gone: nobody to tell


def exit_code(status: int) -> int:
    """A wait status as an exit code, 128 + N for a death by signal N (as bubblewrap)."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def parent_pid() -> int:
    """Our parent's pid as the host sees it (the host's /proc is still mounted here)."""
    with open("/proc/self/stat", "rb") as handle:
        return int(handle.read().rsplit(b")", 1)[1].split()[1])


def init(options: Options, program: bytes, launcher: int, to_launcher: int) -> int:
    """Pid 1 of the new PID namespace: build the sandbox, run the program, tell the
    launcher how it ended (``status N`` or ``error TEXT``)."""
    try:
        _prctl(PR_SET_PDEATHSIG, SIGKILL)
        if parent_pid() != launcher:
            return SETUP_FAILED  # the launcher died before we could follow it
        flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
        if options.loopback == "up":
            flags |= CLONE_NEWNET
        _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
        mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing we mount reaches the host
        build_root(options)
        set_up_host(options.loopback == "up")
    except (SetupError, OSError, ValueError) as exc:
        os.write(to_launcher, f"error {exc}".encode())
        return SETUP_FAILED
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked program
        try:
            become_program(options, program)
        except BaseException as exc:  # noqa: BLE001 - nothing may escape into the init's code
            os.write(2, f"ardoise sandbox (unshare): {exc}\n".encode())
        os._exit(SETUP_FAILED)
    status = wait_for(child)
    os.write(to_launcher, f"status {status}".encode())
    return exit_code(status)


def await_init(from_init: int) -> bytes | None:
    """What the init says once the program has ended, or None as soon as nobody reads the
    run's output any more: the backend died (whatever process forked us lives on)."""
    poller = select.poll()
    poller.register(from_init, select.POLLIN)
    for fd in (1, 2):
        poller.register(fd, 0)  # a pipe's writer gets POLLERR once its reader is gone
    message = b""
    while True:
        for fd, events in poller.poll():
            if fd == from_init:
                chunk = os.read(from_init, 4096)
                if not chunk:
                    return message
                message += chunk
            elif events & select.POLLNVAL:
                poller.unregister(fd)
            elif events & (select.POLLERR | select.POLLHUP):
                return None


def main(args: list[str]) -> int:
    """The launcher: make the PID namespace, fork its init, report, exit as the program."""
    try:
        options = Options(args)
        _prctl(PR_SET_PDEATHSIG, SIGKILL)  # the backend dies: so does the run
        _prctl(PR_SET_DUMPABLE, 0)  # our /proc entries stay root's, whatever the program does
        program = read_filter(options.seccomp_fd)
        _check(_libc.unshare(ctypes.c_int(CLONE_NEWPID)), "unshare(CLONE_NEWPID)")
        from_init, to_launcher = os.pipe()
    except (SetupError, OSError, ValueError) as exc:
        os.write(2, f"ardoise sandbox (unshare): {exc}\n".encode())
        return SETUP_FAILED
    launcher = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the namespace's init
        os.close(from_init)
        os.close(options.info_fd)
        os._exit(init(options, program, launcher, to_launcher))
    os.close(to_launcher)
    message = await_init(from_init)
    if message is None:
        return 128 + SIGKILL  # the backend is gone; the init and the run die with us
    kind, _, detail = message.decode(errors="replace").partition(" ")
    # The init is not ours to wait for: it falls to the backend, which reaps it.
    info: dict[str, int | str] = {"child-pid": pid}
    if kind == "status":
        code = exit_code(int(detail))
    elif kind == "error":
        info["error"] = f"ardoise sandbox (unshare): {detail}"
        os.write(2, f"{info['error']}\n".encode())
        code = SETUP_FAILED
    else:
        code = 128 + SIGKILL  # the init was killed before the program ended
    report(options.info_fd, info)
    return code


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))
