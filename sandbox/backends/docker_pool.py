"""The warm pool of the ``docker`` backend: pre-started containers, each with a resident runner.

A container is created with every restriction the backend promises (see
docs/sandbox-docker.md), its stdin attached, then started with a tiny bootstrap that reads
the runner's source from that stdin and executes it. The pool hands a container to one run
at a time, takes it back emptied, and replaces it after anything unusual.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import requests

from sandbox.backends.base import SandboxFailure
from sandbox.backends.docker_channel import RunnerChannel
from sandbox.backends.docker_runner_io import LENGTH_BYTES
from sandbox.spec import Limits

log = logging.getLogger(__name__)

#: What the SDK raises when the engine fails or cannot be reached.
ENGINE_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)

LABEL = "org.ardoise.sandbox"
OWNER_LABEL = "org.ardoise.sandbox.owner"
CLASS_LABEL = "org.ardoise.sandbox.class"
#: Room for the runner itself (a small Python process) in each container's memory limit.
RUNNER_MEMORY_MB = 16
#: The runner is one task of the container's pids cgroup; the program gets the rest.
RUNNER_PROCESSES = 1
TMP_BYTES = 16 << 20
NANO_CPUS = 1_000_000_000
START_TIMEOUT = 60.0
PING_TIMEOUT = 5.0
RESET_TIMEOUT = 60.0
#: Idle containers kept over all classes (times the pool size); beyond, classes other than
#: the default lose theirs, the earliest used first.
IDLE_CLASSES_FACTOR = 4
#: Shipped to each container in this order, into one namespace, then ``main()`` is called.
RUNNER_SOURCES = tuple(Path(__file__).with_name(name)
                       for name in ("docker_runner_io.py", "docker_runner.py"))

#: The container's command: run each length-prefixed source read on stdin (until a zero
#: length) from memory, then the runner's ``main``.
BOOTSTRAP = (
    "import os\n"
    "def r(n):\n"
    " b=b''\n"
    " while len(b)<n:\n"
    "  c=os.read(0,n-len(b))\n"
    "  if not c:raise SystemExit(3)\n"
    "  b+=c\n"
    " return b\n"
    "g={'__name__':'ardoise_runner'}\n"
    "while n:=int.from_bytes(r(4),'big'):exec(compile(r(n),'ardoise-runner','exec'),g)\n"
    "g['main']()\n"
)


def runner_payload() -> bytes:
    """The runner's sources as the bootstrap reads them."""
    parts = []
    for path in RUNNER_SOURCES:
        source = path.read_bytes()
        parts.append(len(source).to_bytes(LENGTH_BYTES, "big") + source)
    return b"".join(parts) + bytes(LENGTH_BYTES)


@dataclass(frozen=True)
class PoolClass:
    """Containers are pooled by the limits fixed at their creation (or costly to change)."""

    memory_mb: int
    processes: int
    disk_bytes: int

    @classmethod
    def of(cls, limits: Limits) -> PoolClass:
        return cls(limits.memory_mb, limits.processes, limits.disk_bytes)

    def __str__(self) -> str:
        return f"{self.memory_mb}MB/{self.processes}p/{self.disk_bytes}B"


DEFAULT_CLASS = PoolClass.of(Limits())


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def owner_identity() -> str:
    """``host:pid:start``: who owns a container, so a later worker can tell it is dead."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def owner_is_dead(owner: str) -> bool:
    """True only for an owner of this host whose process is gone (or is another process)."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _start_time(int(pid)) != started


def memory_bytes(memory_mb: int) -> int:
    return (memory_mb + RUNNER_MEMORY_MB) << 20


class PooledContainer:
    """A started container whose runner said hello; used by one run at a time."""

    def __init__(self, client: Any, container: Any, channel: RunnerChannel,
                 pool_class: PoolClass) -> None:
        self.client = client
        self.container = container
        self.channel = channel
        self.pool_class = pool_class
        self.memory_mb = pool_class.memory_mb
        self.processes = pool_class.processes

    @property
    def id(self) -> str:
        return str(self.container.id)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self.channel.request(message, timeout)

    def fit(self, memory_mb: int, processes: int) -> None:
        """Set the container's memory and pids limits for a step (a compile needs more)."""
        if (memory_mb, processes) == (self.memory_mb, self.processes):
            return
        api = self.client.api
        # The SDK's update_container has no PidsLimit; the engine's update endpoint does.
        response = api._post_json(api._url("/containers/{0}/update", self.id), data={
            "Memory": memory_bytes(memory_mb), "MemorySwap": memory_bytes(memory_mb),
            "PidsLimit": processes + RUNNER_PROCESSES})
        api._raise_for_status(response)
        self.memory_mb, self.processes = memory_mb, processes

    def reset(self) -> bool:
        """Back to the class's limits, work directories emptied; False when it is unfit."""
        try:
            self.fit(self.pool_class.memory_mb, self.pool_class.processes)
            reply = self.request({"op": "reset"}, RESET_TIMEOUT)
        except (SandboxFailure, *ENGINE_ERRORS) as exc:
            log.warning("sandbox container %s cannot be reused: %s", self.id[:12], exc)
            return False
        return reply.get("left_processes") is False

    def remove(self) -> None:
        self.channel.close()  # the runner sees its stdin end and exits, in any case
        _remove(self.container)


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code != 409:  # 409: its removal is already under way
            log.warning("sandbox container %s not removed: %s", container.short_id, exc)
    except ENGINE_ERRORS as exc:
        log.warning("sandbox container %s not removed: %s", container.short_id, exc)


def start_container(client: Any, image: str, pool_class: PoolClass, uid: int,
                    owner: str) -> PooledContainer:
    """Create, attach, start, ship the runner and wait for its hello."""
    memory = memory_bytes(pool_class.memory_mb)
    ids = f"uid={uid},gid={uid}"
    container = client.containers.create(
        image, ["/usr/bin/python3", "-I", "-S", "-c", BOOTSTRAP],
        user="0:0", working_dir="/", hostname="sandbox", environment={},
        stdin_open=True, tty=False,
        privileged=False, network_mode="none", ipc_mode="none", init=False,
        read_only=True, cap_drop=["ALL"], cap_add=["SETUID", "SETGID"],
        security_opt=["no-new-privileges"],
        mem_limit=memory, memswap_limit=memory, pids_limit=pool_class.processes + RUNNER_PROCESSES,
        nano_cpus=NANO_CPUS,
        tmpfs={"/work": f"size={pool_class.disk_bytes},{ids},mode=0700,exec",
               "/tmp": f"size={TMP_BYTES},{ids},mode=0700"},
        sysctls={"kernel.shmmni": "0", "kernel.msgmni": "0", "kernel.sem": "0 0 0 0",
                 "fs.mqueue.queues_max": "0"},
        log_config={"type": "none"},
        auto_remove=True,
        labels={LABEL: "1", OWNER_LABEL: owner, CLASS_LABEL: str(pool_class)})
    channel: RunnerChannel | None = None
    try:
        channel = RunnerChannel(container.attach_socket(
            params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}))
        container.start()
        channel.send_raw(runner_payload(), START_TIMEOUT)
        hello = channel.request({"op": "hello", "uid": uid, "gid": uid}, START_TIMEOUT)
        if not hello.get("oom_counter"):
            log.warning("sandbox container %s shows no OOM counter of its memory cgroup: "
                        "a SIGKILL the runner did not send counts as memory_limit",
                        container.short_id)
    except BaseException:
        if channel is not None:
            channel.close()
        _remove(container)
        raise
    return PooledContainer(client, container, channel, pool_class)


class ContainerPool:
    """Idle containers per class; thread-safe; replacements start in the background."""

    def __init__(self, client: Any, image: str, size: int, uid: int) -> None:
        self.client = client
        self.image = image
        self.size = max(0, size)
        self.uid = uid
        self.owner = owner_identity()
        self.pid = os.getpid()
        self._idle: dict[PoolClass, list[PooledContainer]] = {}
        self._starting: dict[PoolClass, int] = {}
        self._waiting: dict[PoolClass, int] = {}
        self._busy: set[PooledContainer] = set()
        self._changed = threading.Condition()
        self._closed = False
        self._background = ThreadPoolExecutor(max_workers=2,
                                              thread_name_prefix="ardoise-docker-pool")

    # -- the life of a container ----------------------------------------------------------
    def start(self, pool_class: PoolClass) -> PooledContainer:
        try:
            return start_container(self.client, self.image, pool_class, self.uid, self.owner)
        except ENGINE_ERRORS as exc:
            raise SandboxFailure(f"a sandbox container could not be started: {exc}") from exc

    def checkout(self, pool_class: PoolClass) -> PooledContainer:
        """An idle container of ``pool_class`` that answers a ping, else one being started
        for the pool (when no other run waits for it), else a freshly started one."""
        while True:
            chosen = self._take_idle(pool_class)
            if chosen is None:
                break
            try:
                chosen.request({"op": "ping"}, PING_TIMEOUT)
            except SandboxFailure as exc:
                log.warning("sandbox container %s failed its health check: %s",
                            chosen.id[:12], exc)
                self._submit(chosen.remove)
                continue
            self._mark_busy(chosen)
            self.replenish(pool_class)
            return chosen
        container = self.start(pool_class)
        self._mark_busy(container)
        self.replenish(pool_class)
        return container

    def _take_idle(self, pool_class: PoolClass) -> PooledContainer | None:
        with self._changed:
            while True:
                if self._closed:
                    raise SandboxFailure("the docker sandbox backend is closed")
                idle = self._idle.setdefault(pool_class, [])
                if idle:
                    return idle.pop()
                waiting = self._waiting.get(pool_class, 0)
                if self._starting.get(pool_class, 0) <= waiting:
                    return None
                self._waiting[pool_class] = waiting + 1
                try:
                    if not self._changed.wait(START_TIMEOUT):
                        return None
                finally:
                    self._waiting[pool_class] -= 1

    def checkin(self, container: PooledContainer, recycle: bool) -> None:
        """Take a container back: emptied and kept, or removed and replaced."""
        if not recycle and not container.reset():
            recycle = True
        with self._changed:
            self._busy.discard(container)
            idle = self._idle.setdefault(container.pool_class, [])
            keep = not recycle and not self._closed and len(idle) < self.size
            if keep:
                idle.append(container)
                self._changed.notify_all()
        if not keep:
            self._submit(container.remove)
            self.replenish(container.pool_class)
        self._shrink()

    def replenish(self, pool_class: PoolClass) -> None:
        """Start in the background what ``pool_class`` lacks to have ``size`` containers
        (idle, busy or starting)."""
        with self._changed:
            if self._closed:
                return
            busy = sum(1 for c in self._busy if c.pool_class == pool_class)
            missing = (self.size - len(self._idle.get(pool_class, []))
                       - self._starting.get(pool_class, 0) - busy)
            if missing <= 0:
                return
            self._starting[pool_class] = self._starting.get(pool_class, 0) + missing
        for _ in range(missing):
            self._submit(self._start_idle, pool_class)

    def _start_idle(self, pool_class: PoolClass) -> None:
        container: PooledContainer | None = None
        try:
            container = self.start(pool_class)
        except Exception as exc:
            log.warning("sandbox container for %s could not be prewarmed: %s", pool_class, exc)
        with self._changed:
            self._starting[pool_class] -= 1
            keep = container is not None and not self._closed
            if keep and container is not None:
                self._idle.setdefault(pool_class, []).append(container)
            self._changed.notify_all()  # a waiting run takes it, or starts its own
        if container is not None and not keep:
            container.remove()

    def _mark_busy(self, container: PooledContainer) -> None:
        with self._changed:
            self._busy.add(container)

    def _shrink(self) -> None:
        """Keep the number of idle containers bounded when many classes were used."""
        with self._changed:
            excess = sum(len(v) for v in self._idle.values()) - self.size * IDLE_CLASSES_FACTOR
            doomed = []
            for pool_class in list(self._idle):
                if excess <= 0:
                    break
                if pool_class == DEFAULT_CLASS:
                    continue
                while self._idle[pool_class] and excess > 0:
                    doomed.append(self._idle[pool_class].pop(0))
                    excess -= 1
                if not self._idle[pool_class]:
                    del self._idle[pool_class]  # unused classes are not replenished
        for container in doomed:
            self._submit(container.remove)

    def _submit(self, task: Callable[..., None], *args: Any) -> None:
        try:
            self._background.submit(task, *args)
        except RuntimeError:  # shut down: do it here
            task(*args)

    # -- counts and the end ---------------------------------------------------------------
    def idle_count(self, pool_class: PoolClass = DEFAULT_CLASS) -> int:
        with self._changed:
            return len(self._idle.get(pool_class, []))

    def close(self) -> None:
        """Remove every container of the pool; busy ones go when their run gives them back.
        Does nothing in a forked child (the containers are its parent's)."""
        if os.getpid() != self.pid:
            return
        with self._changed:
            self._closed = True
            doomed = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
            self._changed.notify_all()
        self._background.shutdown(wait=True, cancel_futures=True)
        with self._changed:  # what a background start added before it saw the pool closed
            doomed += [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for container in doomed:
            container.remove()


def reap_stale(client: Any) -> int:
    """Remove sandbox containers that a dead worker of this host left; how many."""
    removed = 0
    # The low-level listing: the SDK's models would inspect each one, racing with removals.
    for found in client.api.containers(all=True, filters={"label": f"{LABEL}=1"}):
        if owner_is_dead((found.get("Labels") or {}).get(OWNER_LABEL, "")):
            try:
                client.api.remove_container(found["Id"], force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except ENGINE_ERRORS as exc:
                log.warning("stale sandbox container %s not removed: %s", found["Id"][:12], exc)
    return removed
