"""The sandbox's root file system and Docker image: built here from Debian, cached by recipe."""

from __future__ import annotations

import fcntl
import fnmatch
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker.errors

from sandbox.languages import BASE_ENV, get_language, language_names

#: Inside Docker containers: the warm pool's runner, and the student's program.
RUNNER_UID = 1999
STUDENT_UID = 2000
IMAGE_REPOSITORY = "ardoise-sandbox"
FINGERPRINT_LABEL = "org.ardoise.sandbox.fingerprint"
#: Written last into a build; a build directory without it is ignored.
MARKER = "manifest.json"
LOCK_FILE = "build.lock"
Progress = Callable[[str], None]

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEBOOTSTRAP_TIMEOUT = 3600
CHECK_TIMEOUT = 120
_PER_PACKAGE_LINE = re.compile(r"^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) ")
_BUILD_NAME = re.compile(r"^[a-z]+-[0-9a-f]{12}$")


class ImageBuildError(RuntimeError):
    """The root file system or the image could not be built; the message says what to fix."""


@dataclass(frozen=True)
class SandboxAccount:
    """A user of the root file system (uid and gid are equal)."""

    name: str
    uid: int
    comment: str


@dataclass(frozen=True)
class RootfsRecipe:
    """Everything that decides the root file system's content; its hash names every build."""

    #: Raise when the post-processing code changes in a way the fields below do not show.
    version: int
    suite: str
    mirror: str
    variant: str
    packages: tuple[str, ...]
    #: Removed after installation; ``/``-separated globs from the root, never through a link.
    trimmed: tuple[str, ...]
    accounts: tuple[SandboxAccount, ...]
    #: Commands that must succeed inside the root file system, run as the student.
    checks: tuple[tuple[str, ...], ...]


ROOTFS_RECIPE = RootfsRecipe(
    version=1,
    suite="bookworm",
    mirror="http://deb.debian.org/debian",
    variant="minbase",
    # The notebook kernel and its client (coding lab notebooks). debootstrap does not resolve
    # virtual packages: the two last ones provide what python3-zmq and gdb (through
    # python3-debugpy) depend on under a virtual name.
    packages=("python3", "gcc", "g++", "libc6-dev", "openjdk-17-jdk-headless", "nodejs",
              "python3-ipykernel", "python3-nbclient", "python3-cffi-backend",
              "libboost-regex1.74.0"),
    trimmed=(
        "dev/*",  # Docker and bubblewrap mount their own /dev; none of the host's nodes ship
        "tmp/*", "var/tmp/*", "var/log/*",
        "var/cache/apt/*", "var/lib/apt/lists/*",
        "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
        "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*", "usr/share/lintian/*",
        "usr/share/locale/*/LC_MESSAGES",
        "usr/lib/jvm/*/jmods",  # only jlink reads them; javac and java do not
    ),
    accounts=(
        SandboxAccount("runner", RUNNER_UID, "Ardoise sandbox runner"),
        SandboxAccount("student", STUDENT_UID, "Ardoise student program"),
    ),
    checks=(
        ("/usr/bin/python3", "-V"),
        ("/usr/bin/gcc", "--version"),
        ("/usr/bin/g++", "--version"),
        ("/usr/bin/java", "-version"),
        ("/usr/bin/javac", "-version"),
        ("/usr/bin/node", "--version"),
        ("/usr/bin/python3", "-c",
         "import ipykernel, nbclient, nbformat, zmq; print(nbclient.__version__)"),
    ),
)


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_all` found ready and what it had to build."""

    fingerprint: str
    rootfs: Path
    rootfs_built: bool
    #: The image's tag, or None when no Docker client was given.
    image: str | None
    tarball_built: bool
    image_built: bool
    seconds: float

    @property
    def built_anything(self) -> bool:
        return self.rootfs_built or self.tarball_built or self.image_built


@dataclass(frozen=True)
class PruneReport:
    """What :func:`prune` removed, and the images it kept because a container uses them."""

    removed_paths: tuple[Path, ...]
    removed_images: tuple[str, ...]
    kept_images: tuple[str, ...]


@functools.lru_cache(maxsize=8)  # asked on every run: hashing the recipe each time shows
def fingerprint(recipe: RootfsRecipe = ROOTFS_RECIPE) -> str:
    """The sha256 of the recipe: a changed recipe makes a new build, the old one is ignored."""
    canonical = json.dumps(asdict(recipe), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def cache_dir() -> Path:
    """``$ARDOISE_SANDBOX_CACHE``, else ``$XDG_CACHE_HOME/ardoise/sandbox``, else ``~/.cache/…``."""
    explicit = os.environ.get("ARDOISE_SANDBOX_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "ardoise" / "sandbox"


def image_tag() -> str:
    return f"{IMAGE_REPOSITORY}:{fingerprint()[:12]}"


def build_dir(cache: Path | None = None) -> Path:
    """Where the current recipe's build lives: ``rootfs/``, ``rootfs.tar`` and the marker."""
    return (cache or cache_dir()) / f"{ROOTFS_RECIPE.suite}-{fingerprint()[:12]}"


def rootfs_path(cache: Path | None = None) -> Path | None:
    """The finished root file system of the current recipe, or None when none is complete."""
    build = build_dir(cache)
    try:
        manifest = json.loads((build / MARKER).read_text())
    except (OSError, ValueError):
        return None
    rootfs = build / "rootfs"
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint():
        return None
    return rootfs if rootfs.is_dir() else None


def build_rootfs(cache: Path | None = None, progress: Progress = print) -> Path:
    """The current recipe's root file system, built first when missing (needs root).

    :raises ImageBuildError: debootstrap, the post-processing or a toolchain check failed.
    """
    cache = cache or cache_dir()
    with _build_lock(cache, progress):
        return _ensure_rootfs(cache, progress)[0]


def docker_image_ready(client: Any) -> bool:
    """Whether the engine holds the image of the current recipe."""
    try:
        image = client.images.get(image_tag())
    except docker.errors.ImageNotFound:
        return False
    return bool(image.labels.get(FINGERPRINT_LABEL) == fingerprint())


def build_docker_image(client: Any, cache: Path | None = None, progress: Progress = print) -> str:
    """Import the root file system as the sandbox image when the engine lacks it; its tag."""
    cache = cache or cache_dir()
    with _build_lock(cache, progress):
        _ensure_image(client, cache, progress)
    return image_tag()


def build_all(client: Any | None, progress: Progress = print,
              cache: Path | None = None) -> BuildReport:
    """The root file system and, given a Docker client, the image; seconds when both exist."""
    started = time.monotonic()
    cache = cache or cache_dir()
    tarball_built = image_built = False
    with _build_lock(cache, progress):
        rootfs, rootfs_built = _ensure_rootfs(cache, progress)
        if client is not None:
            tarball_built, image_built = _ensure_image(client, cache, progress)
    report = BuildReport(fingerprint(), rootfs, rootfs_built,
                         image_tag() if client is not None else None,
                         tarball_built, image_built, round(time.monotonic() - started, 1))
    state = "built" if report.built_anything else "nothing to build"
    progress(f"sandbox: {state} ({report.seconds} s): {rootfs}"
             + (f" and {report.image}" if report.image else ""))
    return report


def prune(client: Any | None = None, cache: Path | None = None,
          progress: Progress = print) -> PruneReport:
    """Remove the builds, tarballs and images of other recipes (and leftovers of crashed builds)."""
    cache = cache or cache_dir()
    removed_paths: list[Path] = []
    removed_images: list[str] = []
    kept_images: list[str] = []
    current = build_dir(cache).name
    with _build_lock(cache, progress):
        for entry in sorted(cache.iterdir()):
            ours = _BUILD_NAME.match(entry.name) or entry.name.startswith(".build-")
            if ours and entry.name != current and entry.is_dir() and not entry.is_symlink():
                progress(f"sandbox: removing {entry}")
                _remove_tree(entry)
                removed_paths.append(entry)
        if client is not None:
            for image in client.images.list(filters={"label": FINGERPRINT_LABEL}):
                if image.labels.get(FINGERPRINT_LABEL) == fingerprint():
                    continue
                for name in image.tags or [image.id]:
                    try:
                        client.images.remove(name)
                    except docker.errors.APIError as error:
                        progress(f"sandbox: keeping {name}: {error.explanation or error}")
                        kept_images.append(name)
                    else:
                        progress(f"sandbox: removed image {name}")
                        removed_images.append(name)
    return PruneReport(tuple(removed_paths), tuple(removed_images), tuple(kept_images))


# Building, always with the build lock held.

@contextmanager
def _build_lock(cache: Path, progress: Progress) -> Iterator[None]:
    """One build at a time per cache; the one that waited then finds the work done."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"sandbox: waiting for another build to finish ({cache / LOCK_FILE})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _ensure_rootfs(cache: Path, progress: Progress) -> tuple[Path, bool]:
    existing = rootfs_path(cache)
    if existing is not None:
        return existing, False
    if os.geteuid() != 0:
        raise ImageBuildError("building the sandbox's root file system needs root "
                              "(debootstrap, chroot): run `ardoise sandbox images build` as root")
    for leftover in cache.glob(".build-*"):
        progress(f"sandbox: removing the leftovers of an interrupted build: {leftover}")
        _remove_tree(leftover)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    os.chmod(work, 0o755)  # mkdtemp's 0700 would hide the root file system from other users
    try:
        rootfs = work / "rootfs"
        _debootstrap(rootfs, work / "debootstrap.log", progress)
        progress("sandbox: trimming, hardening and adding the sandbox accounts")
        _trim(rootfs)
        _configure(rootfs)
        size = _harden(rootfs)
        progress("sandbox: checking the toolchains as the student")
        manifest = {
            "fingerprint": fingerprint(),
            "recipe": asdict(ROOTFS_RECIPE),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.monotonic() - started, 1),
            "size_bytes": size,
            "tools": _check(rootfs),
            "packages": _packages(rootfs),
        }
        (work / MARKER).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = build_dir(cache)
        if final.exists():  # an incomplete build under the final name (no marker)
            _remove_tree(final)
        os.rename(work, final)
    except BaseException:
        if (work / "debootstrap.log").exists():
            shutil.copyfile(work / "debootstrap.log", cache / "failed-build.log")
        _remove_tree(work)
        raise
    progress(f"sandbox: root file system ready in {manifest['build_seconds']} s "
             f"({size // 2**20} MiB): {final / 'rootfs'}")
    return final / "rootfs", True


def _debootstrap(rootfs: Path, log: Path, progress: Progress) -> None:
    tool = shutil.which("debootstrap", path=HOST_PATH)
    if tool is None:
        raise ImageBuildError("debootstrap is missing: apt-get install debootstrap")
    recipe = ROOTFS_RECIPE
    argv = [tool, f"--variant={recipe.variant}", "--include=" + ",".join(recipe.packages),
            recipe.suite, str(rootfs), recipe.mirror]
    progress(f"sandbox: debootstrap {recipe.suite} from {recipe.mirror} with "
             f"{', '.join(recipe.packages)} (a few minutes; log: {log})")
    env = {"PATH": HOST_PATH, "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    with open(log, "w") as out, subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env, text=True, errors="replace") as child:
        watchdog = threading.Timer(DEBOOTSTRAP_TIMEOUT, child.kill)
        watchdog.start()
        try:
            for line in child.stdout or ():
                out.write(line)
                if line.strip() and not _PER_PACKAGE_LINE.match(line):
                    progress(f"debootstrap: {line.rstrip()}")
            code = child.wait()
        finally:
            watchdog.cancel()
    if code != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-20:])
        raise ImageBuildError(f"debootstrap failed (exit {code}); the end of its log:\n{tail}")


def _matches(root: Path, pattern: str) -> list[Path]:
    """Paths under ``root`` matching ``pattern``, one glob per segment, never through a link."""
    found = [root]
    for segment in pattern.split("/"):
        deeper: list[Path] = []
        for base in found:
            if base.is_symlink() or not base.is_dir():
                continue
            names = sorted(os.listdir(base))
            deeper += [base / name for name in names if fnmatch.fnmatchcase(name, segment)]
        found = deeper
    return found


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _write(root: Path, relative: str, text: str) -> None:
    """Replace a file of the root file system (a link there is replaced, never followed)."""
    path = root / relative
    if path.is_symlink():
        path.unlink()
    path.write_text(text)
    os.chmod(path, 0o644)


def _trim(root: Path) -> None:
    for pattern in ROOTFS_RECIPE.trimmed:
        for path in _matches(root, pattern):
            _remove(path)


def _configure(root: Path) -> None:
    """Mount points, the sandbox accounts, and no trace of the building host."""
    for mount_point in ("work", "tmp", "proc", "sys", "dev"):
        (root / mount_point).mkdir(exist_ok=True)
        os.chmod(root / mount_point, 0o755)
    _write(root, "etc/hostname", "sandbox\n")
    _write(root, "etc/hosts", "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost\n")
    _write(root, "etc/resolv.conf", "")  # copied from the host by debootstrap; no network here
    accounts = ROOTFS_RECIPE.accounts
    entries = {
        "etc/passwd": [f"{a.name}:x:{a.uid}:{a.uid}:{a.comment}:/work:/usr/sbin/nologin"
                       for a in accounts],
        "etc/group": [f"{a.name}:x:{a.uid}:" for a in accounts],
    }
    names, ids = {a.name for a in accounts}, {str(a.uid) for a in accounts}
    for relative, lines in entries.items():
        kept = []
        for line in (root / relative).read_text().splitlines():
            fields = line.split(":")
            if line and fields[0] not in names and (len(fields) < 3 or fields[2] not in ids):
                kept.append(line)
        _write(root, relative, "\n".join(kept + lines) + "\n")


_PRIVILEGE_XATTRS = ("security.capability", "system.posix_acl_access", "system.posix_acl_default")
_STRIPPED_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_IWGRP | stat.S_IWOTH


def _harden(root: Path) -> int:
    """Everything owned by root and writable by root alone; no setuid, setgid, file capability
    or ACL; nothing but files, directories and links. Returns the size of the files."""
    size = 0
    seen: set[int] = set()
    for path in _walk(root):
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            os.lchown(path, 0, 0)
            continue
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            os.unlink(path)  # device nodes, fifos, sockets
            continue
        for attribute in _PRIVILEGE_XATTRS:
            try:
                os.removexattr(path, attribute, follow_symlinks=False)
            except OSError:
                pass  # absent (ENODATA) or unsupported by the file system
        os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~_STRIPPED_BITS, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode) and info.st_ino not in seen:
            seen.add(info.st_ino)
            size += info.st_size
    return size


def _walk(root: Path) -> Iterator[str]:
    """``root`` and every path below it, without following links."""
    yield str(root)
    for directory, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            yield os.path.join(directory, name)


def _in_rootfs(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside ``root`` as the student: own /proc, pids and no network."""
    unshare = shutil.which("unshare", path=HOST_PATH)
    chroot = shutil.which("chroot", path=HOST_PATH)
    if unshare is None or chroot is None:
        raise ImageBuildError("unshare and chroot are needed to check the root file system")
    command = [unshare, "--mount", "--pid", "--fork", "--net", "--ipc", "--uts",
               f"--mount-proc={root / 'proc'}", chroot, f"--userspec={STUDENT_UID}:{STUDENT_UID}",
               str(root), *argv]
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", env=dict(BASE_ENV), timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ImageBuildError(f"{' '.join(argv)} took over {CHECK_TIMEOUT} s in the root file "
                              "system") from None


def _check(root: Path) -> dict[str, str]:
    """Each toolchain runs, and every language profile finds its executables; their versions."""
    required = sorted({p for name in language_names() for p in get_language(name).requires})
    checks = [*ROOTFS_RECIPE.checks,
              ("/bin/sh", "-c", 'for p; do test -x "$p" || { echo "missing $p"; exit 1; }; done',
               "sh", *required)]
    versions: dict[str, str] = {}
    for argv in checks:
        done = _in_rootfs(root, list(argv))
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise ImageBuildError(f"`{' '.join(argv)}` failed in the root file system "
                                  f"(exit {done.returncode}): {output}")
        if argv[0] != "/bin/sh":
            versions[" ".join(argv)] = output.splitlines()[0] if output else ""
    return versions


def _packages(root: Path) -> dict[str, str]:
    done = _in_rootfs(root, ["/usr/bin/dpkg-query", "-W", "-f=${Package} ${Version}\n"])
    if done.returncode != 0:
        raise ImageBuildError(f"dpkg-query failed in the root file system: {done.stderr}")
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def _remove_tree(path: Path) -> None:
    """Delete a build directory; what a crashed debootstrap left mounted there goes first."""
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as mounts:
        points = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
                  for line in mounts]
    for point in sorted((p for p in points if p.startswith(real + "/")), key=len, reverse=True):
        if subprocess.run(["umount", "--lazy", point], env={"PATH": HOST_PATH}).returncode != 0:
            raise ImageBuildError(f"{point} is mounted inside {path}; unmount it and retry")
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _ensure_tarball(build: Path, progress: Progress) -> tuple[Path, bool]:
    tarball = build / "rootfs.tar"
    if tarball.is_file():
        return tarball, False
    tar = shutil.which("tar", path=HOST_PATH)
    if tar is None:
        raise ImageBuildError("GNU tar is needed to make the image's tarball")
    partial = build / "rootfs.tar.part"
    progress(f"sandbox: writing {tarball}")
    done = subprocess.run([tar, "--create", f"--file={partial}", f"--directory={build / 'rootfs'}",
                           "--numeric-owner", "--one-file-system", "--sort=name", "."],
                          capture_output=True, text=True, env={"PATH": HOST_PATH, "LANG": "C"})
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ImageBuildError(f"tar failed (exit {done.returncode}): {done.stderr.strip()}")
    os.replace(partial, tarball)
    return tarball, True


def _ensure_image(client: Any, cache: Path, progress: Progress) -> tuple[bool, bool]:
    """(tarball built, image built)."""
    if docker_image_ready(client):
        return False, False
    rootfs, _ = _ensure_rootfs(cache, progress)
    tarball, tarball_built = _ensure_tarball(rootfs.parent, progress)
    progress(f"sandbox: importing {tarball} as {image_tag()}")
    changes = ["WORKDIR /work", f"LABEL {FINGERPRINT_LABEL}={fingerprint()}",
               "ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8"]
    repository, tag = image_tag().split(":")
    answer = client.api.import_image_from_file(str(tarball), repository=repository, tag=tag,
                                               changes=changes)
    for line in str(answer).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("error"):
            raise ImageBuildError(f"docker import failed: {message['error']}")
    if not docker_image_ready(client):
        raise ImageBuildError(f"docker import finished but {image_tag()} is not there: {answer}")
    return tarball_built, True
