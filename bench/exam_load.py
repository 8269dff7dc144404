"""Exam load: N simulated students join, autosave every 10 s and submit, over real Socket.IO.

    python bench/exam_load.py --students 500 2000 5000 --duration 60 --baseline

For each N, against a production-shaped server on this machine (PostgreSQL,
the Redis message queue and broker, a Celery worker, `ardoise serve` under
gevent), with the students spread over one or more generator processes
(bench/exam_load_students.py, asyncio + socketio.AsyncClient):

1. the start-attempt storm: all N connect, start (REST) and join within
   ``--storm`` seconds, spread uniformly; join latency = REST start + join ack;
2. steady autosave: each student saves one answer every ``--interval``
   seconds from a random offset, for ``--duration`` seconds, seq increasing;
3. submit: each student submits at a random moment of ``--submit-window``;

then every acknowledged save is looked up in ``answer_log`` (lost saves must
be 0) and every receipt is compared with the database. ``--baseline`` runs the
same scenario at the smallest N against the embedded default (SQLite, no
Redis, in-process tasks) in the same invocation. CPU is sampled from /proc
for the server, the Celery worker, PostgreSQL and Redis at each phase
boundary; the generators report their own rusage. Escalation stops at the
first N the machine cannot hold (failed joins or save errors above 1 %).
Everything runs on 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exam_load_data import audit, count_graded, drop_pg_database, recreate_pg_database, seed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TICKS = os.sysconf("SC_CLK_TCK")
GOAL_STUDENTS, GOAL_P99_MS = 5000, 100.0


# -- small utilities ------------------------------------------------------------------------
def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def sleep_until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        time.sleep(delay)


# -- CPU from /proc -------------------------------------------------------------------------
def proc_cpu(groups: dict[str, set[int]]) -> dict[str, float]:
    """CPU seconds so far, by group: ``groups`` names process-group ids (our children each
    lead their own); PostgreSQL and Redis are found by name; plus the whole machine."""
    totals: Counter[str] = Counter()
    by_pgrp = {pgid: name for name, pgids in groups.items() for pgid in pgids}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # utime + stime, plus cutime + cstime: the postmaster keeps the CPU of the
        # backends it reaped (the pool closes its overflow connections as it goes).
        seconds = sum(int(v) for v in fields[11:15]) / TICKS
        if int(fields[2]) in by_pgrp:
            totals[by_pgrp[int(fields[2])]] += seconds
        elif comm == "postgres":
            totals["postgres"] += seconds
        elif comm.startswith("redis-server"):
            totals["redis"] += seconds
    totals["machine"] = machine_busy()
    totals["wall"] = time.time()
    return dict(totals)


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait)."""
    with open("/proc/stat") as stat:
        parts = [int(v) for v in stat.readline().split()[1:8]]
    return (sum(parts) - parts[3] - parts[4]) / TICKS


def background_load(seconds: float = 3.0) -> float:
    """Share of one core (in %) the machine spends on other work while we are idle."""
    cpu0, wall0 = machine_busy(), time.monotonic()
    time.sleep(seconds)
    return 100 * (machine_busy() - cpu0) / (time.monotonic() - wall0)


def wait_for_quiet(limit_s: float, threshold: float = 25.0) -> float:
    """Wait (at most ``limit_s``) until other work uses under ``threshold`` % of a core."""
    deadline = time.monotonic() + limit_s
    load = background_load()
    while load > threshold and time.monotonic() < deadline:
        print(f"  machine busy with other work ({load:.0f} % of a core); waiting", flush=True)
        time.sleep(10)
        load = background_load()
    return load


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# -- child processes --------------------------------------------------------------------------
class Child:
    """A child process in its own session (so that it and its children stop together)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         cwd=REPO)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def exceptions_in(log: str) -> Counter[str]:
    """The exceptions of the tracebacks in a log, counted by their last line."""
    kinds: Counter[str] = Counter()
    inside = False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            inside = True
        elif inside and line and not line[0].isspace():
            kinds[line[:140]] += 1
            inside = False
    return kinds


def wait_healthy(url: str, child: Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{child.name} not healthy in {timeout}s:\n{child.tail()}")


# -- one scenario ----------------------------------------------------------------------------
@dataclass
class Outcome:
    deployment: str
    students: int
    generators: int
    joined: int = 0
    connect_p50: float | None = None
    connect_p99: float | None = None
    join_p50: float | None = None
    join_p95: float | None = None
    join_p99: float | None = None
    saves_acked: int = 0
    saves_attempted: int = 0
    saves_per_s: float = 0.0
    offered_per_s: float = 0.0
    save_p50: float | None = None
    save_p95: float | None = None
    save_p99: float | None = None
    save_max: float | None = None
    submitted: int = 0
    submit_p50: float | None = None
    submit_p99: float | None = None
    errors: dict[str, int] = field(default_factory=dict)
    disconnects: int = 0
    lost_saves: int = 0
    audit: dict[str, int] = field(default_factory=dict)
    graded_30s: int = 0
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    generator_cpu_s: float = 0.0
    generator_loop_lag_p99: float | None = None
    generator_loop_lag_max: float | None = None
    server_rss_mb: float | None = None
    server_log_errors: int = 0
    server_exceptions: Counter[str] = field(default_factory=Counter)
    pg_sessions: int | None = None  # PostgreSQL connections opened during the run
    seed_s: float = 0.0
    background: float = 0.0  # % of one core busy before the scenario started (other work)
    held: bool = False
    note: str = ""


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDOISE_")}
    env.update({"ARDOISE_SECRET_KEY": "bench", "PYTHONUNBUFFERED": "1"})
    return env


def run_scenario(args: argparse.Namespace, workdir: Path, production: bool,
                 students: int) -> Outcome:
    label = "production" if production else "embedded"
    generators = args.generators or max(1, min(4, math.ceil(students / 2500)))
    nodes = args.web_nodes if production else 1
    out = Outcome(label if nodes == 1 else f"{label} ×{nodes} web", students, generators)
    data_dir = workdir / f"{label}-{students}"
    data_dir.mkdir(parents=True)
    env = base_env()
    if production:
        url = recreate_pg_database(args.pg_admin, args.db_name)
        redis.Redis.from_url(args.redis_url).flushdb()
        env.update({"ARDOISE_DATABASE_URL": url, "ARDOISE_REDIS_URL": args.redis_url})
    else:
        url = f"sqlite:///{(data_dir / 'ardoise.db').resolve()}"
    py = [sys.executable, "-m", "ardoise", "--data-dir", str(data_dir)]
    subprocess.run([*py, "db", "upgrade"], env=env, cwd=REPO, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    began = time.monotonic()
    seeded = seed(url, students)
    out.seed_s = time.monotonic() - began
    print(f"  seeded {students} students in {out.seed_s:.0f} s", flush=True)

    children: list[Child] = []
    try:
        out.background = wait_for_quiet(args.quiet_wait)
        worker = None
        if production:
            worker = Child("worker", [*py, "worker"], env, data_dir / "worker.log")
            children.append(worker)
        servers, urls = [], []
        for node in range(nodes):
            port = free_port()
            serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
            if node:
                serve.append("--no-sweeper")  # one sweeper is enough on one machine
            if args.serve_form == "flag":
                server_args, server_env = [*py, *serve], env
            else:
                # Before eff05e4, `ardoise --data-dir DIR serve` skipped gevent's monkey
                # patching; the data dir in the environment was the way round it.
                server_args = [sys.executable, "-m", "ardoise", *serve]
                server_env = {**env, "ARDOISE_DATA_DIR": str(data_dir)}
            servers.append(Child(f"server-{node}", server_args, server_env,
                                 data_dir / f"server-{node}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        children.extend(servers)
        for server, server_url in zip(servers, urls, strict=True):
            wait_healthy(server_url, server)

        sessions_before = pg_sessions(args, production)
        t0 = time.time() + 5 + students / 2000  # generators import and build their tasks
        t1 = t0 + args.storm + 2
        t2 = t1 + args.duration
        spec = {"urls": urls, "sitting_id": seeded["sitting_id"],
                "tokens": seeded["tokens"], "students": students, "storm": args.storm,
                "interval": args.interval, "submit_window": args.submit_window,
                "ack_timeout": args.ack_timeout, "seed": args.seed,
                "t0": t0, "t1": t1, "t2": t2}
        spec_path = data_dir / "spec.json"
        spec_path.write_text(json.dumps(spec))
        outputs = [data_dir / f"generator-{g}.json" for g in range(generators)]
        gens = [Child(f"generator-{g}",
                      [sys.executable, str(HERE / "exam_load_students.py"), str(spec_path),
                       str(g), str(generators), str(outputs[g])],
                      env, data_dir / f"generator-{g}.log") for g in range(generators)]
        children.extend(gens)
        groups = {"server": {s.pid for s in servers}, "generators": {g.pid for g in gens},
                  "worker": {worker.pid} if worker else set()}

        profiler = None
        snapshots = {}
        for name, at in (("t0", t0), ("t1", t1)):
            sleep_until(at)
            snapshots[name] = proc_cpu(groups)
        if args.profile and production:
            profiler = start_profiler(args, servers[0].pid, students)
        sleep_until(t2)
        snapshots["t2"] = proc_cpu(groups)
        out.server_rss_mb = sum(rss_mb(s.pid) or 0 for s in servers)
        limit = t2 + args.submit_window + args.ack_timeout + 60
        for gen in gens:
            try:
                gen.proc.wait(max(1.0, limit - time.time()))
            except subprocess.TimeoutExpired:
                gen.stop()
                out.note += f"{gen.name} overran; "
        snapshots["t3"] = proc_cpu(groups)
        sessions_after = pg_sessions(args, production)
        if sessions_before is not None and sessions_after is not None:
            out.pg_sessions = sessions_after - sessions_before
        if profiler is not None:
            profiler.wait(30)
        out.cpu = cpu_phases(snapshots)
        results = [json.loads(p.read_text()) for p in outputs if p.exists()]
        if len(results) < generators:
            out.note += "a generator wrote no results; "
            for gen in gens:
                print(gen.tail(), file=sys.stderr)
        summarise(out, results, args)
        out.audit = asdict(audit(url, merged(results, "acked"), merged(results, "receipts")))
        out.lost_saves = out.audit["lost"]
        deadline = time.monotonic() + 30  # the worker grades submitted attempts meanwhile
        while time.monotonic() < deadline and out.audit["submitted_in_db"]:
            out.graded_30s = count_graded(url)
            if out.graded_30s >= out.audit["submitted_in_db"]:
                break
            time.sleep(1)
        for server in servers:
            kinds = exceptions_in(server.log.read_text(errors="replace"))
            out.server_exceptions.update(kinds)
            out.server_log_errors += sum(kinds.values())
            if not server.alive():
                out.note += f"{server.name} died; "
    finally:
        for child in reversed(children):
            child.stop()
    failed_joins = students - out.joined
    save_errors = out.saves_attempted - out.saves_acked
    out.held = (failed_joins <= students * 0.01
                and save_errors <= max(1, out.saves_attempted) * 0.01
                and out.saves_per_s >= 0.9 * out.offered_per_s and out.lost_saves == 0)
    return out


def pg_sessions(args: argparse.Namespace, production: bool) -> int | None:
    """Sessions PostgreSQL has opened on the bench database so far (pg_stat_database)."""
    if not production:
        return None
    conn = psycopg2.connect(args.pg_admin, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s",
                        (args.db_name,))
            row = cur.fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else None


def start_profiler(args: argparse.Namespace, pid: int, students: int) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    target = Path(args.profile) / f"server-{students}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration",
                             str(int(args.duration)), "--rate", "50", "--format", "raw",
                             "--nonblocking", "--output", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_phases(snapshots: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per phase and component: CPU used as a share of one core, in percent."""
    phases = {"storm": ("t0", "t1"), "steady": ("t1", "t2"), "submit": ("t2", "t3")}
    result: dict[str, dict[str, float]] = {}
    for phase, (a, b) in phases.items():
        before, after = snapshots[a], snapshots[b]
        wall = max(1e-3, after["wall"] - before["wall"])
        result[phase] = {k: 100 * (after.get(k, 0) - before.get(k, 0)) / wall
                         for k in ("server", "worker", "postgres", "redis", "generators",
                                   "machine")}
        result[phase]["other"] = result[phase]["machine"] - sum(
            result[phase][k] for k in ("server", "worker", "postgres", "redis", "generators"))
        result[phase]["seconds"] = wall
    return result


def merged(results: list[dict[str, Any]], key: str) -> dict[str, Any]:
    combined: dict[str, Any] = {}
    for result in results:
        combined.update(result[key])
    return combined


def summarise(out: Outcome, results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    def joined(key: str) -> list[float]:
        return [v for r in results for v in r[key]]

    connect, join, save, submit = (joined(k) for k in ("connect_ms", "join_ms", "save_ms",
                                                          "submit_ms"))
    out.joined = sum(r["joined"] for r in results)
    out.connect_p50, out.connect_p99 = pct(connect, 50), pct(connect, 99)
    out.join_p50, out.join_p95, out.join_p99 = pct(join, 50), pct(join, 95), pct(join, 99)
    out.save_p50, out.save_p95, out.save_p99 = pct(save, 50), pct(save, 95), pct(save, 99)
    out.save_max = max(save) if save else None
    out.saves_acked = len(save)
    out.saves_attempted = sum(r["save_attempts"] for r in results)
    out.saves_per_s = sum(r["saves_in_window"] for r in results) / args.duration
    out.offered_per_s = out.students / args.interval
    out.submitted = sum(r["submitted"] for r in results)
    out.submit_p50, out.submit_p99 = pct(submit, 50), pct(submit, 99)
    errors: Counter[str] = Counter()
    for r in results:
        errors.update({k: v for k, v in r["errors"].items() if v})
    out.errors = dict(errors)
    out.disconnects = sum(r["disconnects"] for r in results)
    out.generator_cpu_s = sum(r["cpu_user_s"] + r["cpu_sys_s"] for r in results)
    lags = joined("loop_lag_ms")
    out.generator_loop_lag_p99 = pct(lags, 99)
    out.generator_loop_lag_max = max(lags) if lags else None


# -- report ------------------------------------------------------------------------------------
def per_save(o: Outcome, key: str) -> str:
    """CPU milliseconds of ``key`` per acknowledged save during steady autosave."""
    if not o.cpu or not o.saves_per_s:
        return "–"
    return f"{10 * o.cpu['steady'][key] / o.saves_per_s:.1f}"


def table(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    run_s = args.storm + 2 + args.duration + args.submit_window
    rows = ["| deployment | N | joined | join p50 / p95 / p99 ms | saves/s (offered) "
            "| save ack p50 / p95 / p99 / max ms | save errors | submit p50 / p99 ms "
            "| lost saves | held |", "|" + "---|" * 10]
    for o in outcomes:
        errors = o.saves_attempted - o.saves_acked
        rows.append(
            f"| {o.deployment} | {o.students} | {o.joined} "
            f"| {fmt(o.join_p50)} / {fmt(o.join_p95)} / {fmt(o.join_p99)} "
            f"| {o.saves_per_s:.1f} ({o.offered_per_s:.0f}) "
            f"| {fmt(o.save_p50, 1)} / {fmt(o.save_p95, 1)} / {fmt(o.save_p99, 1)} / "
            f"{fmt(o.save_max)} | {errors} of {o.saves_attempted} "
            f"| {fmt(o.submit_p50)} / {fmt(o.submit_p99)} | {o.lost_saves} "
            f"| {'yes' if o.held else 'NO'} |")
    rows += ["", "CPU in % of one core (the machine has "
             f"{os.cpu_count()} cores = {100 * (os.cpu_count() or 1)} %), storm / steady:", "",
             "| deployment | N | web server | PostgreSQL | Redis | Celery worker "
             "| generators (procs; CPU s over the run) | other work | whole machine "
             "| gen. loop lag p99 / max ms | server RSS MB | CPU ms per save: web / PG |",
             "|" + "---|" * 12]
    for o in outcomes:
        c = o.cpu

        def both(key: str, c: dict[str, dict[str, float]] = c) -> str:
            return f"{fmt(c['storm'][key])} / {fmt(c['steady'][key])}" if c else "–"

        rows.append(
            f"| {o.deployment} | {o.students} | {both('server')} | {both('postgres')} "
            f"| {both('redis')} | {both('worker')} | {both('generators')} ({o.generators}; "
            f"{o.generator_cpu_s:.0f} s = {100 * o.generator_cpu_s / run_s:.0f} %) "
            f"| {both('other')} | {both('machine')} "
            f"| {fmt(o.generator_loop_lag_p99)} / {fmt(o.generator_loop_lag_max)} "
            f"| {fmt(o.server_rss_mb)} | {per_save(o, 'server')} / {per_save(o, 'postgres')} |")
    rows += [""]
    for o in outcomes:
        a = o.audit
        rows.append(
            f"- {o.deployment} N={o.students}: errors {o.errors or 'none'}; unexpected "
            f"disconnects {o.disconnects}; acked saves {a.get('acked')}, lost {a.get('lost')}, "
            f"hash mismatches {a.get('hash_mismatch')}, attempts short "
            f"{a.get('attempts_short')}, stored without ack {a.get('stored_unacked')}; "
            f"submitted {o.submitted} (in db {a.get('submitted_in_db')}), receipts wrong "
            f"{a.get('receipts_wrong')}, graded within 30 s {o.graded_30s}; connect p50/p99 "
            f"{fmt(o.connect_p50)}/{fmt(o.connect_p99)} ms; PostgreSQL connections opened "
            f"{fmt(o.pg_sessions)}; tracebacks in server log {o.server_log_errors} "
            f"{dict(o.server_exceptions) or ''}; seeding {o.seed_s:.0f} s; other work before "
            f"the run {o.background:.0f} % of a core. {o.note}".rstrip())
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--duration", type=float, default=60, help="steady autosave seconds")
    parser.add_argument("--storm", type=float, default=60, help="seconds to start+join all")
    parser.add_argument("--interval", type=float, default=10, help="seconds between saves")
    parser.add_argument("--submit-window", type=float, default=10)
    parser.add_argument("--ack-timeout", type=float, default=30)
    parser.add_argument("--baseline", action="store_true",
                        help="also run the smallest N against the embedded default (SQLite)")
    parser.add_argument("--generators", type=int, default=0,
                        help="generator processes (default: one per 2,500 students)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--web-nodes", type=int, default=1,
                        help="production web processes sharing rooms through Redis; students "
                             "are spread over them as a sticky load balancer would")
    parser.add_argument("--quiet-wait", type=float, default=120,
                        help="wait at most this long for other work on the machine to stop")
    parser.add_argument("--keep-going", action="store_true",
                        help="escalate even past an N the machine does not hold")
    parser.add_argument("--serve-form", choices=["flag", "env"], default="flag",
                        help="give the server its data dir by `--data-dir DIR serve` (flag) "
                             "or by ARDOISE_DATA_DIR (env)")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-name", default="ardoise_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy the server during steady autosave (raw stacks in DIR)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.students) or args.duration <= 0 or args.storm <= 0 or \
            not 1 <= args.web_nodes <= 4:
        parser.error("student counts and durations must be positive")
    for url in (args.pg_admin, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error("this benchmark only talks to services on 127.0.0.1")
    return args


def jsonable(value: Any) -> Any:
    """JSON-ready copy: tuple keys (per-code counters) become "a/b" strings."""
    if isinstance(value, dict):
        return {("/".join(map(str, k)) if isinstance(k, tuple) else k): jsonable(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python bench/exam_load.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    nofile = raise_nofile()
    print(f"command: {command}")
    print(f"machine: {os.cpu_count()} CPUs; open files limit {nofile}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="ardoise-bench-"))
    scenarios = [(False, min(args.students))] if args.baseline else []
    scenarios += [(True, n) for n in sorted(set(args.students))]
    outcomes: list[Outcome] = []
    try:
        for production, students in scenarios:
            label = "production" if production else "embedded"
            print(f"\n== {label}, {students} students", flush=True)
            outcome = run_scenario(args, workdir, production, students)
            outcomes.append(outcome)
            print(table([outcome], args), flush=True)
            if production and not outcome.held and not args.keep_going:
                print(f"  the machine does not hold {students} students: not escalating")
                break
    finally:
        try:
            drop_pg_database(args.pg_admin, args.db_name)
            redis.Redis.from_url(args.redis_url).flushdb()
        except Exception as error:  # report, but never hide the figures
            print(f"cleanup failed: {error}", file=sys.stderr)
        if args.keep:
            print(f"data dirs and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ncommand: {command}\n")
    print(table(outcomes, args))
    if args.json:
        Path(args.json).write_text(json.dumps(jsonable([asdict(o) for o in outcomes]),
                                              indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
