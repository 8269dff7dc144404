"""The sandbox's root file system and Docker image: built for real once, then from the cache."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import stat
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from docker import DockerClient

from sandbox import images
from sandbox.images import (
    FINGERPRINT_LABEL,
    ROOTFS_RECIPE,
    RUNNER_UID,
    STUDENT_UID,
    BuildReport,
    build_all,
    build_dir,
    build_rootfs,
    cache_dir,
    docker_image_ready,
    fingerprint,
    image_tag,
    prune,
    rootfs_path,
)

#: How a backend runs the image: the settings the image must work under.
CONFINED = {"network_mode": "none", "read_only": True, "user": f"{STUDENT_UID}:{STUDENT_UID}",
            "cap_drop": ["ALL"], "security_opt": ["no-new-privileges"], "remove": True,
            "stdout": True, "stderr": True}


@pytest.fixture(scope="module")
def client() -> Iterator[DockerClient]:
    """The real engine; a missing one fails the tests, it never skips them."""
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"a Docker engine is required (scripts/sandbox-services.sh starts one): "
                    f"{error}", pytrace=False)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def built(client: DockerClient) -> BuildReport:
    """The real cache (``cache_dir()``): built once when missing, reused by every later run."""
    return build_all(client)


def fake_build(cache: Path, fp: str) -> Path:
    rootfs = build_dir(cache) / "rootfs"
    rootfs.mkdir(parents=True)
    (rootfs.parent / images.MARKER).write_text(json.dumps({"fingerprint": fp}))
    return rootfs


def test_the_fingerprint_follows_the_recipe() -> None:
    assert fingerprint() == fingerprint(dataclasses.replace(ROOTFS_RECIPE))
    changed = [
        dataclasses.replace(ROOTFS_RECIPE, packages=(*ROOTFS_RECIPE.packages, "ruby")),
        dataclasses.replace(ROOTFS_RECIPE, suite="trixie"),
        dataclasses.replace(ROOTFS_RECIPE, version=ROOTFS_RECIPE.version + 1),
        dataclasses.replace(ROOTFS_RECIPE, trimmed=ROOTFS_RECIPE.trimmed[1:]),
    ]
    assert len({fingerprint(), *map(fingerprint, changed)}) == 1 + len(changed)
    assert image_tag() == f"ardoise-sandbox:{fingerprint()[:12]}"
    assert build_dir(Path("/c")) == Path(f"/c/bookworm-{fingerprint()[:12]}")


def test_the_cache_lives_outside_the_checkout(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.delenv("ARDOISE_SANDBOX_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == Path.home() / ".cache/ardoise/sandbox"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg/ardoise/sandbox"
    monkeypatch.setenv("ARDOISE_SANDBOX_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_a_build_without_its_marker_is_not_a_root_file_system(tmp_path: Path) -> None:
    rootfs = build_dir(tmp_path) / "rootfs"
    rootfs.mkdir(parents=True)
    assert rootfs_path(tmp_path) is None
    (rootfs.parent / images.MARKER).write_text(json.dumps({"fingerprint": "0" * 64}))
    assert rootfs_path(tmp_path) is None
    (rootfs.parent / images.MARKER).write_text(json.dumps({"fingerprint": fingerprint()}))
    assert rootfs_path(tmp_path) == rootfs


def test_a_second_build_waits_for_the_first_and_reuses_it(tmp_path: Path) -> None:
    messages: list[str] = []
    outcome: list[Path] = []
    with open(tmp_path / images.LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the "first build", still running
        waiting = threading.Thread(target=lambda: outcome.append(
            build_rootfs(tmp_path, progress=messages.append)))
        waiting.start()
        deadline = time.monotonic() + 10
        while not messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert messages and "waiting for another build" in messages[0]
        assert waiting.is_alive()
        finished = fake_build(tmp_path, fingerprint())
    waiting.join(timeout=10)
    assert outcome == [finished]
    assert len(messages) == 1, messages


def test_the_root_file_system_is_root_owned_and_unprivileged(built: BuildReport) -> None:
    problems = []
    for directory, dirnames, filenames in os.walk(built.rootfs):
        for name in (*dirnames, *filenames):
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                continue
            kind_ok = stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)
            bits = info.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IWGRP | stat.S_IWOTH)
            if not kind_ok or bits or info.st_uid != 0 or info.st_gid != 0:
                problems.append(f"{path} {stat.filemode(info.st_mode)} {info.st_uid}:{info.st_gid}")
            if "security.capability" in os.listxattr(path, follow_symlinks=False):
                problems.append(f"{path} has file capabilities")
    assert problems == []
    assert os.listdir(built.rootfs / "dev") == []


def test_the_root_file_system_has_its_mount_points_and_accounts(built: BuildReport) -> None:
    root = built.rootfs
    for mount_point in ("work", "tmp", "proc"):
        assert (root / mount_point).is_dir() and not (root / mount_point).is_symlink()
    assert os.listdir(root / "work") == []
    passwd = (root / "etc/passwd").read_text().splitlines()
    group = (root / "etc/group").read_text().splitlines()
    assert f"runner:x:{RUNNER_UID}:{RUNNER_UID}:Ardoise sandbox runner:/work:/usr/sbin/nologin" \
        in passwd
    assert any(line.startswith(f"student:x:{STUDENT_UID}:{STUDENT_UID}:") for line in passwd)
    assert f"runner:x:{RUNNER_UID}:" in group and f"student:x:{STUDENT_UID}:" in group
    assert not list((root / "usr/share/man").iterdir())
    assert not list((root / "var/cache/apt").iterdir())
    manifest = json.loads((root.parent / images.MARKER).read_text())
    assert manifest["fingerprint"] == fingerprint()
    assert set(ROOTFS_RECIPE.packages) <= set(manifest["packages"])


def test_the_image_carries_the_recipe_label(client: DockerClient, built: BuildReport) -> None:
    assert built.image == image_tag()
    assert docker_image_ready(client)
    image = client.images.get(image_tag())
    assert image.labels[FINGERPRINT_LABEL] == fingerprint()
    assert image.attrs["Config"]["WorkingDir"] == "/work"
    assert not image.attrs["Config"].get("User")


@pytest.mark.parametrize(("argv", "expected"), [
    (["python3", "-c", "print(1+1)"], "2\n"),
    (["node", "-e", "console.log(6 * 7)"], "42\n"),
    (["java", "-version"], 'openjdk version "17.'),
    (["javac", "-version"], "javac 17."),
    (["gcc", "--version"], "gcc (Debian 12."),
    (["g++", "--version"], "g++ (Debian 12."),
    (["id"], f"uid={STUDENT_UID}(student) gid={STUDENT_UID}(student)"),
])
def test_a_confined_container_runs_each_toolchain(client: DockerClient, built: BuildReport,
                                                  argv: list[str], expected: str) -> None:
    output = client.containers.run(image_tag(), argv, **CONFINED).decode()
    assert output.startswith(expected), output


C_SOURCE = '#include <stdio.h>\nint main(void) { printf("%d\\n", 6 * 7); return 0; }\n'
CPP_SOURCE = "#include <iostream>\nint main() { std::cout << 6 * 7 << std::endl; }\n"
JAVA_SOURCE = "class Main { public static void main(String[] a) { System.out.println(42); } }\n"


def test_programs_compile_and_run_in_a_confined_container(client: DockerClient,
                                                          built: BuildReport) -> None:
    script = ('printf %s "$C_SOURCE" > main.c && gcc -O2 -o c main.c -lm && ./c'
              ' && printf %s "$CPP_SOURCE" > main.cpp && g++ -O2 -o cpp main.cpp && ./cpp'
              ' && printf %s "$JAVA_SOURCE" > Main.java && javac -J-XX:-UsePerfData Main.java'
              ' && java -XX:-UsePerfData -cp . Main')
    output = client.containers.run(
        image_tag(), ["/bin/sh", "-c", script], **CONFINED,
        environment={"C_SOURCE": C_SOURCE, "CPP_SOURCE": CPP_SOURCE, "JAVA_SOURCE": JAVA_SOURCE},
        tmpfs={"/work": f"rw,exec,nosuid,nodev,size=64m,uid={STUDENT_UID},gid={STUDENT_UID}"},
    ).decode()
    assert output == "42\n42\n42\n"


def test_a_second_build_rebuilds_nothing(client: DockerClient, built: BuildReport) -> None:
    again = build_all(client)
    assert not again.built_anything
    assert (again.rootfs, again.image, again.fingerprint) == (built.rootfs, built.image,
                                                              built.fingerprint)
    without_docker = build_all(None)
    assert (without_docker.image, without_docker.built_anything) == (None, False)


def test_prune_removes_what_other_recipes_left(client: DockerClient, built: BuildReport,
                                               tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    current = fake_build(cache, fingerprint())
    stale = [cache / "bookworm-000000000000", cache / ".build-crashed"]
    for path in stale:
        (path / "rootfs").mkdir(parents=True)
    (cache / "notes.txt").write_text("not ours")
    old_tag = "ardoise-sandbox:000000000000"
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w") as archive:
        archive.addfile(tarfile.TarInfo("marker"))
    client.api.import_image_from_file(str(empty), repository="ardoise-sandbox",
                                      tag="000000000000",
                                      changes=[f"LABEL {FINGERPRINT_LABEL}={'0' * 64}"])
    report = prune(client, cache, progress=lambda _: None)
    assert sorted(report.removed_paths) == sorted(stale)
    assert report.removed_images == (old_tag,)
    assert current.is_dir() and (cache / "notes.txt").exists()
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(old_tag)
    assert docker_image_ready(client)
