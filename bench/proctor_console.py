"""Proctor console: event-to-console latency and the console's server cost, N students live.

    python bench/proctor_console.py --students 2000 --duration 60

For each N, against the production-shaped server of bench/exam_load.py (PostgreSQL, the
Redis message queue and broker, a Celery worker, `ardoise serve` under gevent; all reused
from there), with one sitting whose integrity policy counts tab_hidden/tab_visible/copy/paste:

1. the start storm: the N students (asyncio ``socketio.AsyncClient`` in one or more generator
   processes, this file with ``--generator``) start (REST) and join within ``--storm`` s;
2. **baseline** (``--duration`` s, no console connected): each student saves an answer every
   ``--interval`` s and emits an ``integrity:event`` every ``--event-interval`` s, both from
   random offsets, types cycling tab_hidden, tab_visible, copy, paste;
3. **console** (``--duration`` s, same load): ``--consoles`` proctor consoles (this file with
   ``--console``, each its own process) joined the sitting on ``/proctor`` just before the
   phase; each records when every ``proctor:event`` arrives.

Latency = arrival on the console − the moment the student's process emitted the event
(``time.time()`` in both processes, one machine, one clock). A pushed event is matched to the
emitted event of the same attempt and type whose emission is the last one before the event's
``server_at`` (one student's events are seconds apart and acknowledged one at a time). Only
events emitted during the console phase are counted; an event acknowledged but not pushed
before the console leaves (``--drain`` s after the load stops) is lost. Server CPU (from
/proc) of the baseline phase against the console phase is the console's cost on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # proctoring/
from exam_load import (  # noqa: E402
    Child,
    base_env,
    exceptions_in,
    fmt,
    free_port,
    pct,
    proc_cpu,
    raise_nofile,
    rss_mb,
    sleep_until,
    wait_for_quiet,
    wait_healthy,
)
from exam_load_data import drop_pg_database, recreate_pg_database, seed  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GOAL_STUDENTS, GOAL_P99_MS = 2000, 500.0
EVENT_CYCLE = ("tab_hidden", "tab_visible", "copy", "paste")
COUNTED = ["copy", "paste", "tab_hidden", "tab_visible"]
THRESHOLDS = {"focus_losses": 3.0, "away_seconds": 30.0, "copy_paste": 4.0}
PROCTOR = "/proctor"
#: A web node's minute report of its group commits (ardoise/cli/server.py).
GROUP_LINE = re.compile(r"group commit of ([\w ]+): (\d+) in (\d+) transactions")


# -- seeding beyond exam_load's: the policy and a proctor with a token ------------------------
def seed_proctoring(url: str, sitting_id: str) -> str:
    """Give the sitting its integrity policy; create a proctor of its school; their token."""
    from ardoise.clock import utcnow
    from ardoise.db import Database
    from exam_engine import sittings
    from proctoring import policies
    from student_records import service as records
    from student_records.models import Organisation, Role

    database = Database(url)
    try:
        with database.session() as session:
            policies.set_policy(session, sitting_id, counted=COUNTED, thresholds=THRESHOLDS,
                                now=utcnow())
            sitting = sittings.get_sitting(session, sitting_id)
            school = session.get(Organisation, sitting.organisation_id)
            assert school is not None
            proctor = records.create_person(session, "bench-proctor", given_name="Bench",
                                            family_name="Proctor")
            records.assign_role(session, proctor, Role.PROCTOR, school)
            _token, clear = records.create_token(session, proctor, "bench")
            return clear
    finally:
        database.dispose()


# -- the students (``--generator``) ------------------------------------------------------------
async def student_main(index: int, clear: str, spec: dict[str, Any], http: Any,
                       rec: dict[str, Any]) -> None:
    import socketio
    from exam_load_students import make_response

    rng = random.Random(spec["seed"] * 1_000_003 + index)
    timeout = spec["ack_timeout"]
    url = spec["urls"][index % len(spec["urls"])]  # a sticky balancer spreads the students
    await asleep_until(spec["t0"] + index * spec["storm"] / spec["students"])
    sio = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False,
                               request_timeout=timeout)
    try:
        await asyncio.wait_for(sio.connect(url, namespaces=["/exam"], transports=["websocket"],
                                           auth={"token": clear}, wait_timeout=timeout),
                               timeout + 5)
    except Exception as error:
        rec["errors"][f"connect:{type(error).__name__}"] += 1
        await sio.disconnect()
        return
    try:
        import aiohttp
        async with http.post(f"{url}/api/v1/sittings/{spec['sitting_id']}/attempts", json={},
                             headers={"Authorization": f"Bearer {clear}"},
                             timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            body = await reply.json(content_type=None)
            if reply.status not in (200, 201):
                rec["errors"][f"start:http_{reply.status}"] += 1
                return
        attempt_id, slots = body["attempt_id"], body["slots"]
        ack = await sio.call("attempt:join", {"attempt_id": attempt_id,
                                              "device_id": f"bench-{attempt_id}"},
                             namespace="/exam", timeout=timeout)
        if not (isinstance(ack, dict) and ack.get("ok")):
            rec["errors"]["join:refused"] += 1
            return
        rec["joined"] += 1

        async def saves() -> None:
            offset, seq = rng.uniform(0, spec["interval"]), 0
            while (at := spec["t1"] + offset + seq * spec["interval"]) < spec["t3"]:
                await asleep_until(at)
                seq += 1
                slot = (seq - 1) % len(slots)
                began = time.perf_counter()
                try:
                    ack = await sio.call("attempt:save", {
                        "attempt_id": attempt_id, "slot": slot, "seq": seq,
                        "response": make_response(slots[slot], rng),
                        "client_ts": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())},
                        namespace="/exam", timeout=timeout)
                except Exception as error:
                    rec["errors"][f"save:{type(error).__name__}"] += 1
                    continue
                if isinstance(ack, dict) and ack.get("ok"):
                    phase = "baseline" if at < spec["t2"] else "console"
                    rec["save_ms"][phase].append((time.perf_counter() - began) * 1000)
                else:
                    rec["errors"]["save:refused"] += 1

        async def events() -> None:
            offset, n = rng.uniform(0, spec["event_interval"]), 0
            first = rng.randrange(len(EVENT_CYCLE))
            while (at := spec["t1"] + offset + n * spec["event_interval"]) < spec["t3"]:
                await asleep_until(at)
                kind = EVENT_CYCLE[(first + n) % len(EVENT_CYCLE)]
                n += 1
                payload: dict[str, Any] = {"attempt_id": attempt_id, "type": kind,
                                           "client_ts": int(time.time() * 1000)}
                if kind in ("copy", "paste"):
                    payload["detail"] = {"length": rng.randint(5, 200)}
                emitted = time.time()
                try:
                    ack = await sio.call("integrity:event", payload, namespace="/exam",
                                         timeout=timeout)
                except Exception as error:
                    rec["errors"][f"event:{type(error).__name__}"] += 1
                    continue
                ok = isinstance(ack, dict) and ack.get("ok") is True
                if not ok:
                    rec["errors"]["event:refused"] += 1
                rec["events"].append([attempt_id, kind, emitted, time.time(), ok])

        await asyncio.gather(saves(), events())
    except Exception as error:
        rec["errors"][f"play:{type(error).__name__}"] += 1
    finally:
        await sio.disconnect()


async def asleep_until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def loop_lag(lags: list[float], until: float) -> None:
    while time.time() < until:
        before = time.perf_counter()
        await asyncio.sleep(0.1)
        lags.append(max(0.0, (time.perf_counter() - before - 0.1) * 1000))


async def run_generator(spec: dict[str, Any], part: int, parts: int) -> dict[str, Any]:
    import aiohttp

    rec: dict[str, Any] = {"errors": Counter(), "joined": 0, "events": [],
                           "save_ms": {"baseline": [], "console": []}, "loop_lag_ms": []}
    give_up = spec["t3"] + spec["ack_timeout"] + 15
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        watcher = asyncio.create_task(loop_lag(rec["loop_lag_ms"], give_up))
        players = [asyncio.create_task(student_main(i, token, spec, http, rec))
                   for i, token in enumerate(spec["tokens"]) if i % parts == part]
        _done, pending = await asyncio.wait(players, timeout=max(1.0, give_up - time.time()))
        for task in pending:
            task.cancel()
        rec["errors"]["gave_up"] += len(pending)
        if pending:
            await asyncio.wait(pending, timeout=10)
        watcher.cancel()
    return rec


# -- a proctor's console (``--console``) -------------------------------------------------------
class Refresher:
    """What the console page (web/static/src/watch.js) does besides listening: it fetches the
    sitting's progress (every student's row) every ``POLL_S`` and, after a pushed event, once
    more ``after`` s later, at most once every ``spacing`` s (a burst is one refresh)."""

    POLL_S = 5.0

    def __init__(self, spec: dict[str, Any], http: Any, out: dict[str, Any]) -> None:
        self.url = f"{spec['urls'][0]}/api/v1/sittings/{spec['sitting_id']}/progress"
        self.headers = {"Authorization": f"Bearer {spec['proctor_token']}"}
        self.after, self.spacing = spec["refresh_after"], spec["refresh_spacing"]
        self.http, self.out = http, out
        self.pending: asyncio.Task[None] | None = None
        self.last = 0.0

    async def fetch(self) -> None:
        import aiohttp

        self.last = time.monotonic()
        began = time.perf_counter()
        try:
            async with self.http.get(self.url, headers=self.headers,
                                     timeout=aiohttp.ClientTimeout(total=30)) as reply:
                await reply.read()
                if reply.status != 200:
                    self.out["errors"][f"progress:http_{reply.status}"] += 1
                    return
        except Exception as error:
            self.out["errors"][f"progress:{type(error).__name__}"] += 1
            return
        self.out["refresh_ms"].append((time.perf_counter() - began) * 1000)

    def event_arrived(self) -> None:
        if self.pending is not None and not self.pending.done():
            return
        wait = max(self.after, self.last + self.spacing - time.monotonic())
        self.pending = asyncio.create_task(self._later(wait))

    async def _later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        await self.fetch()

    async def every(self, until: float) -> None:
        while time.time() < until:
            await self.fetch()
            await asyncio.sleep(self.POLL_S)


async def run_console(spec: dict[str, Any]) -> dict[str, Any]:
    import aiohttp
    import socketio

    out: dict[str, Any] = {"received": [], "errors": Counter(), "join_ms": None,
                           "snapshot_attempts": None, "loop_lag_ms": [], "refresh_ms": []}
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False,
                               request_timeout=spec["ack_timeout"])
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    refresher = Refresher(spec, http, out) if spec["refresh"] else None

    @sio.on("proctor:event", namespace=PROCTOR)
    async def pushed(data: dict[str, Any]) -> None:
        out["received"].append([data.get("attempt_id"), data.get("type"), data.get("server_at"),
                                time.time()])
        if refresher is not None:
            refresher.event_arrived()

    leaving = False

    @sio.event(namespace=PROCTOR)
    async def disconnect(*_args: Any) -> None:
        if not leaving:  # the server (or the network) dropped the console
            out["errors"]["disconnected"] += 1

    until = spec["t3"] + spec["drain"]
    watcher = asyncio.create_task(loop_lag(out["loop_lag_ms"], until))
    await asleep_until(spec["console_at"])
    polling = None
    try:
        await sio.connect(spec["urls"][0], namespaces=[PROCTOR], transports=["websocket"],
                          auth={"token": spec["proctor_token"]},
                          wait_timeout=spec["ack_timeout"])
        began = time.perf_counter()
        ack = await sio.call("sitting:join", {"sitting_id": spec["sitting_id"]},
                             namespace=PROCTOR, timeout=spec["ack_timeout"])
        out["join_ms"] = (time.perf_counter() - began) * 1000
        if not (isinstance(ack, dict) and ack.get("ok")):
            out["errors"][f"join:{ack}"[:80]] += 1
        else:
            out["snapshot_attempts"] = len(ack["attempts"])
            out["joined_at"] = time.time()
            if refresher is not None:
                polling = asyncio.create_task(refresher.every(spec["t3"]))
    except Exception as error:
        out["errors"][f"connect:{type(error).__name__}"] += 1
    await asleep_until(until)
    watcher.cancel()
    if polling is not None:
        polling.cancel()
    leaving = True
    await sio.disconnect()
    await http.close()
    return out


def child_main(mode: str, argv: list[str]) -> None:
    raise_nofile()
    spec = json.loads(Path(argv[0]).read_text())
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    if mode == "--generator":
        result = asyncio.run(run_generator(spec, int(argv[1]), int(argv[2])))
    else:
        result = asyncio.run(run_console(spec))
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    result["errors"] = dict(result["errors"])
    result["cpu_s"] = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    Path(argv[-1]).write_text(json.dumps(result))


# -- the orchestrator ----------------------------------------------------------------------------
@dataclass
class Outcome:
    students: int
    generators: int
    consoles: int
    web_nodes: int = 1
    events_stored: int | None = None  # client events stored from the console phase on
    refreshes: int = 0  # the console's progress fetches
    refresh_p50: float | None = None
    refresh_p99: float | None = None
    #: What the web nodes' group commits did over the run (from their minute logs):
    #: name -> [requests, transactions].
    group_commit: dict[str, list[int]] = field(default_factory=dict)
    joined: int = 0
    events_sent: int = 0  # emitted in the console phase and acknowledged ok
    events_received: int = 0  # of those, pushed to a console (counted per console)
    events_lost: int = 0
    latency_p50: float | None = None
    latency_p90: float | None = None
    latency_p99: float | None = None
    latency_max: float | None = None
    ack_p50: float | None = None  # integrity:event ack, console phase
    ack_p99: float | None = None
    save_p50: dict[str, float | None] = field(default_factory=dict)
    save_p99: dict[str, float | None] = field(default_factory=dict)
    events_per_s: float = 0.0
    console_join_ms: float | None = None
    snapshot_attempts: int | None = None
    errors: dict[str, int] = field(default_factory=dict)
    console_errors: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    server_cost_pct: float | None = None  # server CPU, console − baseline, % of a core
    server_cost_ms_per_push: float | None = None
    gen_loop_lag_p99: float | None = None
    console_loop_lag_p99: float | None = None
    server_rss_mb: float | None = None
    server_exceptions: dict[str, int] = field(default_factory=dict)
    background: float = 0.0
    note: str = ""


def epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def match(sent: list[list[Any]], received: list[list[Any]], t2: float,
          t3: float) -> tuple[list[float], int, int]:
    """Latencies (ms) of the events emitted in [t2, t3) that reached this console, the number
    acknowledged, and the number lost (acknowledged, not pushed before the console left)."""
    by_key: dict[tuple[str, str], list[float]] = {}
    for attempt_id, kind, emitted, _acked, ok in sent:
        if ok:
            by_key.setdefault((attempt_id, kind), []).append(emitted)
    for times in by_key.values():
        times.sort()
    arrival: dict[tuple[str, str, float], float] = {}
    for attempt_id, kind, server_at, arrived in received:
        times = by_key.get((attempt_id, kind), [])
        stored = epoch(server_at) + 0.001  # server_at is cut to the millisecond
        before = [t for t in times if t <= stored]
        if before:
            arrival.setdefault((attempt_id, kind, before[-1]), arrived)
    latencies, counted, lost = [], 0, 0
    for (attempt_id, kind), times in by_key.items():
        for emitted in times:
            if not t2 <= emitted < t3:
                continue
            counted += 1
            got = arrival.get((attempt_id, kind, emitted))
            if got is None:
                lost += 1
            else:
                latencies.append((got - emitted) * 1000)
    return latencies, counted, lost


def run_scenario(args: argparse.Namespace, workdir: Path, students: int) -> Outcome:
    import redis

    generators = args.generators or max(1, math.ceil(students / 1000))
    out = Outcome(students, generators, args.consoles, args.web_nodes)
    data_dir = workdir / f"production-{students}"
    data_dir.mkdir(parents=True)
    env = base_env()
    url = recreate_pg_database(args.pg_admin, args.db_name)
    redis.Redis.from_url(args.redis_url).flushdb()
    env.update({"ARDOISE_DATABASE_URL": url, "ARDOISE_REDIS_URL": args.redis_url})
    py = [sys.executable, "-m", "ardoise", "--data-dir", str(data_dir)]
    subprocess.run([*py, "db", "upgrade"], env=env, cwd=REPO, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    began = time.monotonic()
    seeded = seed(url, students)
    proctor_token = seed_proctoring(url, seeded["sitting_id"])
    print(f"  seeded {students} students in {time.monotonic() - began:.0f} s", flush=True)
    children: list[Child] = []
    try:
        out.background = wait_for_quiet(args.quiet_wait)
        worker = Child("worker", [*py, "worker"], env, data_dir / "worker.log")
        children.append(worker)
        servers, urls = [], []
        for node in range(args.web_nodes):
            port = free_port()
            serve = [*py, "serve", "--host", "127.0.0.1", "--port", str(port)]
            if node:
                serve.append("--no-sweeper")  # one sweeper is enough on one machine
            servers.append(Child(f"server-{node}", serve, env, data_dir / f"server-{node}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        children.extend(servers)
        for server, server_url in zip(servers, urls, strict=True):
            wait_healthy(server_url, server)

        t0 = time.time() + 5 + students / 2000
        t1 = t0 + args.storm + 2
        t2 = t1 + args.duration
        t3 = t2 + args.duration
        spec = {"urls": urls, "sitting_id": seeded["sitting_id"],
                "tokens": seeded["tokens"], "students": students, "storm": args.storm,
                "interval": args.interval, "event_interval": args.event_interval,
                "ack_timeout": args.ack_timeout, "seed": args.seed, "t0": t0, "t1": t1,
                "t2": t2, "t3": t3, "console_at": t2 - 4, "drain": args.drain,
                "proctor_token": proctor_token, "refresh": not args.no_refresh,
                "refresh_after": args.refresh_after_ms / 1000,
                "refresh_spacing": args.refresh_spacing_ms / 1000}
        spec_path = data_dir / "spec.json"
        spec_path.write_text(json.dumps(spec))
        me = str(Path(__file__).resolve())
        gen_out = [data_dir / f"generator-{g}.json" for g in range(generators)]
        gens = [Child(f"generator-{g}", [sys.executable, me, "--generator", str(spec_path),
                                         str(g), str(generators), str(gen_out[g])],
                      env, data_dir / f"generator-{g}.log") for g in range(generators)]
        con_out = [data_dir / f"console-{c}.json" for c in range(args.consoles)]
        cons = [Child(f"console-{c}", [sys.executable, me, "--console", str(spec_path),
                                       str(con_out[c])], env, data_dir / f"console-{c}.log")
                for c in range(args.consoles)]
        children.extend(gens + cons)
        groups = {"server": {s.pid for s in servers}, "worker": {worker.pid},
                  "generators": {g.pid for g in gens}, "consoles": {c.pid for c in cons}}
        snapshots = {}
        for name, at in (("t1", t1), ("t2", t2), ("t3", t3)):
            sleep_until(at)
            snapshots[name] = proc_cpu(groups)
            print(f"  {name} reached", flush=True)
        out.server_rss_mb = sum(rss_mb(s.pid) or 0 for s in servers)
        limit = t3 + args.ack_timeout + args.drain + 40
        for child in gens + cons:
            try:
                child.proc.wait(max(1.0, limit - time.time()))
            except subprocess.TimeoutExpired:
                child.stop()
                out.note += f"{child.name} overran; "
        out.cpu = phases(snapshots)
        gen_results = [json.loads(p.read_text()) for p in gen_out if p.exists()]
        con_results = [json.loads(p.read_text()) for p in con_out if p.exists()]
        if len(gen_results) < generators or len(con_results) < args.consoles:
            out.note += "a child wrote no results; "
            for child in gens + cons:
                print(child.tail(), file=sys.stderr)
        summarise(out, gen_results, con_results, t2, t3, args)
        out.events_stored = stored_since(url, t2)
        for server in servers:
            log = server.log.read_text(errors="replace")
            for name, requests, batches in GROUP_LINE.findall(log):
                totals = out.group_commit.setdefault(name, [0, 0])
                totals[0] += int(requests)
                totals[1] += int(batches)
            found = exceptions_in(log)
            out.server_exceptions = dict(Counter(out.server_exceptions) + found)
            if not server.alive():
                out.note += f"{server.name} died; "
    finally:
        for child in reversed(children):
            child.stop()
    return out


def stored_since(url: str, since: float) -> int:
    """Client integrity events the database holds from ``since`` on (an acknowledged event
    that never reached a console: was it stored?)."""
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM integrity_events WHERE source = 'client' "
                        "AND server_at >= to_timestamp(%s)", (since,))
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


def phases(snapshots: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per phase and component: CPU as a share of one core (%), and the phase's CPU seconds."""
    result: dict[str, dict[str, float]] = {}
    for phase, (a, b) in {"baseline": ("t1", "t2"), "console": ("t2", "t3")}.items():
        before, after = snapshots[a], snapshots[b]
        wall = max(1e-3, after["wall"] - before["wall"])
        result[phase] = {k: 100 * (after.get(k, 0) - before.get(k, 0)) / wall
                         for k in ("server", "worker", "postgres", "redis", "generators",
                                   "consoles", "machine")}
        result[phase]["server_s"] = after.get("server", 0) - before.get("server", 0)
        result[phase]["seconds"] = wall
    return result


def summarise(out: Outcome, gens: list[dict[str, Any]], cons: list[dict[str, Any]],
              t2: float, t3: float, args: argparse.Namespace) -> None:
    sent = [e for g in gens for e in g["events"]]
    out.joined = sum(g["joined"] for g in gens)
    errors: Counter[str] = Counter()
    for g in gens:
        errors.update({k: v for k, v in g["errors"].items() if v})
    out.errors = dict(errors)
    acks = [(acked - emitted) * 1000 for _a, _k, emitted, acked, ok in sent
            if ok and t2 <= emitted < t3]
    out.ack_p50, out.ack_p99 = pct(acks, 50), pct(acks, 99)
    out.events_per_s = len([e for e in sent if e[4] and e[2] < t3]) / (2 * args.duration)
    for phase in ("baseline", "console"):
        saves = [v for g in gens for v in g["save_ms"][phase]]
        out.save_p50[phase], out.save_p99[phase] = pct(saves, 50), pct(saves, 99)
    latencies: list[float] = []
    console_errors: Counter[str] = Counter()
    for con in cons:
        lat, counted, lost = match(sent, con["received"], t2, t3)
        latencies += lat
        out.events_sent = counted
        out.events_received += len(lat)
        out.events_lost += lost
        console_errors.update(con["errors"])
        out.console_join_ms = con["join_ms"]
        out.refreshes += len(con.get("refresh_ms", []))
        out.refresh_p50 = pct(con.get("refresh_ms", []), 50)
        out.refresh_p99 = pct(con.get("refresh_ms", []), 99)
        out.snapshot_attempts = con["snapshot_attempts"]
    out.console_errors = dict(console_errors)
    out.latency_p50, out.latency_p90 = pct(latencies, 50), pct(latencies, 90)
    out.latency_p99 = pct(latencies, 99)
    out.latency_max = max(latencies) if latencies else None
    lags = [v for g in gens for v in g["loop_lag_ms"]]
    out.gen_loop_lag_p99 = pct(lags, 99)
    out.console_loop_lag_p99 = pct([v for c in cons for v in c["loop_lag_ms"]], 99)
    if out.cpu:
        base, live = out.cpu["baseline"], out.cpu["console"]
        out.server_cost_pct = live["server"] - base["server"]
        pushes = out.events_received
        if pushes:
            out.server_cost_ms_per_push = 1000 * (live["server_s"] - base["server_s"]) / pushes


def grouped(totals: dict[str, list[int]]) -> str:
    return ", ".join(f"{name} {requests} in {batches} transactions "
                     f"({requests / max(1, batches):.2f} each)"
                     for name, (requests, batches) in sorted(totals.items())) or "none logged"


def report(outcomes: list[Outcome]) -> str:
    rows = ["| N | web nodes | joined | events/s "
            "| console-phase events acked / stored / pushed / lost "
            "| event → console p50 / p90 / p99 / max ms | p99 < 500 ms "
            "| event ack p50 / p99 ms | save ack p50 / p99 ms, baseline → console |",
            "|" + "---|" * 9]
    for o in outcomes:
        goal = "–" if o.latency_p99 is None else ("yes" if o.latency_p99 < GOAL_P99_MS
                                                  else "**NO**")
        rows.append(
            f"| {o.students} | {o.web_nodes} | {o.joined} | {o.events_per_s:.1f} "
            f"| {o.events_sent} / {o.events_stored} / {o.events_received} / {o.events_lost} "
            f"| {fmt(o.latency_p50)} / {fmt(o.latency_p90)} / {fmt(o.latency_p99)} / "
            f"{fmt(o.latency_max)} | {goal} | {fmt(o.ack_p50)} / {fmt(o.ack_p99)} "
            f"| {fmt(o.save_p50.get('baseline'))} / {fmt(o.save_p99.get('baseline'))} → "
            f"{fmt(o.save_p50.get('console'))} / {fmt(o.save_p99.get('console'))} |")
    rows += ["", "CPU in % of one core (the machine has 2 cores = 200 %), baseline (no "
             "console) → console connected:", "",
             "| N | web server | PostgreSQL | Redis | generators | console | whole machine "
             "| console's cost: server % of a core / ms per pushed event |",
             "|" + "---|" * 8]
    for o in outcomes:
        c = o.cpu

        def both(key: str, c: dict[str, dict[str, float]] = c) -> str:
            return f"{fmt(c['baseline'][key])} → {fmt(c['console'][key])}" if c else "–"

        rows.append(f"| {o.students} | {both('server')} | {both('postgres')} "
                    f"| {both('redis')} | {both('generators')} | {both('consoles')} "
                    f"| {both('machine')} | {fmt(o.server_cost_pct, 1)} / "
                    f"{fmt(o.server_cost_ms_per_push, 2)} |")
    rows.append("")
    for o in outcomes:
        rows.append(
            f"- N={o.students}: {o.consoles} console(s); sitting:join with its snapshot of "
            f"{o.snapshot_attempts} attempts {fmt(o.console_join_ms)} ms; {o.refreshes} "
            f"progress fetches by the console, p50 / p99 {fmt(o.refresh_p50)} / "
            f"{fmt(o.refresh_p99)} ms; student errors "
            f"{o.errors or 'none'}; console errors {o.console_errors or 'none'}; loop lag p99 "
            f"generators {fmt(o.gen_loop_lag_p99)} ms, console "
            f"{fmt(o.console_loop_lag_p99)} ms; server RSS {fmt(o.server_rss_mb)} MB; "
            f"server tracebacks {o.server_exceptions or 'none'}; group commits (logged "
            f"minutes) {grouped(o.group_commit)}; other work before the run "
            f"{o.background:.0f} % of a core. {o.note}".rstrip())
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[GOAL_STUDENTS])
    parser.add_argument("--duration", type=float, default=60,
                        help="seconds of each phase (baseline, then console)")
    parser.add_argument("--storm", type=float, default=60, help="seconds to start+join all")
    parser.add_argument("--interval", type=float, default=10, help="seconds between saves")
    parser.add_argument("--event-interval", type=float, default=15,
                        help="seconds between one student's integrity events")
    parser.add_argument("--consoles", type=int, default=1, help="proctor consoles")
    parser.add_argument("--no-refresh", action="store_true",
                        help="the console only listens (no progress fetches as the page does)")
    parser.add_argument("--refresh-after-ms", type=float, default=200,
                        help="the page's refresh after a pushed event (watch.js)")
    parser.add_argument("--refresh-spacing-ms", type=float, default=2000,
                        help="the page's least time between two refreshes after events")
    parser.add_argument("--web-nodes", type=int, default=1,
                        help="`ardoise serve` processes sharing rooms through Redis; the "
                             "students are spread over them, the consoles join the first "
                             "(so other nodes' pushes reach them through the message queue)")
    parser.add_argument("--generators", type=int, default=0,
                        help="student processes (default: one per 1,000 students)")
    parser.add_argument("--ack-timeout", type=float, default=30)
    parser.add_argument("--drain", type=float, default=None,
                        help="seconds the consoles keep listening after the load stops "
                             "(default: the ack timeout + 5, so that every acknowledged "
                             "event has had its time to arrive)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=120)
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-name", default="ardoise_bench_proctor")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args(argv)
    if args.drain is None:
        args.drain = args.ack_timeout + 5
    if any(n < 1 for n in args.students) or args.duration <= 0 or args.consoles < 1:
        parser.error("student counts, durations and consoles must be positive")
    for url in (args.pg_admin, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error("this benchmark only talks to services on 127.0.0.1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("--generator", "--console"):
        child_main(argv[0], argv[1:])
        return 0
    args = parse_args(argv)
    command = "python bench/proctor_console.py " + shlex.join(argv)
    print(f"command: {command}\nmachine: {os.cpu_count()} CPUs; open files "
          f"{raise_nofile()}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="ardoise-proctor-bench-"))
    outcomes: list[Outcome] = []
    try:
        for students in sorted(set(args.students)):
            print(f"\n== production, {students} students", flush=True)
            outcome = run_scenario(args, workdir, students)
            outcomes.append(outcome)
            print(report([outcome]), flush=True)
    finally:
        try:
            import redis

            drop_pg_database(args.pg_admin, args.db_name)
            redis.Redis.from_url(args.redis_url).flushdb()
        except Exception as error:  # report, but never hide the figures
            print(f"cleanup failed: {error}", file=sys.stderr)
        if args.keep:
            print(f"data dirs and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ncommand: {command}\n")
    print(report(outcomes))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
