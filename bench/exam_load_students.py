"""One load-generator process of bench/exam_load.py: simulated students over Socket.IO.

Run by the orchestrator, never by hand::

    python bench/exam_load_students.py SPEC.json PART PARTS OUT.json

SPEC.json (written by exam_load.py) holds the server URL, the sitting, one API
token per student and the wall-clock schedule shared by every generator process:
``t0`` (the start-attempt storm begins; student ``i`` of ``n`` starts at
``t0 + i * storm / n``), ``t1`` (steady autosave begins; each student saves
every ``interval`` seconds from a random offset in ``[0, interval)``), ``t2``
(steady autosave ends; each student submits at a random moment in
``[t2, t2 + submit_window)``). This process plays the students whose index
``i`` satisfies ``i % PARTS == PART`` and writes every measurement to OUT.json.
Every wait is bounded: acknowledgements time out after ``ack_timeout`` seconds
and the whole process gives up at ``t2 + submit_window + ack_timeout + 30``.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import socketio

NAMESPACE = "/exam"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def make_response(slot: dict[str, Any], rng: random.Random) -> Any:
    """A valid response for the slot's item type, built from what the page would show."""
    kind = slot["item_type"]
    options = [o["id"] for o in slot.get("render", {}).get("options", [])]
    if kind == "single_choice":
        return {"choice": rng.choice(options)}
    if kind == "multiple_response":
        return {"choices": sorted(rng.sample(options, rng.randint(1, len(options))))}
    if kind == "true_false":
        return {"value": rng.random() < 0.5}
    if kind == "numeric":
        return {"value": f"{rng.randint(0, 99)},{rng.randint(0, 9)}"}
    if kind == "short_text":
        return {"text": rng.choice(["Saint-Laurent", "saint laurent", "Fraser", "Outaouais"])}
    raise ValueError(f"no response recipe for item type {kind!r}")


class Recorder:
    """What this process measured: latencies in ms, error counts, and every ack."""

    def __init__(self) -> None:
        self.connect_ms: list[float] = []
        self.start_ms: list[float] = []
        self.join_ms: list[float] = []
        self.save_ms: list[float] = []
        self.submit_ms: list[float] = []
        self.errors: Counter[str] = Counter()
        self.save_attempts = 0
        self.saves_in_window = 0
        self.joined = 0
        self.submitted = 0
        self.disconnects = 0
        # attempt_id -> [[seq, hash], ...] for every save the server acknowledged.
        self.acked: dict[str, list[list[Any]]] = {}
        self.receipts: dict[str, str] = {}
        self.loop_lag_ms: list[float] = []


async def sleep_until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def watch_loop(rec: Recorder, until: float) -> None:
    """Measure this event loop's own lag: a late timer means inflated latencies."""
    while time.time() < until:
        before = time.perf_counter()
        await asyncio.sleep(0.1)
        rec.loop_lag_ms.append(max(0.0, (time.perf_counter() - before - 0.1) * 1000))


async def call(sio: socketio.AsyncClient, event: str, data: dict[str, Any],
               timeout: float) -> tuple[Any, float]:
    began = time.perf_counter()
    ack = await sio.call(event, data, namespace=NAMESPACE, timeout=timeout)
    return ack, (time.perf_counter() - began) * 1000


def refusal(ack: Any) -> str:
    return str(ack.get("error")) if isinstance(ack, dict) else "bad_ack"


async def student(index: int, clear: str, spec: dict[str, Any], http: aiohttp.ClientSession,
                  rec: Recorder) -> None:
    rng = random.Random(spec["seed"] * 1_000_003 + index)
    n, timeout = spec["students"], spec["ack_timeout"]
    url = spec["urls"][index % len(spec["urls"])]  # a sticky load balancer
    await sleep_until(spec["t0"] + index * spec["storm"] / n)

    sio = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False,
                               request_timeout=timeout)

    leaving = False

    @sio.event(namespace=NAMESPACE)
    async def disconnect(*_args: Any) -> None:
        if not leaving:  # the server (or the network) dropped the connection
            rec.disconnects += 1

    began = time.perf_counter()
    try:
        await asyncio.wait_for(
            sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                        auth={"token": clear}, wait_timeout=timeout), timeout + 5)
    except Exception as error:
        rec.errors[f"connect:{type(error).__name__}"] += 1
        await sio.disconnect()
        return
    rec.connect_ms.append((time.perf_counter() - began) * 1000)
    try:
        await play(sio, rng, clear, url, spec, http, rec)
    finally:
        leaving = True
        await sio.disconnect()


async def play(sio: socketio.AsyncClient, rng: random.Random, clear: str, url: str,
               spec: dict[str, Any], http: aiohttp.ClientSession, rec: Recorder) -> None:
    timeout = spec["ack_timeout"]
    # Join: the REST start (creates the attempt, gives the questions) then attempt:join.
    began = time.perf_counter()
    try:
        async with http.post(f"{url}/api/v1/sittings/{spec['sitting_id']}/attempts",
                             json={}, headers={"Authorization": f"Bearer {clear}"},
                             timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            body = await reply.json(content_type=None)
            if reply.status not in (200, 201):
                rec.errors[f"start:http_{reply.status}"] += 1
                return
    except Exception as error:
        rec.errors[f"start:{type(error).__name__}"] += 1
        return
    rec.start_ms.append((time.perf_counter() - began) * 1000)
    attempt_id, slots = body["attempt_id"], body["slots"]
    try:
        ack, _ = await call(sio, "attempt:join",
                            {"attempt_id": attempt_id, "device_id": f"bench-{attempt_id}"},
                            timeout)
    except Exception as error:
        rec.errors[f"join:{type(error).__name__}"] += 1
        return
    if not (isinstance(ack, dict) and ack.get("ok")):
        rec.errors[f"join:{refusal(ack)}"] += 1
        return
    rec.join_ms.append((time.perf_counter() - began) * 1000)
    rec.joined += 1
    acked = rec.acked.setdefault(attempt_id, [])

    # Steady autosave: one save every interval, from a random offset, with increasing seq.
    offset, seq, tick = rng.uniform(0, spec["interval"]), 0, 0
    while tick < 10_000:
        at = spec["t1"] + offset + tick * spec["interval"]
        if at >= spec["t2"]:
            break
        tick += 1
        await sleep_until(at)
        rec.save_attempts += 1
        if not sio.connected:
            rec.errors["save:disconnected"] += 1
            continue
        seq += 1
        slot = (tick - 1) % len(slots)
        payload = {"attempt_id": attempt_id, "slot": slot, "seq": seq,
                   "response": make_response(slots[slot], rng),
                   "client_ts": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
        try:
            ack, ms = await call(sio, "attempt:save", payload, timeout)
        except Exception as error:
            rec.errors[f"save:{type(error).__name__}"] += 1
            continue
        if isinstance(ack, dict) and ack.get("ok"):
            rec.save_ms.append(ms)
            acked.append([seq, ack.get("hash")])
            if time.time() <= spec["t2"]:
                rec.saves_in_window += 1
        else:
            rec.errors[f"save:{refusal(ack)}"] += 1

    # Submit, at a random moment of the submit window.
    await sleep_until(spec["t2"] + rng.uniform(0, spec["submit_window"]))
    if not sio.connected:
        rec.errors["submit:disconnected"] += 1
        return
    try:
        ack, ms = await call(sio, "attempt:submit", {"attempt_id": attempt_id}, timeout)
    except Exception as error:
        rec.errors[f"submit:{type(error).__name__}"] += 1
        return
    if isinstance(ack, dict) and ack.get("ok"):
        rec.submit_ms.append(ms)
        rec.submitted += 1
        rec.receipts[attempt_id] = str(ack.get("receipt"))
    else:
        rec.errors[f"submit:{refusal(ack)}"] += 1


async def run(spec: dict[str, Any], part: int, parts: int) -> Recorder:
    rec = Recorder()
    give_up = spec["t2"] + spec["submit_window"] + spec["ack_timeout"] + 30
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        watcher = asyncio.create_task(watch_loop(rec, give_up))
        players = [
            asyncio.create_task(student(i, token, spec, http, rec))
            for i, token in enumerate(spec["tokens"]) if i % parts == part
        ]
        _done, pending = await asyncio.wait(players, timeout=max(1.0, give_up - time.time()))
        for task in pending:
            task.cancel()
        rec.errors["gave_up"] += len(pending)
        if pending:
            await asyncio.wait(pending, timeout=10)
        watcher.cancel()
    return rec


def main() -> None:
    spec_path, part, parts, out_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    raise_nofile()
    spec = json.loads(Path(spec_path).read_text())
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    rec = asyncio.run(run(spec, part, parts))
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    result = {k: v for k, v in vars(rec).items()}
    result["errors"] = dict(rec.errors)
    result["cpu_user_s"] = usage1.ru_utime - usage0.ru_utime
    result["cpu_sys_s"] = usage1.ru_stime - usage0.ru_stime
    result["max_rss_mb"] = usage1.ru_maxrss / 1024
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
