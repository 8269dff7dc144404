"""What the host looks like around a hostile run, and the proof that the run changed none of it.

A :class:`HostGuard` plants secrets where a program must not read them (canary files), opens
listeners a program must not reach (TCP and UDP on every host address, a unix socket in
/tmp, an abstract unix socket), and afterwards checks that canaries are intact, no secret came
back, no file named after the run appeared, nothing connected, Redis holds no key of the run,
no process of the run survives and no SysV IPC object of the run remains.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis

from sandbox import RunResult

CHECKOUT = Path(__file__).resolve().parents[3]
#: A phrase of the checkout's pyproject.toml: seeing it means the checkout was read.
CHECKOUT_PHRASE = "Secure online examination and coding-learning engine"
#: Uids the process backend runs programs as (61000 + slot), and Docker's student uid.
SANDBOX_UID_MIN = 61000
DOCKER_STUDENT_UID = 2000
#: Host directories a program might try to drop a file into.
WATCHED_DIRS = ("/", "/tmp", "/var/tmp", "/dev/shm", "/dev", "/etc", "/usr", "/usr/local",
                "/usr/local/bin", "/usr/lib", "/root", "/home", "/opt", "/run", "/var", "/srv",
                "/mnt", "/boot", "/run/ardoise-sandbox")
REDIS_URL = os.environ.get("ARDOISE_TEST_REDIS", "redis://127.0.0.1:6379")
SETTLE_SECONDS = 3.0


def host_ipv4_addresses() -> list[str]:
    """127.0.0.1 and every other IPv4 address of this host (from the kernel's table)."""
    found = {"127.0.0.1"}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True,
                             text=True, timeout=5).stdout
        for line in out.splitlines():
            parts = line.split()
            if "inet" in parts:
                found.add(parts[parts.index("inet") + 1].split("/")[0])
    return sorted(found)


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _status_fields(pid: str) -> dict[str, str]:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        pass
    return fields


def process_table() -> list[dict[str, Any]]:
    """Living processes of the host: pid, real uid, parent, state, command line."""
    table = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _status_fields(pid)
        if not fields or fields.get("State", "").startswith(("Z", "X")):
            continue
        table.append({"pid": int(pid), "uid": int(fields.get("Uid", "0").split()[0]),
                      "ppid": int(fields.get("PPid", "0")), "cmdline": _cmdline(pid)})
    return table


def starttime(pid: int) -> str:
    """Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot."""
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[19]


class HostGuard:
    """Secrets, listeners and snapshots of one test; :meth:`verify` proves nothing escaped."""

    def __init__(self, tmp_path: Path, backend: str) -> None:
        token = uuid.uuid4().hex
        self.backend = backend
        # Other tests of this process may have used other pool classes (a notebook's larger
        # memory, say): what counts is that the hostile run left no more than there were.
        self.containers_before = len(self._owned_containers()) if backend == "docker" else 0
        self.tmp_path = tmp_path
        self.token = token
        self.marker = f"ardoise-hostile-{token[:16]}"
        self.secret = f"ARDOISE-SECRET-{uuid.uuid4().hex}"
        self.ipc_key = int(token[16:23], 16)
        self.hostname = socket.gethostname()
        self.canaries: dict[Path, bytes] = {}
        self.helper: subprocess.Popen[bytes] | None = None
        self._sockets: list[socket.socket] = []
        self._plant_canaries()
        self.tcp = [self._listen_tcp(a) for a in host_ipv4_addresses()]
        self.tcp6 = self._listen_tcp6()
        self.udp = [self._listen_udp(a) for a in host_ipv4_addresses()]
        self.unix_path = f"/tmp/ardoise-listen-{token[:16]}.sock"
        self.abstract = f"ardoise-listen-{token[:16]}"
        self._listen_unix()
        self.redis = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        self.redis.ping()  # a missing Redis fails the test: the check below would be empty
        self.checked = False

    # -- setting up ---------------------------------------------------------------------
    def _plant_canaries(self) -> None:
        content = f"{self.secret}\n".encode()
        places = [self.tmp_path / "canary.txt", Path(f"/tmp/ardoise-canary-{self.token}"),
                  Path(f"/var/tmp/ardoise-canary-{self.token}"),
                  Path(f"/dev/shm/ardoise-canary-{self.token}"),
                  Path(f"/root/.ardoise-canary-{self.token}")]
        for path in places:
            path.write_bytes(content)
            path.chmod(0o644)  # world-readable: only the sandbox may stand in the way
            self.canaries[path] = content

    def _listen_tcp(self, address: str) -> tuple[str, int]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((address, 0))
        sock.listen(16)
        sock.setblocking(False)
        self._sockets.append(sock)
        return address, sock.getsockname()[1]

    def _listen_tcp6(self) -> list[tuple[str, int]]:
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            sock.bind(("::1", 0))
        except OSError:
            return []
        sock.listen(16)
        sock.setblocking(False)
        self._sockets.append(sock)
        return [("::1", sock.getsockname()[1])]

    def _listen_udp(self, address: str) -> tuple[str, int]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 0))
        sock.setblocking(False)
        self._sockets.append(sock)
        return address, sock.getsockname()[1]

    def _listen_unix(self) -> None:
        for name in (self.unix_path, "\0" + self.abstract):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(name)
            if not name.startswith("\0"):
                os.chmod(name, 0o777)  # anyone on the host could connect: the sandbox must not
            sock.listen(16)
            sock.setblocking(False)
            self._sockets.append(sock)

    def start_helper(self) -> int:
        """A host process holding the secret in its command line and environment."""
        self.helper = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(300)", "ardoise-helper", self.secret],
            env={"ARDOISE_HOSTILE_SECRET": self.secret, "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self.helper.pid

    def context(self, **extra: Any) -> dict[str, Any]:
        """What a hostile program is told: where the secrets and listeners are (never the
        secret itself)."""
        return {
            "marker": self.marker,
            "canaries": [str(p) for p in self.canaries],
            "tcp": [list(t) for t in self.tcp + self.tcp6],
            "udp": [list(u) for u in self.udp],
            "unix_path": self.unix_path,
            "abstract": self.abstract,
            "checkout": str(CHECKOUT),
            "tmp_path": str(self.tmp_path),
            "ipc_key": self.ipc_key,
            "helper_pid": self.helper.pid if self.helper else 0,
            **extra,
        }

    # -- checking -----------------------------------------------------------------------
    def verify(self, *results: RunResult, secrets: Iterable[str] = ()) -> None:
        """Assert that the host is as it was and nothing secret came back."""
        self.checked = True
        problems = []
        problems += self._leaked(results, [self.secret, CHECKOUT_PHRASE, *secrets])
        problems += self._canaries_changed()
        problems += self._files_dropped()
        problems += self._connections_received()
        if self.redis.exists(self.marker):
            problems.append(f"Redis holds the key {self.marker!r} a program set")
        if socket.gethostname() != self.hostname:
            problems.append(f"the host name changed to {socket.gethostname()!r}")
        problems += self._ipc_left()
        problems += self._processes_left()
        problems += self._containers_left()
        assert not problems, "the host changed:\n- " + "\n- ".join(problems)

    @staticmethod
    def _leaked(results: Iterable[RunResult], secrets: list[str]) -> list[str]:
        found = []
        for result in results:
            texts = {"stdout": result.stdout, "stderr": result.stderr,
                     "compile_output": result.compile_output}
            texts.update({f"file {n}": c.decode("latin-1") for n, c in result.files.items()})
            for where, text in texts.items():
                for secret in secrets:
                    if secret and secret in text:
                        found.append(f"{secret[:24]!r}... came back in {where}")
        return found

    def _canaries_changed(self) -> list[str]:
        found = []
        for path, content in self.canaries.items():
            try:
                info = os.lstat(path)
                data = path.read_bytes()
            except OSError as exc:
                found.append(f"canary {path} is gone: {exc}")
                continue
            if (not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o644
                    or info.st_uid != 0 or info.st_nlink != 1 or data != content):
                found.append(f"canary {path} changed: mode={oct(info.st_mode)} "
                             f"uid={info.st_uid} links={info.st_nlink} data={data[:80]!r}")
        return found

    def _files_dropped(self) -> list[str]:
        found = []
        places = [*WATCHED_DIRS, str(CHECKOUT)]
        for directory in places:
            with contextlib.suppress(OSError):
                found += [f"{directory}/{n}" for n in os.listdir(directory) if self.marker in n]
        for root, dirs, files in os.walk(self.tmp_path):
            found += [f"{root}/{n}" for n in dirs + files if self.marker in n]
        return [f"a program left {path} on the host" for path in found]

    def _connections_received(self) -> list[str]:
        found = []
        readable, _, _ = select.select(self._sockets, [], [], 0.2)
        for sock in readable:
            try:
                if sock.type == socket.SOCK_DGRAM:
                    data, sender = sock.recvfrom(4096)
                    found.append(f"UDP {sock.getsockname()} received {data[:60]!r} "
                                 f"from {sender}")
                else:
                    conn, peer = sock.accept()
                    conn.close()
                    found.append(f"listener {sock.getsockname()!r} accepted a connection "
                                 f"from {peer!r}")
            except OSError:
                continue
        return found

    def _ipc_left(self) -> list[str]:
        found = []
        for kind in ("shm", "msg", "sem"):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]:
                    if line.split() and int(line.split()[0]) == self.ipc_key:
                        found.append(f"a SysV {kind} object with the run's key is left on "
                                     f"the host: {line.split()[:6]}")
        return found

    def _processes_left(self) -> list[str]:
        """Processes carrying the run's marker, or sandbox uids orphaned to the host's init;
        the backend has a moment to finish killing (a dying process still shows)."""
        marker = self.marker.encode()
        mine = {os.getpid(), self.helper.pid if self.helper else -1}
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            left = [p for p in process_table() if p["pid"] not in mine and (
                marker in p["cmdline"]
                or (p["uid"] >= SANDBOX_UID_MIN and p["ppid"] in (1, os.getpid())))]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        return [f"process {p['pid']} (uid {p['uid']}, parent {p['ppid']}) survived the run: "
                f"{p['cmdline'][:120]!r}" for p in left]

    @staticmethod
    def _owned_containers() -> list[Any]:
        # Imported here: the process backend's tests must not need the Docker modules.
        import docker

        from sandbox.backends.docker_pool import OWNER_LABEL, owner_identity

        client = docker.from_env()
        try:
            return list(client.api.containers(
                all=True, filters={"label": f"{OWNER_LABEL}={owner_identity()}"}))
        finally:
            client.close()

    def _containers_left(self) -> list[str]:
        """Docker only: this process's pool is back to its size (kept, not leaking)."""
        if self.backend != "docker":
            return []
        from sandbox.backends import backend
        from sandbox.backends.docker_pool import IDLE_CLASSES_FACTOR

        pool_size = backend("docker").pool_size  # type: ignore[attr-defined]
        bound = max(pool_size * (IDLE_CLASSES_FACTOR + 1), self.containers_before)
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            owned = self._owned_containers()
            if len(owned) <= bound or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if len(owned) <= bound:
            return []
        return [f"{len(owned)} sandbox containers belong to this process, more than its pool "
                f"keeps or than there were before the run ({bound})"]

    # -- cleaning up --------------------------------------------------------------------
    def close(self) -> None:
        """Remove what the guard planted, and whatever escaped (by pid, after reporting)."""
        for sock in self._sockets:
            sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.unix_path)
        for path in self.canaries:
            with contextlib.suppress(OSError):
                path.unlink()
        if self.helper is not None:
            self.helper.kill()
            self.helper.wait()
        marker = self.marker.encode()
        for proc in process_table():
            if marker in proc["cmdline"] and proc["pid"] != os.getpid():
                with contextlib.suppress(OSError):
                    os.kill(proc["pid"], 9)
        for directory in (*WATCHED_DIRS, str(CHECKOUT)):
            with contextlib.suppress(OSError):
                for name in os.listdir(directory):
                    if self.marker in name:
                        with contextlib.suppress(OSError):
                            os.unlink(os.path.join(directory, name))
        with contextlib.suppress(redis.RedisError):
            self.redis.delete(self.marker)
            self.redis.close()
