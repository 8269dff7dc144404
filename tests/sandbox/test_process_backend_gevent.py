"""The process backend under gevent: ``ardoise serve`` with no broker runs tasks in its own
gevent-patched process, and the spawner must still wait on the socket it is handed."""

from __future__ import annotations

import json
import subprocess
import sys

# A fresh interpreter: monkey-patching must come before anything imports socket.
PROGRAM = """
from gevent import monkey
monkey.patch_all()
import json
import time
from sandbox.backends.process import ProcessBackend
from sandbox.spec import RunSpec
backend = ProcessBackend()
answers = []
for n in (3, 4):
    answers.append(backend.run(RunSpec(language="python3", stdin=str(n),
                                       files={"main.py": "print(int(input()) * 2)"})))
    time.sleep(0.5)  # the spawner waits for the next request: it must block, not fail
print(json.dumps([[str(a.status), a.stdout] for a in answers]))
"""


def test_runs_from_a_gevent_patched_worker_reach_the_spawner() -> None:
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [["ok", "6\n"], ["ok", "8\n"]]
