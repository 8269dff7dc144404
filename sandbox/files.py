"""File exchange with sandboxed code that never follows a link or fifo the code planted.

The trusted side only touches the work directory through a directory descriptor: inputs
are created with ``O_EXCL | O_NOFOLLOW``, outputs are opened with ``O_NOFOLLOW |
O_NONBLOCK`` and kept only when ``fstat`` shows a regular file with a single link, and
the directory is emptied by walking descriptors, never paths.
"""

from __future__ import annotations

import os
import re
import stat

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}")
MAX_ARGUMENT_BYTES = 4096


class InvalidSpec(ValueError):
    """A :class:`~sandbox.spec.RunSpec` that cannot be run (bad file name, unknown language,
    bad limit); nothing ran."""


class UnsafeName(InvalidSpec):
    """A file name or argument the sandbox refuses (path separators, dot-dot, control bytes)."""


def validate_file_name(name: str) -> None:
    """Accept plain names only: no directories, no leading dot or dash, no ``..``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise UnsafeName(f"unsafe file name {name!r}")


def validate_argument(arg: str) -> None:
    if not isinstance(arg, str) or "\x00" in arg or len(arg.encode()) > MAX_ARGUMENT_BYTES:
        raise UnsafeName("unsafe program argument")


def write_inputs(dir_fd: int, files: dict[str, bytes], uid: int, gid: int) -> None:
    """Create each input in the (empty) work directory, owned by the sandbox user."""
    for name, content in files.items():
        validate_file_name(name)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644, dir_fd=dir_fd)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            os.fchown(fd, uid, gid)
        finally:
            os.close(fd)


def read_output(dir_fd: int, name: str, limit: int) -> bytes | None:
    """The content of ``name`` if it is a regular, singly linked file of at most ``limit``
    bytes; ``None`` otherwise (missing, a link, a fifo, a device, a directory, too big)."""
    validate_file_name(name)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size > limit:
            return None
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def empty_directory(dir_fd: int) -> None:
    """Remove everything below ``dir_fd`` without following any link (runs as root)."""
    for entry in os.listdir(dir_fd):
        try:
            info = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            sub = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=dir_fd)
            try:
                os.fchmod(sub, 0o700)
                empty_directory(sub)
            finally:
                os.close(sub)
            os.rmdir(entry, dir_fd=dir_fd)
        else:
            os.unlink(entry, dir_fd=dir_fd)
