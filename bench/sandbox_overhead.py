"""Sandbox overhead: a trivial and a 100-ms CPU-bound Python program, side by side.

    python bench/sandbox_overhead.py --runs 60 --throughput-runs 120

In one invocation, on this machine, each program is run:

* ``bare``: ``/usr/bin/python3 main.py`` on the host, no confinement (the baseline);
* ``process``: through the process backend (bubblewrap, cgroups, seccomp, slot uid);
* ``docker``: through the Docker backend (a warm pool with a resident runner);
* ``docker-run``: a hardened ``docker run --rm`` per execution, as most graders do.

Latency rounds are interleaved (one run of each mode in turn) so that drift in the
machine's load hits every mode alike; the figures are the median and p95 wall time seen
by the caller, and the median's overhead over ``bare``. Throughput runs
``--throughput-runs`` programs through each mode with ``--concurrency`` callers at once
and reports runs per second. Prints a Markdown table and writes ``--json`` if asked.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.backends.docker import DockerBackend  # noqa: E402
from sandbox.backends.process import ProcessBackend  # noqa: E402
from sandbox.images import STUDENT_UID, image_tag  # noqa: E402
from sandbox.spec import Limits, RunSpec, Status  # noqa: E402

PROGRAMS = {
    "trivial": "pass\n",
    "cpu100": ("import time\nend = time.process_time() + 0.1\n"
               "while time.process_time() < end:\n    pass\n"),
}
LIMITS = Limits(cpu_seconds=2, memory_mb=256, processes=64)

Runner = Callable[[str], None]


def bare_runner(workdir: Path) -> Runner:
    def run(source: str) -> None:
        path = workdir / f"main-{os.getpid()}-{time.monotonic_ns()}.py"
        path.write_text(source)
        try:
            subprocess.run(["/usr/bin/python3", str(path)], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        finally:
            path.unlink()
    return run


def backend_runner(backend: ProcessBackend | DockerBackend) -> Runner:
    def run(source: str) -> None:
        result = backend.run(RunSpec(language="python3", files={"main.py": source},
                                     limits=LIMITS))
        if result.status is not Status.OK:
            raise RuntimeError(f"{backend.name}: {result.status}: {result.stderr[-300:]}")
    return run


def docker_run_argv() -> list[str]:
    return ["docker", "run", "--rm", "-i", "--network", "none", "--read-only",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--user", f"{STUDENT_UID}:{STUDENT_UID}", "--pids-limit", "64",
            "--memory", "256m", "--memory-swap", "256m", "--cpus", "1",
            "--tmpfs", f"/work:size=64m,uid={STUDENT_UID},gid={STUDENT_UID}",
            "-w", "/work", image_tag(), "python3", "-"]


def docker_run_runner() -> Runner:
    argv = docker_run_argv()

    def run(source: str) -> None:
        subprocess.run(argv, input=source.encode(), check=True, stdout=subprocess.DEVNULL)
    return run


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(runners: dict[str, Runner], source: str, runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            started = time.perf_counter()
            run(source)
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def throughput(run: Runner, source: str, runs: int, concurrency: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(run, source) for _ in range(runs)]:
            future.result()
    return runs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="latency rounds per program")
    parser.add_argument("--throughput-runs", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="callers at once in the throughput phase")
    parser.add_argument("--modes", nargs="+", default=["bare", "process", "docker", "docker-run"])
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ardoise-bench-"))
    process = ProcessBackend(slots=args.concurrency)
    docker = DockerBackend(pool_size=args.concurrency)
    makers: dict[str, Callable[[], Runner]] = {
        "bare": lambda: bare_runner(workdir),
        "process": lambda: backend_runner(process),
        "docker": lambda: backend_runner(docker),
        "docker-run": docker_run_runner,
    }
    for name, backend in (("process", process), ("docker", docker)):
        if name in args.modes and backend.missing():
            sys.exit(f"{name} backend unavailable: {backend.missing()}")
    if "docker" in args.modes:
        docker.prewarm()
    runners = {name: makers[name]() for name in args.modes}
    for run in runners.values():  # warm caches (page cache, pools) before measuring
        for _ in range(3):
            run(PROGRAMS["trivial"])

    figures: dict[str, dict[str, dict[str, float]]] = {}
    for program, source in PROGRAMS.items():
        samples = latency(runners, source, args.runs if program == "trivial" else args.runs // 2)
        base = statistics.median(samples["bare"]) if "bare" in samples else 0.0
        for name, values in samples.items():
            median = statistics.median(values)
            figures.setdefault(name, {})[program] = {
                "median_ms": round(median, 1), "p95_ms": round(percentile(values, 0.95), 1),
                "overhead_ms": round(median - base, 1)}
    for program, source in PROGRAMS.items():
        runs = args.throughput_runs if program == "trivial" else args.throughput_runs // 2
        for name, run in runners.items():
            figures[name][program]["runs_per_s"] = round(
                throughput(run, source, runs, args.concurrency), 1)
    docker.close()

    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    print(f"{command}\n")
    print(f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{args.runs} trivial / {args.runs // 2} cpu100 latency rounds, "
          f"throughput with {args.concurrency} callers\n")
    print("| mode | program | median ms | p95 ms | over bare (median) | runs/s |")
    print("|---|---|---:|---:|---:|---:|")
    for name, per_program in figures.items():
        for program, f in per_program.items():
            print(f"| {name} | {program} | {f['median_ms']} | {f['p95_ms']} | "
                  f"{f['overhead_ms']:+} | {f['runs_per_s']} |")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "figures": figures}, indent=2))


if __name__ == "__main__":
    main()
