"""Code runs through a real Celery worker on the ``sandbox`` queue, Redis and PostgreSQL.

The job id makes a run idempotent: a job queued again is answered from the database
without running the program again, and a job whose worker was SIGKILLed mid-run
(``acks_late``) comes back to the next worker and is answered then.

The tests here kill their worker, so they have one of their own (and their own Redis
database and PostgreSQL database) rather than the shared ``stack``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from ardoise import migrate
from ardoise.code_runs import CodeRun, find_result
from ardoise.db import Database
from sandbox import Limits, RunResult, RunSpec, Status
from tests.e2e.helpers import wait_until
from tests.e2e.live import LiveProcess, product_env
from tests.services import fresh_pg_database, redis_url, worker_id

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

RANDOM = RunSpec(language="python3",
                 files={"main.py": "import random\nprint(random.random())\n"})
SLOW = RunSpec(language="python3",
               files={"main.py": "import random, time\ntime.sleep(3)\nprint(random.random())\n"},
               limits=Limits(cpu_seconds=2, wall_seconds=15))

# The product's own client path: configure from the environment, queue, print the answer.
CLIENT = """
import json, sys
from ardoise.celery_app import configure_celery
from ardoise.config import from_env
from ardoise.errors import DomainError
from ardoise.worker.code_runs import submit_code_run
from ardoise.worker.context import bind_config
from sandbox import RunSpec

config = from_env()
bind_config(config)
configure_celery(config)
try:
    result = submit_code_run(sys.argv[1], RunSpec.from_dict(json.loads(sys.argv[2])))
except DomainError as error:
    print(json.dumps({"error": error.code}))
else:
    print(json.dumps({"result": result and result.to_dict()}))
"""


@dataclass
class SandboxSide:
    """A sandbox worker (restartable), its Redis database and its PostgreSQL database."""

    data_dir: Path
    env: dict[str, str]
    database: Database
    broker: Celery
    workers: list[LiveProcess]

    def start_worker(self, env: dict[str, str] | None = None) -> LiveProcess:
        worker = LiveProcess(["--data-dir", str(self.data_dir), "worker", "--concurrency", "1",
                              "--queues", "sandbox"], env or self.env,
                             self.data_dir / f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        worker.start()
        wait_until(lambda: "ready." in worker.log() or worker.proc.poll() is not None,
                   timeout=60, what="the sandbox worker to start")
        assert worker.proc is not None and worker.proc.poll() is None, worker.log()
        return worker

    @property
    def worker(self) -> LiveProcess:
        return self.workers[-1]

    def submit(self, job_id: str, spec: RunSpec) -> dict[str, Any]:
        """Queue through ``submit_code_run`` in a client process of its own."""
        done = subprocess.run([sys.executable, "-c", CLIENT, job_id, json.dumps(spec.to_dict())],
                              env=self.env, text=True, capture_output=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    def send_raw(self, job_id: str, spec: Any) -> str:
        """Queue the task itself, as any producer may, bypassing the service's checks."""
        return self.broker.send_task("ardoise.run_code", args=[job_id, spec],
                                     queue="sandbox").id

    def result(self, job_id: str) -> RunResult | None:
        with self.database.session() as session:
            return find_result(session, job_id)

    def row(self, job_id: str) -> CodeRun:
        with self.database.session() as session:
            row = session.get(CodeRun, job_id)
            assert row is not None
            return row

    def wait_result(self, job_id: str, timeout: float = 90) -> RunResult:
        return wait_until(lambda: self.result(job_id), timeout=timeout, interval=0.2,
                          what=f"the result of {job_id}")

    def wait_task_done(self, task_id: str, timeout: float = 60) -> str:
        """The worker's log line saying task ``task_id`` ended."""
        pattern = re.compile(rf"ardoise\.run_code\[{task_id}\] (succeeded|raised|retry).*")
        found = wait_until(lambda: pattern.search(self.worker.log()), timeout=timeout,
                           what=f"task {task_id} to end")
        return found.group(0)


@pytest.fixture(scope="module")
def side(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSide]:
    data_dir = tmp_path_factory.mktemp("code-runs")
    url = fresh_pg_database(f"ardoise_code_runs_{worker_id()}")
    migrate.upgrade(url)
    broker_url = redis_url(index_offset=1)  # not the stack's: its worker must not take ours
    env = product_env(data_dir, url, broker_url)
    broker = Celery("code-runs-test", broker=broker_url)
    side = SandboxSide(data_dir, env, Database(url), broker, [])
    side.start_worker()
    yield side
    for worker in side.workers:
        worker.stop()
    broker.close()
    side.database.dispose()


def test_a_queued_job_is_run_once_and_answered_from_the_database_after(
        side: SandboxSide) -> None:
    first = side.submit("random-1", RANDOM)
    assert first == {"result": None}  # queued: a worker answers it
    stored = side.wait_result("random-1")
    assert stored.status is Status.OK, stored
    number = float(stored.stdout)
    finished = side.row("random-1").finished_at

    # The service answers a known job from the database, without queuing it.
    again = side.submit("random-1", RANDOM)
    assert again["result"] is not None and RunResult.from_dict(again["result"]) == stored

    # Even a producer that queues the same job again gets the stored answer from the
    # worker: the program (whose output is random) is not run a second time.
    task_id = side.send_raw("random-1", RANDOM.to_dict())
    line = side.wait_task_done(task_id)
    assert "succeeded" in line and stored.stdout.strip() in line, line
    assert "random-1: answered from the stored result" in side.worker.log()
    assert float(side.wait_result("random-1").stdout) == number
    assert side.row("random-1").finished_at == finished


def test_the_same_job_id_for_another_spec_is_refused(side: SandboxSide) -> None:
    side.submit("conflict-1", RANDOM)
    side.wait_result("conflict-1")
    other = RunSpec(language="python3", files={"main.py": "print('autre chose')\n"})
    assert side.submit("conflict-1", other) == {"error": "code_run_conflict"}


def test_an_invalid_spec_is_answered_with_a_sandbox_error_and_not_retried(
        side: SandboxSide) -> None:
    task_id = side.send_raw("invalid-1", {"language": "python3", "files": {"../x.py": "eA=="}})
    assert "succeeded" in side.wait_task_done(task_id)
    result = side.wait_result("invalid-1")
    assert result.status is Status.SANDBOX_ERROR and "invalid run spec" in result.stderr
    assert f"ardoise.run_code[{task_id}] retry" not in side.worker.log()


def test_a_job_whose_worker_is_killed_runs_again_on_the_next_worker(
        side: SandboxSide) -> None:
    worker = side.worker
    assert side.submit("killed-1", SLOW) == {"result": None}
    wait_until(lambda: re.search(r"ardoise\.run_code\[[0-9a-f-]+\] received", worker.log()),
               timeout=30, what="the worker to take the job")
    time.sleep(1.0)  # the program is sleeping in the sandbox now
    worker.kill()
    assert side.result("killed-1") is None

    # Redis gives the unacknowledged job back once the visibility timeout (5 s here) has
    # passed, at the next sweep of the unacknowledged jobs (Kombu: every 100 s or so).
    side.start_worker()
    result = side.wait_result("killed-1", timeout=240)
    assert result.status is Status.OK, result
    assert 0 <= float(result.stdout) < 1
    assert re.search(r"ardoise\.run_code\[[0-9a-f-]+\] received", side.worker.log())


def test_a_worker_without_an_engine_keeps_the_job_for_one_that_has_it(
        side: SandboxSide) -> None:
    """A worker whose Docker engine is unreachable retries later instead of answering;
    a worker that can run code answers the retried job."""
    side.worker.stop()
    no_engine = {**side.env, "ARDOISE_SANDBOX_BACKEND": "docker",
                 "DOCKER_HOST": f"unix://{side.data_dir / 'no-engine.sock'}"}
    unable = side.start_worker(no_engine)
    assert side.submit("no-engine-1", RANDOM) == {"result": None}
    wait_until(lambda: re.search(r"ardoise\.run_code\[[0-9a-f-]+\] retry", unable.log()),
               timeout=60, what="the worker without an engine to put the job back")
    assert "no-engine-1" in unable.log() and side.result("no-engine-1") is None
    unable.stop()  # a clean stop gives back the job it holds until its retry time

    side.start_worker()
    result = side.wait_result("no-engine-1", timeout=120)
    assert result.status is Status.OK, result
