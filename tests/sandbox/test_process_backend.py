"""The ``process`` backend on this machine: real namespaces, cgroups, seccomp and uids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from sandbox.backends.process import UID_BASE, ProcessBackend
from sandbox.languages.java import heap_mb
from sandbox.spec import Limits, RunResult, RunSpec, Status
from tests.sandbox.as_nobody import answer_as_nobody


@pytest.fixture(scope="module")
def backend() -> ProcessBackend:
    backend = ProcessBackend()
    missing = backend.missing()
    assert not missing, f"the process backend cannot run here: {missing}"
    return backend


def run(backend: ProcessBackend, language: str, files: dict[str, str | bytes],
        **options: Any) -> RunResult:
    spec = RunSpec(language=language, files=files, **options)
    spec.validate()
    return backend.run(spec)


ECHO = {
    "python3": ("main.py", "import sys\nname = input()\nprint('bonjour', name, *sys.argv[1:])\n"
                           "sys.exit(3)\n"),
    "c": ("main.c", "#include <stdio.h>\nint main(int c, char **v) { char n[64]; scanf(\"%63s\", n);"
                    " printf(\"bonjour %s %s\\n\", n, v[1]); return 3; }\n"),
    "cpp": ("main.cpp", "#include <iostream>\n#include <string>\nint main(int c, char **v) {"
                        " std::string n; std::cin >> n; std::cout << \"bonjour \" << n << ' '"
                        " << v[1] << std::endl; return 3; }\n"),
    "java": ("Main.java", "public class Main { public static void main(String[] a) {"
                          " String n = new java.util.Scanner(System.in).next();"
                          " System.out.println(\"bonjour \" + n + \" \" + a[0]);"
                          " System.exit(3); } }\n"),
    "javascript": ("main.js", "const n = require('fs').readFileSync(0, 'utf8').trim();\n"
                              "console.log('bonjour ' + n + ' ' + process.argv[2]);\n"
                              "process.exitCode = 3;\n"),
}


@pytest.mark.parametrize("language", sorted(ECHO))
def test_each_language_reads_stdin_and_arguments_and_returns_its_exit_code(
        backend: ProcessBackend, language: str) -> None:
    name, source = ECHO[language]
    result = run(backend, language, {name: source}, stdin="Zoé\n", args=("x",),
                 limits=Limits(cpu_seconds=5))
    assert result.stdout == "bonjour Zoé x\n", result
    assert result.status is Status.RUNTIME_ERROR  # a non-zero exit is a runtime error
    assert result.exit_code == 3 and result.signal is None
    assert result.wall_ms > 0 and result.memory_kb > 0


@pytest.mark.parametrize(("language", "name", "source", "message"), [
    ("c", "main.c", "int main() { return undefined_name; }\n", "undefined_name"),
    ("cpp", "main.cpp", "int main() { std::vector<int> v; }\n", "vector"),
    ("java", "Main.java", "public class Main { void f() { int x = \"s\"; } }\n",
     "incompatible types"),
])
def test_compile_errors_come_back_with_the_compilers_words(
        backend: ProcessBackend, language: str, name: str, source: str, message: str) -> None:
    result = run(backend, language, {name: source})
    assert result.status is Status.COMPILE_ERROR
    assert message in result.compile_output
    assert result.stdout == ""


def test_a_program_in_several_files_compiles_together(backend: ProcessBackend) -> None:
    result = run(backend, "c", {
        "main.c": '#include "lib.h"\n#include <stdio.h>\nint main() { printf("%d\\n", twice(21)); }\n',
        "lib.h": "int twice(int);\n",
        "lib.c": "int twice(int x) { return 2 * x; }\n"})
    assert (result.status, result.stdout) == (Status.OK, "42\n")


def test_runtime_errors_report_the_exit_code_or_the_signal(backend: ProcessBackend) -> None:
    raised = run(backend, "python3", {"main.py": "raise ValueError('non')\n"})
    assert raised.status is Status.RUNTIME_ERROR and raised.exit_code == 1
    assert "ValueError: non" in raised.stderr
    crashed = run(backend, "c", {"main.c": "int main() { int *p = 0; return *p; }\n"})
    assert crashed.status is Status.RUNTIME_ERROR
    assert (crashed.exit_code, crashed.signal) == (None, 11)


def test_cpu_time_wall_time_memory_and_output_limits_give_their_verdicts(
        backend: ProcessBackend) -> None:
    spin = run(backend, "python3", {"main.py": "while True: pass\n"},
               limits=Limits(cpu_seconds=1))
    assert spin.status is Status.TIME_LIMIT and spin.cpu_ms >= 500  # measured, not idle
    sleeper = run(backend, "python3", {"main.py": "import time\ntime.sleep(30)\n"},
                  limits=Limits(cpu_seconds=1, wall_seconds=1.5))
    assert sleeper.status is Status.TIME_LIMIT and 1400 <= sleeper.wall_ms < 10_000
    assert sleeper.cpu_ms < 900
    hog = run(backend, "python3", {"main.py": "x = bytearray(400 * 1024 * 1024)\nprint(len(x))\n"},
              limits=Limits(memory_mb=128))
    assert hog.status is Status.MEMORY_LIMIT and hog.stdout == ""
    flood = run(backend, "python3", {"main.py": "while True: print('a' * 1000)\n"},
                limits=Limits(output_bytes=10_000))
    assert flood.status is Status.OUTPUT_LIMIT and flood.truncated
    assert len(flood.stdout) == 10_000


def test_measurements_follow_what_the_program_did(backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import time\nx = bytearray(80 * 1024 * 1024)\nend = time.process_time() + 0.4\n"
        "while time.process_time() < end: pass\n")})
    assert result.status is Status.OK
    assert result.cpu_ms >= 350
    assert result.memory_kb >= 80 * 1024
    assert result.wall_ms >= result.cpu_ms - 50


def test_managed_runtimes_get_memory_flags_from_the_limit(backend: ProcessBackend) -> None:
    java = run(backend, "java", {"Main.java": (
        "public class Main { public static void main(String[] a) {"
        " System.out.println(Runtime.getRuntime().maxMemory() / (1024 * 1024)); } }\n")},
        limits=Limits(memory_mb=200, cpu_seconds=5))
    assert java.status is Status.OK, java
    assert abs(int(java.stdout) - heap_mb(200)) <= heap_mb(200) * 0.1
    node = run(backend, "javascript", {"main.js": (
        "console.log(Math.round(require('v8').getHeapStatistics().heap_size_limit / 1048576));\n")},
        limits=Limits(memory_mb=200))
    assert node.status is Status.OK
    assert 150 <= int(node.stdout) <= 220


def test_the_program_runs_as_its_slots_uid_never_as_root(backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import os, json\nprint(json.dumps({'uid': os.getuid(), 'euid': os.geteuid(),"
        " 'usr_owner': os.stat('/usr').st_uid,"
        " 'seccomp': [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')][0],"
        " 'nnp': [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs:')][0],"
        " 'caps': [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff:')][0],"
        " 'pid': os.getpid(), 'root': sorted(os.listdir('/'))}))\n")})
    seen = json.loads(result.stdout)
    assert UID_BASE <= seen["uid"] == seen["euid"] < UID_BASE + backend.pool.count
    # Host root is mapped nowhere in the sandbox's user namespaces: its files show as the
    # overflow uid, so a root-owned file is never the sandbox user's own.
    assert seen["usr_owner"] == 65534
    assert seen["seccomp"] == "2" and seen["nnp"] == "1"
    assert int(seen["caps"], 16) == 0
    assert seen["pid"] <= 3  # a fresh PID namespace
    assert "work" in seen["root"]


def test_the_root_is_read_only_and_the_work_dir_starts_empty_each_run(
        backend: ProcessBackend) -> None:
    first = run(backend, "python3", {"main.py": (
        "import os\nopen('trace.txt', 'w').write('run one')\n"
        "for path in ('/usr/trace', '/trace', '/dev/trace', '/dev/shm/trace'):\n"
        "    try:\n        open(path, 'w')\n    except OSError as e:\n        print(e.errno)\n"
        "print(sorted(os.listdir('.')))\n")})
    assert first.stdout.splitlines() == ["30"] * 4 + ["['main.py', 'trace.txt']"]  # EROFS
    second = run(backend, "python3", {"main.py": "import os\nprint(sorted(os.listdir('.')))\n"})
    assert second.stdout == "['main.py']\n"


def test_collected_outputs_come_back_only_as_regular_files(backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import os\nopen('out.txt', 'w').write('résultat')\n"
        "os.symlink('/etc/passwd', 'link.txt')\nos.mkfifo('pipe.txt')\n"
        "open('big.txt', 'wb').write(b'x' * 5000)\n")},
        collect=("out.txt", "link.txt", "pipe.txt", "big.txt", "absent.txt"),
        limits=Limits(file_size_bytes=4096))
    assert sorted(result.files) == ["big.txt", "out.txt"]
    assert result.files["out.txt"] == "résultat".encode()
    assert result.files["big.txt"] == b"x" * 4096  # the file-size limit stopped the write


def test_concurrent_runs_get_different_uids(backend: ProcessBackend) -> None:
    results: list[RunResult] = []
    program = {"main.py": "import os, time\ntime.sleep(0.5)\nprint(os.getuid())\n"}
    threads = [threading.Thread(target=lambda: results.append(run(backend, "python3", program)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.stdout for r in results}) == 3, results


def test_no_process_of_a_slot_survives_its_run(backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(60)\n    os._exit(0)\nprint(os.getuid())\n")})
    uid = int(result.stdout)
    survivors = [p for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid]
    assert survivors == []


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


def test_a_machine_without_a_primitive_is_refused_with_its_name() -> None:
    taken = ProcessBackend(uid_base=65534)  # nobody's uid
    assert any("nobody" in reason for reason in taken.missing())
    reasons = answer_as_nobody(lambda: ProcessBackend().missing())
    assert any("root is needed" in reason for reason in reasons)


def test_no_new_namespace_can_be_made_inside(backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "for flag in (0x10000000, 0x20000000, 0x40000000, 0x00020000):\n"
        "    print(libc.unshare(flag), ctypes.get_errno())\n"
        "print(os.system('unshare -U true 2>/dev/null') != 0)\n")})
    assert result.stdout.splitlines() == ["-1 1"] * 4 + ["True"], result


def test_the_network_is_an_empty_namespace_with_its_own_loopback(
        backend: ProcessBackend) -> None:
    result = run(backend, "python3", {"main.py": (
        "import socket\nfor port in (6379, 5432):\n"
        "    s = socket.socket()\n    s.settimeout(1)\n"
        "    print(s.connect_ex(('127.0.0.1', port)))\n"
        "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))\n"
        "server = socket.socket()\nserver.bind(('127.0.0.1', 0))\nserver.listen()\n"
        "client = socket.create_connection(server.getsockname())\nprint('loopback ok')\n")})
    refused = "111"
    assert result.stdout.splitlines() == [refused, refused, "['lo']", "loopback ok"], result


def test_a_managed_heap_running_out_is_a_memory_limit(backend: ProcessBackend) -> None:
    java = run(backend, "java", {"Main.java": (
        "import java.util.*;\npublic class Main { public static void main(String[] a) {"
        " List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]); } }\n")},
        limits=Limits(memory_mb=128, cpu_seconds=5))
    assert java.status is Status.MEMORY_LIMIT, java
    node = run(backend, "javascript", {"main.js": (
        "const a = []; while (true) a.push(new Array(1e6).fill(1.5));\n")},
        limits=Limits(memory_mb=128, cpu_seconds=5))
    assert node.status is Status.MEMORY_LIMIT, node
    caught = run(backend, "java", {"Main.java": (
        "public class Main { public static void main(String[] a) {"
        " try { long[] x = new long[1 << 30]; } catch (OutOfMemoryError e) {"
        " System.out.println(\"recovered\"); } } }\n")},
        limits=Limits(memory_mb=128, cpu_seconds=5))
    assert (caught.status, caught.stdout) == (Status.OK, "recovered\n")


WORKER = """
import sys
from sandbox.backends.process import ProcessBackend
from sandbox.spec import Limits, RunSpec
backend = ProcessBackend()
assert not backend.missing()
backend.run(RunSpec(language="python3", files={"main.py": (
    "import os, time\\nif os.fork() == 0:\\n    time.sleep(60)\\n"
    "print(os.getuid(), flush=True)\\ntime.sleep(60)\\n")},
    limits=Limits(cpu_seconds=30, wall_seconds=90)))
"""


def test_a_run_ends_with_the_worker_that_started_it() -> None:
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=os.getcwd())
    try:
        deadline = time.monotonic() + 30
        running: list[str] = []
        while not running and time.monotonic() < deadline:
            time.sleep(0.2)
            running = [p for p in os.listdir("/proc") if p.isdigit() and _is_run_of(p, worker.pid)]
        assert running, "the run never started"
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + 10
    while running and time.monotonic() < deadline:
        time.sleep(0.2)
        running = [p for p in running if _owner(p) is not None and not _zombie(p)]
    assert running == []


def _is_run_of(pid: str, worker: int) -> bool:
    """A process of a slot uid that descends from ``worker`` (through its spawner)."""
    owner = _owner(pid)
    if owner is None or not UID_BASE <= owner < UID_BASE + 1000:
        return False
    current = pid
    for _ in range(20):
        try:
            with open(f"/proc/{current}/stat") as handle:
                parent = handle.read().rsplit(")", 1)[1].split()[1]
        except FileNotFoundError:
            return False
        if int(parent) == worker:
            return True
        if parent in ("0", "1"):
            return False
        current = parent
    return False


def _zombie(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_without_cgroups_rlimits_still_bound_memory_and_time() -> None:
    backend = ProcessBackend()
    backend._cgroups = None  # what a machine without memory and CPU controllers gives
    assert not backend.missing()
    hog = run(backend, "python3", {"main.py": "x = bytearray(600 * 1024 * 1024)\nprint(1)\n"},
              limits=Limits(memory_mb=128))
    assert hog.status is Status.MEMORY_LIMIT and hog.stdout == "", hog
    spin = run(backend, "python3", {"main.py": "while True: pass\n"},
               limits=Limits(cpu_seconds=1))
    assert spin.status is Status.TIME_LIMIT and spin.cpu_ms >= 500, spin  # measured, not idle
    fine = run(backend, "java", {"Main.java": (
        "public class Main { public static void main(String[] a) {"
        " System.out.println(new long[1 << 20].length); } }\n")},
        limits=Limits(memory_mb=128, cpu_seconds=5))
    assert (fine.status, fine.stdout) == (Status.OK, "1048576\n"), fine


def test_without_a_root_file_system_the_host_paths_are_shown_read_only() -> None:
    backend = ProcessBackend(host_paths=True)
    assert not backend.missing()
    result = run(backend, "python3", {"main.py": (
        "import os\nfor path in ('/trace', '/etc/trace', '/usr/trace', '/dev/trace'):\n"
        "    try:\n        open(path, 'w')\n        print(path, 'written')\n"
        "    except OSError as e:\n        print(e.errno)\n"
        "print(sorted(os.listdir('/')))\nprint(os.path.exists('/work/main.py'))\n"
        "print(os.path.exists('/root'), os.path.exists('/etc/shadow'))\n")})
    lines = result.stdout.splitlines()
    assert all(line in ("30", "2") for line in lines[:4]), result  # read-only or absent
    assert "home" not in lines[4] and "root" not in lines[4], lines[4]
    assert lines[5:] == ["True", "False False"], result
