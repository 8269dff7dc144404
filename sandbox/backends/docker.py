"""The ``docker`` backend: each run borrows a warm, locked-down container from a pool.

The container's resident runner (``docker_runner``) executes each step as the student's
uid and measures it; this module turns a :class:`~sandbox.backends.base.Workspace` call
into one request to that runner. docs/sandbox-docker.md gives the design and its reasons.
"""

from __future__ import annotations

import atexit
import base64
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docker
import docker.errors

from sandbox import images
from sandbox.backends.base import Backend, SandboxFailure, StepOutcome, Workspace, step_env
from sandbox.backends.docker_pool import (
    DEFAULT_CLASS,
    ENGINE_ERRORS,
    ContainerPool,
    PoolClass,
    PooledContainer,
    reap_stale,
)
from sandbox.languages import Step
from sandbox.spec import Limits, RunSpec

log = logging.getLogger(__name__)

#: Warm containers per limit class when the caller does not say (``ARDOISE_SANDBOX_POOL_SIZE``
#: is read by the caller that builds the backend).
DEFAULT_POOL_SIZE = 2
#: How long :meth:`DockerBackend.missing` trusts its last look at the engine.
CHECK_SECONDS = 5.0
#: Beyond the wall limit, time for the runner to kill, drain and answer.
EXECUTE_MARGIN = 30.0
IO_TIMEOUT = 60.0


class DockerBackend(Backend):
    """Runs code in pooled containers of the sandbox image (built by ``ardoise sandbox images
    build``). Safe to share between threads; :meth:`close` removes its containers.

    :param pool_size: idle containers kept warm per limit class (the default class is
        prewarmed as soon as the backend first runs or is asked to :meth:`prewarm`).
    :param image: the image to run; the current recipe's :func:`sandbox.images.image_tag`
        when omitted.
    :param client: a Docker SDK client; ``docker.from_env()`` when omitted.
    """

    name = "docker"

    def __init__(self, pool_size: int = DEFAULT_POOL_SIZE, image: str | None = None,
                 client: Any = None) -> None:
        self.pool_size = pool_size
        self._image = image
        self._client = client
        self._client_pid = os.getpid()
        self._pool: ContainerPool | None = None
        self._lock = threading.Lock()
        self._checked: tuple[float, list[str]] | None = None
        self._closed = False

    @property
    def image(self) -> str:
        return self._image or images.image_tag()

    def client(self) -> Any:
        """The Docker client of this process (a forked worker makes its own)."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                self._client = docker.from_env()
                self._client_pid = os.getpid()
            return self._client

    # -- what the machine offers ----------------------------------------------------------
    def missing(self) -> list[str]:
        now = time.monotonic()
        checked = self._checked
        if checked is not None and now - checked[0] < CHECK_SECONDS:
            return checked[1]
        reasons = self._missing()
        self._checked = (time.monotonic(), reasons)
        return reasons

    def _missing(self) -> list[str]:
        try:
            client = self.client()
            client.ping()
            info = client.info()
        except ENGINE_ERRORS as exc:
            return [f"the Docker engine is unreachable ({exc}): start it, or point DOCKER_HOST "
                    "at it"]
        reasons = [f"the Docker engine cannot limit {what} (its {key} is off)"
                   for key, what in (("MemoryLimit", "memory"), ("PidsLimit", "processes"),
                                     ("CpuCfsQuota", "CPU time"))
                   if info.get(key) is False]
        try:
            if self._image is not None:
                client.images.get(self._image)
                ready = True
            else:
                ready = images.docker_image_ready(client)
        except docker.errors.ImageNotFound:
            ready = False
        except ENGINE_ERRORS as exc:
            return reasons + [f"the Docker engine cannot be asked for the sandbox image: {exc}"]
        if not ready:
            reasons.append(f"the sandbox image {self.image} is not built: run `ardoise sandbox "
                           "images build`")
        return reasons

    # -- the pool -------------------------------------------------------------------------
    def pool(self) -> ContainerPool:
        """This process's pool (a forked worker starts its own, leaving its parent's alone)."""
        try:
            client = self.client()
        except ENGINE_ERRORS as exc:
            raise SandboxFailure(f"the Docker engine is unreachable: {exc}") from exc
        with self._lock:
            if self._closed:
                raise SandboxFailure("the docker sandbox backend is closed")
            if self._pool is None or self._pool.pid != os.getpid():
                # A pool inherited across fork is left alone: its parent owns those containers.
                try:
                    reaped = reap_stale(client)
                except ENGINE_ERRORS as exc:
                    raise SandboxFailure(f"the Docker engine is unreachable: {exc}") from exc
                if reaped:
                    log.info("removed %d sandbox containers left by dead workers", reaped)
                self._pool = ContainerPool(client, self.image, self.pool_size,
                                           images.STUDENT_UID)
                atexit.register(self._pool.close)
                self._pool.replenish(DEFAULT_CLASS)
            return self._pool

    def prewarm(self, limits: Limits | None = None) -> None:
        """Start the containers of ``limits``' class (the default one) in the background."""
        self.pool().replenish(PoolClass.of(limits) if limits else DEFAULT_CLASS)

    @contextmanager
    def workspace(self, spec: RunSpec) -> Iterator[Workspace]:
        pool = self.pool()
        pool_class = PoolClass.of(spec.limits)
        container = pool.checkout(pool_class)
        workspace = DockerWorkspace(container)
        try:
            yield workspace
        except BaseException:
            workspace.recycle = True
            raise
        finally:
            pool.checkin(container, workspace.recycle)

    def close(self) -> None:
        """Remove this backend's containers; it runs nothing afterwards."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            atexit.unregister(pool.close)


class DockerWorkspace(Workspace):
    """One run's container. ``recycle`` is set when it must not serve another run."""

    def __init__(self, container: PooledContainer) -> None:
        self.container = container
        self.recycle = False

    def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            return self.container.request(message, timeout)
        except SandboxFailure:
            self.recycle = True
            raise

    def write_inputs(self, files: dict[str, bytes]) -> None:
        self._request({"op": "write", "files": {n: _b64(c) for n, c in files.items()}},
                      IO_TIMEOUT)

    def execute(self, step: Step, limits: Limits, stdin: bytes) -> StepOutcome:
        try:
            self.container.fit(limits.memory_mb, limits.processes)
        except ENGINE_ERRORS as exc:
            self.recycle = True
            raise SandboxFailure(f"the sandbox container's limits could not be set: {exc}") from exc
        reply = self._request({
            "op": "execute", "argv": list(step.argv), "env": step_env(step),
            "stdin": _b64(stdin),
            "limits": {"cpu_rlimit": limits.cpu_rlimit, "cpu_ms": limits.cpu_seconds * 1000,
                       "wall_ms": int(limits.wall * 1000),
                       "file_size_bytes": limits.file_size_bytes,
                       "output_bytes": limits.output_bytes},
        }, limits.wall + EXECUTE_MARGIN)
        try:
            outcome = StepOutcome(
                exit_code=reply["exit_code"], signal=reply["signal"],
                stdout=base64.b64decode(reply["stdout"]), stderr=base64.b64decode(reply["stderr"]),
                cpu_ms=int(reply["cpu_ms"]), wall_ms=int(reply["wall_ms"]),
                memory_kb=int(reply["memory_kb"]),
                output_exceeded=bool(reply["output_exceeded"]),
                wall_exceeded=bool(reply["wall_exceeded"]),
                cpu_exceeded=bool(reply["cpu_exceeded"]),
                memory_exceeded=bool(reply["memory_exceeded"]),
                left_processes=bool(reply["left_processes"]))
        except (KeyError, TypeError, ValueError) as exc:
            self.recycle = True
            raise SandboxFailure(f"the sandbox runner answered an unreadable outcome: {exc}") \
                from exc
        if (outcome.output_exceeded or outcome.wall_exceeded or outcome.cpu_exceeded
                or outcome.memory_exceeded or outcome.left_processes):
            self.recycle = True
        return outcome

    def collect(self, names: tuple[str, ...], limit: int) -> dict[str, bytes]:
        if not names:
            return {}
        reply = self._request({"op": "collect", "names": list(names), "limit": limit},
                              IO_TIMEOUT)
        return {str(n): base64.b64decode(c) for n, c in dict(reply["files"]).items()}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
