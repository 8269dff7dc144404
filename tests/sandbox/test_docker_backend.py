"""The ``docker`` backend against the real engine and image: a missing engine fails, never skips."""

from __future__ import annotations

import ast
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import pytest

import sandbox
from sandbox.backends.docker import DockerBackend, DockerWorkspace
from sandbox.backends.docker_pool import LABEL, OWNER_LABEL, owner_identity, reap_stale
from sandbox.images import STUDENT_UID
from sandbox.languages import Step
from sandbox.spec import Limits, RunResult, RunSpec, Status

#: Prints the id of the container it runs in: Docker's bind of /etc/hostname names it.
CONTAINER_ID = ("import re\nprint(re.search(r'[0-9a-f]{64}', open('/proc/self/mountinfo')"
                ".read()).group(0), flush=True)\n")


@pytest.fixture(scope="session")
def backend() -> Iterator[DockerBackend]:
    """One backend (and pool) for the module: container starts are slow."""
    backend = DockerBackend(pool_size=2)
    missing = backend.missing()
    assert not missing, f"the docker backend cannot run here: {missing}"
    backend.prewarm()
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def client(backend: DockerBackend) -> docker.DockerClient:
    return backend.client()


def run(backend: DockerBackend, language: str, files: dict[str, str],
        **options: Any) -> RunResult:
    spec = RunSpec(language=language, files=files, **options)
    spec.validate()
    return backend.run(spec)


def container_of(result: RunResult) -> str:
    match = re.search(r"[0-9a-f]{64}", result.stdout)
    assert match, result
    return match.group(0)


def removed(client: docker.DockerClient, container_id: str, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            client.containers.get(container_id)
        except docker.errors.NotFound:
            return True
        time.sleep(0.1)
    return False


# -- correct programs -------------------------------------------------------------------------

ECHO_PROGRAMS = {
    "python3": {"main.py": "import sys\nname = input()\nprint('hello', name, *sys.argv[1:])\n"
                           "sys.exit(3)\n"},
    "c": {"main.c": '#include <stdio.h>\nint main(int argc, char **argv) {\n'
                    '  char name[64]; scanf("%63s", name); printf("hello %s", name);\n'
                    '  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);\n'
                    '  printf("\\n"); return 3;\n}\n'},
    "cpp": {"main.cpp": '#include <iostream>\n#include <string>\n'
                        'int main(int argc, char **argv) {\n'
                        '  std::string name; std::cin >> name; std::cout << "hello " << name;\n'
                        '  for (int i = 1; i < argc; i++) std::cout << " " << argv[i];\n'
                        '  std::cout << std::endl; return 3;\n}\n'},
    "java": {"Main.java": 'import java.util.Scanner;\npublic class Main {\n'
                          '  public static void main(String[] args) {\n'
                          '    String name = new Scanner(System.in).next();\n'
                          '    StringBuilder out = new StringBuilder("hello " + name);\n'
                          '    for (String a : args) out.append(" ").append(a);\n'
                          '    System.out.println(out); System.exit(3);\n  }\n}\n'},
    "javascript": {"main.js": "const name = require('fs').readFileSync(0, 'utf8').trim();\n"
                              "console.log(['hello', name, ...process.argv.slice(2)].join(' '));\n"
                              "process.exitCode = 3;\n"},
}


@pytest.mark.parametrize("language", sorted(ECHO_PROGRAMS))
def test_a_correct_program_reads_stdin_and_arguments(backend: DockerBackend,
                                                     language: str) -> None:
    result = run(backend, language, ECHO_PROGRAMS[language], stdin="Ada\n", args=("x", "y z"))
    assert result.stdout == "hello Ada x y z\n", result
    assert result.exit_code == 3 and result.signal is None
    assert result.status is Status.RUNTIME_ERROR  # a non-zero exit is the program's failure
    assert result.wall_ms > 0 and result.memory_kb > 0


def test_a_clean_exit_is_ok_and_runs_as_the_student(backend: DockerBackend) -> None:
    result = run(backend, "python3", {"main.py": "import os\nprint(os.getuid(), os.getgid(), "
                                                 "os.getcwd(), sorted(os.listdir('.')))\n"})
    assert result.status is Status.OK, result
    assert result.stdout == f"{STUDENT_UID} {STUDENT_UID} /work ['main.py']\n"


def test_the_registry_runs_the_docker_backend() -> None:
    result = sandbox.run(RunSpec(language="python3", files={"main.py": "print(6 * 7)\n"}),
                         backend="docker")
    assert (result.status, result.stdout) == (Status.OK, "42\n"), result


def test_output_files_are_collected(backend: DockerBackend) -> None:
    result = run(backend, "python3", {"main.py": "open('out.txt', 'w').write('done')\n"
                                                 "import os; os.symlink('/etc/passwd', 'link')\n"},
                 collect=("out.txt", "link", "absent"))
    assert result.status is Status.OK, result
    assert dict(result.files) == {"out.txt": b"done"}


# -- failures -----------------------------------------------------------------------------------

def test_a_compile_error_carries_the_compiler_message(backend: DockerBackend) -> None:
    result = run(backend, "c", {"main.c": "int main(void) { return missing; }\n"})
    assert result.status is Status.COMPILE_ERROR, result
    assert "missing" in result.compile_output and "error" in result.compile_output
    java = run(backend, "java", {"Main.java": "public class Main { void f() { int x = ; } }\n"})
    assert java.status is Status.COMPILE_ERROR and "error" in java.compile_output, java


def test_a_runtime_error_is_reported(backend: DockerBackend) -> None:
    result = run(backend, "python3", {"main.py": "raise ValueError('boom')\n"})
    assert result.status is Status.RUNTIME_ERROR and result.exit_code == 1
    assert "ValueError: boom" in result.stderr
    crash = run(backend, "c", {"main.c": "int main(void) { return *(volatile int *)0; }\n"})
    assert crash.status is Status.RUNTIME_ERROR and crash.signal == 11, crash
    assert crash.exit_code is None


def test_an_infinite_loop_hits_the_time_limit_and_its_container_goes(
        backend: DockerBackend, client: docker.DockerClient) -> None:
    result = run(backend, "python3", {"main.py": CONTAINER_ID + "while True: pass\n"},
                 limits=Limits(cpu_seconds=1))
    assert result.status is Status.TIME_LIMIT and result.exit_code is None, result
    assert removed(client, container_of(result))
    sleeper = run(backend, "python3", {"main.py": "import time\ntime.sleep(60)\n"},
                  limits=Limits(cpu_seconds=1, wall_seconds=1.5))
    assert sleeper.status is Status.TIME_LIMIT and sleeper.wall_ms >= 1500, sleeper
    assert sleeper.cpu_ms < 1000  # the wall limit, not the CPU one, ended it


def test_a_memory_bomb_hits_the_memory_limit(backend: DockerBackend,
                                             client: docker.DockerClient) -> None:
    result = run(backend, "python3", {"main.py": CONTAINER_ID + "blocks = []\nwhile True:\n"
                                                 "    blocks.append(bytearray(8 << 20))\n"},
                 limits=Limits(memory_mb=64))
    assert result.status is Status.MEMORY_LIMIT, result
    assert result.signal == 9
    assert removed(client, container_of(result))


def test_an_output_flood_is_cut_at_the_limit(backend: DockerBackend) -> None:
    limits = Limits(output_bytes=10_000)
    result = run(backend, "python3", {"main.py": "while True: print('x' * 999)\n"}, limits=limits)
    assert result.status is Status.OUTPUT_LIMIT and result.truncated, result
    assert len(result.stdout) == 10_000


def test_a_background_process_is_killed_and_the_container_replaced(
        backend: DockerBackend, client: docker.DockerClient) -> None:
    spec = RunSpec(language="python3", files={"main.py": "import os, time\nif os.fork() == 0:\n"
                                                         "    time.sleep(60)\n"})
    limits = Limits()
    with backend.workspace(spec) as workspace:
        workspace.write_inputs(spec.file_bytes())
        outcome = workspace.execute(Step(["/usr/bin/python3", "main.py"]), limits, b"")
        assert outcome.exit_code == 0 and outcome.left_processes, outcome
        check = "import os\nprint(sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
        workspace.write_inputs({"check.py": check.encode()})
        listed = workspace.execute(Step(["/usr/bin/python3", "check.py"]), limits, b"")
        pids = ast.literal_eval(listed.stdout.decode())
        assert len(pids) == 2 and "1" in pids, pids  # the runner and the check itself
        workspace.write_inputs({"id.py": CONTAINER_ID.encode()})
        container_id = workspace.execute(Step(["/usr/bin/python3", "id.py"]), limits,
                                         b"").stdout.decode().strip()
        assert isinstance(workspace, DockerWorkspace) and workspace.recycle
    assert removed(client, container_id)


def test_the_work_directory_is_empty_at_the_next_run(backend: DockerBackend) -> None:
    first = run(backend, "python3", {"main.py": CONTAINER_ID
                                     + "import os\nopen('secret.txt', 'w').write('x')\n"
                                     "os.makedirs('d/e'); os.chmod('d', 0)\n"
                                     "open('/tmp/secret', 'w').write('x')\n"})
    assert first.status is Status.OK, first
    look = CONTAINER_ID + "import os\nprint(os.listdir('.'), os.listdir('/tmp'))\n"
    for _ in range(8):  # until the same container serves again
        later = run(backend, "python3", {"main.py": look})
        if container_of(later) == container_of(first):
            assert later.stdout.splitlines()[1] == "['main.py'] []", later
            return
    pytest.fail("the container of the first run never served again")


# -- confinement ------------------------------------------------------------------------------

def test_the_containers_are_locked_down(backend: DockerBackend,
                                        client: docker.DockerClient) -> None:
    mine = [c for c in client.containers.list(filters={"label": f"{LABEL}=1"},
                                                  ignore_removed=True)
            if c.labels.get(OWNER_LABEL) == owner_identity()]
    assert mine
    for container in mine:
        host = container.attrs["HostConfig"]
        assert host["Privileged"] is False and host["ReadonlyRootfs"] is True
        assert host["NetworkMode"] == "none" and host["IpcMode"] == "none"
        assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == ["SETGID", "SETUID"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert not host.get("Binds") and not host.get("Mounts") and not container.attrs["Mounts"]
        assert set(host["Tmpfs"]) == {"/work", "/tmp"}
        assert host["PidsLimit"] > 0 and host["Memory"] > 0
        assert host["MemorySwap"] == host["Memory"] and host["NanoCpus"] == 10**9
        assert not host.get("Init") and host["AutoRemove"] is True
        assert "docker.sock" not in str(container.attrs)
        assert container.attrs["Config"]["User"] == "0:0"


def test_the_student_cannot_reach_the_runner(backend: DockerBackend) -> None:
    probe = ("import os, signal\n"
             "for attempt in (lambda: os.kill(1, signal.SIGKILL),\n"
             "                lambda: open('/proc/1/environ', 'rb').read(),\n"
             "                lambda: open('/proc/1/mem', 'rb').read(1),\n"
             "                lambda: os.listdir('/proc/1/fd')):\n"
             "    try:\n"
             "        attempt()\n"
             "        print('allowed')\n"
             "    except PermissionError:\n"
             "        print('denied')\n")
    result = run(backend, "python3", {"main.py": probe})
    assert result.stdout.split() == ["denied"] * 4, result
    again = run(backend, "python3", {"main.py": "print('still here')\n"})
    assert again.stdout == "still here\n"


def test_no_network_no_capability_and_no_io_uring(backend: DockerBackend) -> None:
    probe = ("import ctypes, socket\n"
             "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
             "try:\n"
             "    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
             "    print('connected')\n"
             "except OSError:\n"
             "    print('no-network')\n"
             "libc = ctypes.CDLL(None, use_errno=True)\n"
             "params = ctypes.create_string_buffer(120)\n"
             "print(libc.syscall(425, 4, params), ctypes.get_errno())\n")
    result = run(backend, "python3", {"main.py": probe})
    assert result.stdout.split() == ["0000000000000000", "no-network", "-1", "1"], result


def test_two_concurrent_runs_use_two_containers(backend: DockerBackend) -> None:
    results: list[RunResult] = []
    program = {"main.py": CONTAINER_ID + "import time\ntime.sleep(1)\n"}
    threads = [threading.Thread(target=lambda: results.append(run(backend, "python3", program)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == [Status.OK, Status.OK], results
    assert container_of(results[0]) != container_of(results[1])


# -- the engine ---------------------------------------------------------------------------------

def test_missing_names_an_unreachable_engine_and_an_absent_image() -> None:
    unreachable = DockerBackend(client=docker.DockerClient(base_url="unix:///nonexistent.sock",
                                                           version="1.41"))
    assert any("unreachable" in reason for reason in unreachable.missing())
    absent = DockerBackend(image="ardoise-sandbox:absent")
    assert any("ardoise sandbox images build" in reason for reason in absent.missing())


def test_containers_of_a_dead_worker_are_reaped(backend: DockerBackend,
                                                client: docker.DockerClient) -> None:
    stale = client.containers.create(
        backend.image, ["/usr/bin/python3", "-c", "pass"], network_mode="none",
        labels={LABEL: "1", OWNER_LABEL: f"{socket.gethostname()}:99999999:0"})
    try:
        assert reap_stale(client) >= 1
        assert removed(client, stale.id, within=5)
    finally:
        try:
            stale.remove(force=True)
        except docker.errors.NotFound:
            pass
