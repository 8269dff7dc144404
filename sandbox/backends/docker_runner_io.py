"""What the resident runner reads and writes: its channel to the host, and the student's work
directories, which it only ever touches through descriptors and never through a link.

Shipped into the container with ``docker_runner`` (see there): stdlib only, Python 3.11.
The work-directory functions run with the student's effective ids, so the runner can do
nothing there that the student could not.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from typing import Any

LENGTH_BYTES = 4
MAX_MESSAGE_BYTES = 64 << 20
CHUNK = 1 << 16
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")


class RunnerError(Exception):
    """A request the runner could not carry out; the host recycles the container."""


# -- the channel: 4-byte big-endian length, then JSON (bytes as base64) --------------------

def read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def receive() -> dict[str, Any]:
    """The next request from the host (on stdin); EOFError when the host went away."""
    size = int.from_bytes(read_exact(0, LENGTH_BYTES), "big")
    if size > MAX_MESSAGE_BYTES:
        raise EOFError
    message = json.loads(read_exact(0, size))
    if not isinstance(message, dict):
        raise EOFError
    return message


def send(message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    write_all(1, len(data).to_bytes(LENGTH_BYTES, "big") + data)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- the work directories -------------------------------------------------------------------

def checked_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise RunnerError(f"unsafe file name {name!r}")
    return name


def write_files(dir_fd: int, files: dict[str, bytes]) -> None:
    """Create each file, refusing one that exists (``O_EXCL``) or a link (``O_NOFOLLOW``)."""
    for name, content in files.items():
        fd = os.open(checked_name(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
        try:
            write_all(fd, content)
        finally:
            os.close(fd)


def read_output(dir_fd: int, name: str, limit: int) -> bytes | None:
    """A regular, singly linked file of at most ``limit`` bytes; None for anything else
    (missing, a link, a fifo, a directory, too big). ``O_NONBLOCK`` keeps a fifo from
    blocking the open."""
    try:
        fd = os.open(checked_name(name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                     | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size > limit:
            return None
        chunks, remaining = [], limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def make_accessible(dir_fd: int, name: str) -> None:
    """chmod 0700 a directory the student may have locked, through an ``O_PATH`` descriptor
    (which needs no permission on it and never follows a link)."""
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.chmod(f"/proc/self/fd/{fd}", 0o700)
    finally:
        os.close(fd)


def empty_directory(dir_fd: int) -> None:
    """Remove everything below ``dir_fd``, directories made accessible first, links unfollowed.
    Very deep trees fail (RecursionError): the host then replaces the container."""
    for name in os.listdir(dir_fd):
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            make_accessible(dir_fd, name)
            sub = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
            try:
                empty_directory(sub)
            finally:
                os.close(sub)
            os.rmdir(name, dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)


def empty_mount(path: str) -> None:
    """Empty ``/work`` or ``/tmp``: mount points the student owns and may chmod, never replace."""
    os.chmod(path, 0o700)
    dir_fd = os.open(path, DIR_FLAGS)
    try:
        empty_directory(dir_fd)
        if os.listdir(dir_fd):
            raise RunnerError(f"{path} could not be emptied")
    finally:
        os.close(dir_fd)
