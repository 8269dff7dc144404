"""The process backend without bubblewrap: ``unshare`` namespaces and a root init that
drops to the slot's uid, on this machine, with the same guarantees as bubblewrap."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.backends.launchers import LaunchContext, available_launchers
from sandbox.backends.process import HOST_BINDS, UID_BASE, ProcessBackend
from sandbox.backends.seccomp_policy import filter_fd
from sandbox.backends.unshare_init import SETUP_FAILED
from sandbox.backends.unshare_launcher import INIT, Unshare
from sandbox.languages import Step
from sandbox.spec import Limits, RunResult, RunSpec, Status
from tests.sandbox.as_nobody import answer_as_nobody


def become_subreaper() -> None:
    """Orphans of our children come back to us (not to init), so we can collect them: the
    launcher on its own leaves its namespace init to whoever reaps (the spawner, in use)."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


def reap(pid: int) -> int:
    """Collect ``pid`` if it is our child; its largest resident size in kB, 0 if not ours."""
    if pid <= 0:
        return 0
    try:
        _, _, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return 0
    return usage.ru_maxrss


class HostPathsBackend(ProcessBackend):
    """A machine without a built root file system: the host's paths are bound instead."""

    def launch_root(self) -> Path | None:
        return None


def unshare_backend(backend: ProcessBackend) -> ProcessBackend:
    backend.launchers = [Unshare()]
    missing = backend.missing()
    assert not missing, f"the unshare launcher cannot run here: {missing}"
    assert backend.launcher.name == "unshare"
    return backend


@pytest.fixture(scope="module")
def backend() -> ProcessBackend:
    return unshare_backend(ProcessBackend())


@pytest.fixture(scope="module", params=["rootfs", "host paths"])
def any_view(request: pytest.FixtureRequest, backend: ProcessBackend) -> ProcessBackend:
    """The same checks with the sandbox root file system and with the host's paths."""
    if request.param == "host paths":
        return unshare_backend(HostPathsBackend())
    # The test command builds the root file system first; without it this is a failure.
    assert backend.launch_root() is not None, "no sandbox root file system is built here"
    return backend


def run(backend: ProcessBackend, language: str, files: dict[str, str | bytes],
        **options: Any) -> RunResult:
    spec = RunSpec(language=language, files=files, **options)
    spec.validate()
    return backend.run(spec)


def python(backend: ProcessBackend, source: str, **options: Any) -> RunResult:
    return run(backend, "python3", {"main.py": textwrap.dedent(source)}, **options)


def slot_uids(backend: ProcessBackend) -> range:
    return range(backend.pool.uid_base, backend.pool.uid_base + backend.pool.count)


def _status(pid: str) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return {}


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def leftovers(backend: ProcessBackend) -> list[str]:
    """What must not outlive our runs, among our descendants (other runs on this machine
    may be using the same slots meanwhile): a process of a slot uid, a zombie, or a
    launcher or init of the unshare launcher."""
    table = {pid: _status(pid) for pid in filter(str.isdigit, os.listdir("/proc"))}
    table = {pid: status for pid, status in table.items() if status}
    ours = {str(os.getpid())}
    while True:
        grown = ours | {pid for pid, status in table.items() if status["PPid"] in ours}
        if grown == ours:
            break
        ours = grown
    found = []
    for pid in ours - {str(os.getpid())}:
        status = table[pid]
        uid = int(status["Uid"].split()[0])
        if (uid in slot_uids(backend) or status["State"].startswith("Z")
                or INIT.name.encode() in _cmdline(pid)):
            found.append(f"{pid} {status['Name']} uid={uid} state={status['State']}")
    return found


# -- choosing the launcher ---------------------------------------------------------------
def test_bubblewrap_comes_first_and_unshare_after_it() -> None:
    assert [launcher.name for launcher in available_launchers()] == ["bubblewrap", "unshare"]


def test_a_machine_without_bubblewrap_runs_code_through_unshare(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("unshare", "setpriv"):  # a PATH with util-linux and no bwrap
        (tmp_path / tool).symlink_to(f"/usr/bin/{tool}")
    monkeypatch.setenv("PATH", str(tmp_path))
    backend = ProcessBackend()
    assert backend.missing() == []
    assert backend.launcher.name == "unshare"
    result = python(backend, "print(input()[::-1])\n", stdin="riot\n")
    assert (result.status, result.stdout) == (Status.OK, "toir\n")


def test_unshare_is_refused_to_a_process_that_is_not_root() -> None:
    reasons = answer_as_nobody(lambda: Unshare().missing())
    assert any("needs root" in reason for reason in reasons)


# -- running -----------------------------------------------------------------------------
ECHO = {
    "python3": ("main.py", "import sys\nname = input()\nprint('bonjour', name, *sys.argv[1:])\n"
                           "sys.exit(3)\n"),
    "c": ("main.c", "#include <stdio.h>\nint main(int c, char **v) { char n[64]; scanf(\"%63s\", n);"
                    " printf(\"bonjour %s %s\\n\", n, v[1]); return 3; }\n"),
    "java": ("Main.java", "public class Main { public static void main(String[] a) {"
                          " String n = new java.util.Scanner(System.in).next();"
                          " System.out.println(\"bonjour \" + n + \" \" + a[0]);"
                          " System.exit(3); } }\n"),
}


@pytest.mark.parametrize("language", sorted(ECHO))
def test_each_language_reads_stdin_and_arguments_and_returns_its_exit_code(
        backend: ProcessBackend, language: str) -> None:
    name, source = ECHO[language]
    result = run(backend, language, {name: source}, stdin="Zoé\n", args=("x",),
                 limits=Limits(cpu_seconds=5))
    assert result.stdout == "bonjour Zoé x\n", result
    assert result.status is Status.RUNTIME_ERROR
    assert result.exit_code == 3 and result.signal is None
    assert result.wall_ms > 0 and result.memory_kb > 0


def test_a_crash_reports_its_signal_with_default_dispositions(backend: ProcessBackend) -> None:
    crashed = run(backend, "c", {"main.c": "int main() { int *p = 0; return *p; }\n"})
    assert (crashed.status, crashed.exit_code, crashed.signal) == (Status.RUNTIME_ERROR, None, 11)
    # The init is Python, which ignores SIGPIPE: the program must not inherit that.
    piped = run(backend, "c", {"main.c": (
        "#include <signal.h>\n#include <stdio.h>\nint main() { struct sigaction a;"
        " sigaction(SIGPIPE, 0, &a); printf(\"%d\\n\", a.sa_handler == SIG_DFL); }\n")})
    assert piped.stdout == "1\n"


def test_cpu_time_wall_time_memory_and_output_limits_give_their_verdicts(
        backend: ProcessBackend) -> None:
    spin = python(backend, "while True: pass\n", limits=Limits(cpu_seconds=1))
    assert spin.status is Status.TIME_LIMIT and spin.cpu_ms >= 500  # measured, not idle
    sleeper = python(backend, "import time\ntime.sleep(30)\n",
                     limits=Limits(cpu_seconds=1, wall_seconds=1.5))
    assert sleeper.status is Status.TIME_LIMIT and 1400 <= sleeper.wall_ms < 10_000
    hog = python(backend, "x = bytearray(400 * 1024 * 1024)\nprint(len(x))\n",
                 limits=Limits(memory_mb=128))
    assert hog.status is Status.MEMORY_LIMIT and hog.stdout == ""
    flood = python(backend, "while True: print('a' * 1000)\n", limits=Limits(output_bytes=10_000))
    assert flood.status is Status.OUTPUT_LIMIT and flood.truncated
    assert len(flood.stdout) == 10_000


def test_the_process_limit_is_the_programs_own(backend: ProcessBackend) -> None:
    """unshare and the init are root: the slot uid's RLIMIT_NPROC leaves them out."""
    result = python(backend, """\
        import os, resource
        print(resource.getrlimit(resource.RLIMIT_NPROC)[0])
        """, limits=Limits(processes=5))
    assert result.stdout == "5\n"


CONFINEMENT = """\
    import json, os, socket
    status = {k: v.strip() for k, v in (l.split(':', 1) for l in open('/proc/self/status'))}
    def attempt(action):
        try:
            action()
            return 'done'
        except OSError as e:
            return e.errno
    print(json.dumps({
        'ids': [os.getresuid(), os.getresgid(), os.getgroups()],
        'caps': [int(status[k], 16) for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')],
        'seccomp': status['Seccomp'], 'nnp': status['NoNewPrivs'],
        'pid': os.getpid(), 'ppid': os.getppid(), 'host': socket.gethostname(),
        'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
        'root': sorted(os.listdir('/')), 'cwd': os.getcwd(),
        'usr_write': attempt(lambda: open('/usr/trace', 'w')),
        'root_write': attempt(lambda: open('/trace', 'w')),
        'dev_write': attempt(lambda: open('/dev/trace', 'w')),
        'tmp_is_work': attempt(lambda: open('/tmp/t', 'w').close()) == 'done' and os.path.exists('/work/t'),
        'null': attempt(lambda: open('/dev/null', 'w').write('x')),
        'urandom': len(open('/dev/urandom', 'rb').read(8)),
        'hidden': [p for p in ('/work/main/pyproject.toml', '/run/ardoise-sandbox', '/oldroot',
                               '/newroot', '/root/.cache', '/sys/class') if os.path.exists(p)],
        'init': [attempt(lambda: os.listdir('/proc/1/root')), attempt(lambda: os.readlink('/proc/1/exe')),
                 attempt(lambda: open('/proc/1/environ').read())],
        'interfaces': sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]),
    }))
    """


def test_the_program_is_the_slots_uid_with_nothing_of_root_or_the_host(
        any_view: ProcessBackend) -> None:
    result = python(any_view, CONFINEMENT)
    assert result.status is Status.OK, result
    seen = json.loads(result.stdout)
    (uid, euid, suid), gids, groups = seen["ids"]
    assert UID_BASE <= uid == euid == suid < UID_BASE + any_view.pool.count
    assert gids == [uid, uid, uid] and groups == []
    assert seen["caps"] == [0, 0, 0, 0, 0]  # bounding set too: no way back to any capability
    assert (seen["seccomp"], seen["nnp"]) == ("2", "1")
    assert (seen["pid"], seen["ppid"], seen["host"]) == (2, 1, "sandbox")
    assert max(seen["pids"]) <= 3  # a fresh PID namespace: no host process is visible
    assert {"usr", "work", "tmp", "proc", "dev"} <= set(seen["root"]) and seen["cwd"] == "/work"
    assert seen["usr_write"] == seen["root_write"] == seen["dev_write"] == 30  # EROFS
    assert seen["tmp_is_work"] is True
    assert (seen["null"], seen["urandom"]) == ("done", 8)
    assert seen["hidden"] == []
    assert seen["init"] == [13, 13, 13]  # EACCES: the root init is out of the program's reach
    assert seen["interfaces"] == ["lo"]


def test_host_services_are_out_of_reach(backend: ProcessBackend) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = python(backend, f"""\
            import socket
            for port in ({port}, 6379):
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=2)
                    print('connected')
                except OSError as e:
                    print(type(e).__name__)
            """)
    assert result.stdout.split() == ["ConnectionRefusedError"] * 2, result


def test_collected_outputs_come_back_only_as_regular_files(backend: ProcessBackend) -> None:
    result = python(backend, """\
        import os
        open('out.txt', 'w').write('résultat')
        os.symlink('/etc/passwd', 'link.txt')
        os.mkfifo('pipe.txt')
        open('big.txt', 'wb').write(b'x' * 5000)
        """, collect=("out.txt", "link.txt", "pipe.txt", "big.txt", "absent.txt"),
        limits=Limits(file_size_bytes=4096))
    assert sorted(result.files) == ["big.txt", "out.txt"]
    assert result.files["out.txt"] == "résultat".encode()
    assert result.files["big.txt"] == b"x" * 4096


def test_a_double_forked_sleeper_does_not_survive_its_run(backend: ProcessBackend) -> None:
    result = python(backend, """\
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        print('ok')
        """)
    assert result.stdout == "ok\n"
    assert leftovers(backend) == []


def test_a_child_spinning_after_main_exits_is_killed_with_the_namespace(
        backend: ProcessBackend) -> None:
    started = time.monotonic()
    result = python(backend, """\
        import os
        if os.fork() == 0:
            while True:
                pass
        print('ok')
        """, limits=Limits(cpu_seconds=5))
    assert result.stdout == "ok\n" and time.monotonic() - started < 5
    assert leftovers(backend) == []


def test_many_runs_leave_no_zombie_and_no_process(backend: ProcessBackend) -> None:
    for number in range(200):
        result = python(backend, "import os\nif os.fork():\n    print('ok')\n")
        assert result.stdout == "ok\n", (number, result)
    assert leftovers(backend) == []


WORKER = """\
import sys
from sandbox.backends.process import ProcessBackend
from sandbox.backends.unshare_launcher import INIT, Unshare
from sandbox.spec import Limits, RunSpec
from tests.sandbox.as_nobody import answer_as_nobody
backend = ProcessBackend()
backend.launchers = [Unshare()]
assert not backend.missing(), backend.missing()
print('ready', flush=True)
backend.run(RunSpec(language='python3', files={'main.py': 'import time\\ntime.sleep(120)\\n'},
                    args=(sys.argv[1],), limits=Limits(cpu_seconds=60, wall_seconds=120)))
"""


def _with_marker(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if marker.encode() in handle.read().split(b"\0"):
                    found.append(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def test_a_run_dies_with_its_worker() -> None:
    marker = f"ardoise-orphan-{os.getpid()}-{time.monotonic_ns()}"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, marker], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert worker.stdout is not None and worker.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + 30
        while len(_with_marker(marker)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # unshare, the init and the program carry the marker
        assert len(_with_marker(marker)) >= 3
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + 10
    while _with_marker(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _with_marker(marker) == []
    # The worker's orphans came to us (the backend made this process a subreaper).
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


# -- the launcher on its own -------------------------------------------------------------
@pytest.fixture
def slot(backend: ProcessBackend) -> Iterator[Any]:
    """A slot taken from the backend's pool (so no concurrent run shares its uid); we
    collect what the launcher leaves, as the backend does."""
    become_subreaper()
    taken = backend.pool.acquire()
    try:
        taken.mount_work(1 << 20)
        yield taken
    finally:
        taken.unmount_work()
        backend.pool.release(taken)


def launch(slot: Any, argv: list[str], **context: Any) -> tuple[
        subprocess.CompletedProcess[bytes], dict[str, Any], int]:
    """Run one command through the launcher as the backend does, minus limits: the
    command's outcome, what it wrote on the info descriptor, and the largest resident size
    reported by the namespace's init, which is left to us (a subreaper) to collect."""
    seccomp = filter_fd()
    info_read, info_write = os.pipe()
    options: dict[str, Any] = {"root": None, "host_binds": HOST_BINDS,
                               "env": {"PATH": "/usr/bin:/bin"}, **context}
    ctx = LaunchContext(step=Step(argv), uid=slot.uid, work=slot.work, seccomp_fd=seccomp,
                        info_fd=info_write, **options)
    try:
        done = subprocess.run(Unshare().command(ctx), capture_output=True, timeout=60,
                              pass_fds=(seccomp, info_write), stdin=subprocess.DEVNULL)
    finally:
        os.close(seccomp)
        os.close(info_write)
    with os.fdopen(info_read, "rb") as info_file:
        info = json.loads(info_file.read() or b"{}")
    return done, info, reap(info.get("child-pid", -1))


def test_without_the_slots_namespace_the_run_gets_an_empty_one(
        backend: ProcessBackend, slot: Any) -> None:
    done, _, _ = launch(slot, ["/bin/cat", "/proc/net/dev"], network_ready=False)
    assert done.returncode == 0, done
    interfaces = [line.split(b":")[0].strip() for line in done.stdout.splitlines()[2:]]
    assert interfaces == [b"lo"]
    assert leftovers(backend) == []


def test_the_init_is_left_to_the_backend_with_the_programs_usage(
        backend: ProcessBackend, slot: Any) -> None:
    """As bubblewrap's: the command exits with the program's status and does not wait for
    the namespace's init, so the backend collects it, and with it the program's usage."""
    done, info, rss_kb = launch(slot, ["/usr/bin/python3", "-c", "x = bytearray(60 << 20)"])
    assert done.returncode == 0, done
    assert info["child-pid"] > 1 and rss_kb >= 60 * 1024
    assert leftovers(backend) == []


def test_a_killed_program_exits_like_bubblewrap(slot: Any) -> None:
    done, _, _ = launch(slot, ["/bin/sh", "-c", "kill -SEGV $$"])
    assert done.returncode == 128 + 11


def test_a_setup_failure_says_why_and_runs_nothing(backend: ProcessBackend, slot: Any) -> None:
    done, info, _ = launch(slot, ["/bin/true"], root=Path("/nonexistent-ardoise-root"))
    assert done.returncode == SETUP_FAILED
    assert b"/nonexistent-ardoise-root" in done.stderr
    assert "nonexistent" in info["error"]
    assert leftovers(backend) == []
