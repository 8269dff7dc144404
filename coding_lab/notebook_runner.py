"""Runs a restored notebook inside the sandbox, cell by cell, with a real IPython kernel.

This file is not imported by Ardoise: it is copied into the sandbox's work directory as
``main.py`` and run there by the root file system's Python (3.11, with Debian's ipykernel,
nbclient and nbformat). It uses nothing else of ours.

Before any notebook code runs it reads and deletes its inputs (the notebook with the hidden
tests, its settings and the signing key) and makes itself non-dumpable, so the kernel, which
runs the student's code as the same user, can neither read them from the work directory
nor from this process's memory. It starts the kernel, runs each code cell with the per-cell
timeout, and on a timeout (or a dead kernel) starts a new kernel, runs the earlier non-test
cells again to rebuild the state, and goes on with the next cell. Its results are written
last to ``results.json``, signed with the key (HMAC-SHA256), so results written by the
student's code are recognised as such by the trusted side.
"""

import copy
import ctypes
import hashlib
import hmac
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import time

STATUSES = ("ok", "error", "timeout", "dead", "not_run")
MAX_RESTARTS = 8
STOP_MARGIN = 4.0
KERNEL_START_TIMEOUT = 30.0


def take(name):
    """The content of ``name``, which is then deleted."""
    with open(name, "rb") as handle:
        data = handle.read()
    os.unlink(name)
    return data


def non_dumpable():
    """PR_SET_DUMPABLE 0: a process of the same user can no longer read our memory."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def write_results(key, data):
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    envelope = {"payload": payload,
                "mac": hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()}
    path = "results.json"
    # Whatever the notebook left under that name (a file, a link, a directory) goes first.
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(envelope, ensure_ascii=False))


class Outputs:
    """Keeps what a cell printed, within bounds: streams, errors, text and PNG results."""

    def __init__(self, settings):
        self.max_chars = int(settings["max_output_chars"])
        self.max_outputs = int(settings["max_outputs"])
        self.max_image = int(settings["max_image_chars"])

    def text(self, value):
        if isinstance(value, list):
            value = "".join(str(v) for v in value)
        value = str(value)
        if len(value) > self.max_chars:
            value = value[: self.max_chars] + "\n[... output truncated]"
        return value

    def __call__(self, outputs):
        kept: list[dict] = []
        for output in outputs:
            kind = output.get("output_type")
            if kind == "stream":
                name = "stderr" if output.get("name") == "stderr" else "stdout"
                if kept and kept[-1]["output_type"] == "stream" and kept[-1]["name"] == name:
                    kept[-1]["text"] = self.text(kept[-1]["text"] + str(output.get("text", "")))
                    continue
                item = {"output_type": "stream", "name": name, "text": self.text(
                    output.get("text", ""))}
            elif kind == "error":
                item = {"output_type": "error", "ename": self.text(output.get("ename", ""))[:200],
                        "evalue": self.text(output.get("evalue", "")),
                        "traceback": [self.text(t) for t in output.get("traceback", [])[:200]]}
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                item_data = {}
                if "text/plain" in data:
                    item_data["text/plain"] = self.text(data["text/plain"])
                png = data.get("image/png")
                if isinstance(png, str) and len(png) <= self.max_image:
                    item_data["image/png"] = png
                if not item_data:
                    continue
                item = {"output_type": kind, "data": item_data}
            else:
                continue
            if len(kept) >= self.max_outputs:
                kept[-1] = {"output_type": "stream", "name": "stdout",
                            "text": "[... more output not kept]"}
                break
            kept.append(item)
        return kept


KERNEL_NAME = "ardoise-python3"
#: How the kernel starts: ipykernel with its sockets on Unix sockets, never TCP. libzmq binds
#: a TCP address only after listing the network interfaces through a netlink socket, which
#: the sandbox's seccomp policy refuses (raw sockets), and then aborts. ipykernel 6.17 always
#: binds its pipe for the output of forked processes on TCP: that pipe goes on a Unix socket.
#: debugpy is kept out: loading it costs about a second and nobody debugs a grading run.
KERNEL_BOOT = """
import os, sys, zmq
if sys.path and sys.path[0] == "":
    del sys.path[0]
sys.modules["debugpy"] = None  # no debugger in batch grading: a second less to start
from ipykernel import iostream

def _setup_pipe_in(self):
    self._pipe_uuid = os.urandom(16)
    pipe_in = self.socket.context.socket(zmq.PULL)
    pipe_in.linger = 0
    folder = os.environ.get("JUPYTER_RUNTIME_DIR") or os.getcwd()
    os.makedirs(folder, exist_ok=True)
    self._pipe_address = "ipc://" + os.path.join(folder, "pipe-" + os.urandom(8).hex())
    pipe_in.bind(self._pipe_address)
    self._pipe_in = iostream.ZMQStream(pipe_in, self.io_loop)
    self._pipe_in.on_recv(self._handle_pipe_msg)

def _setup_pipe_out(self):
    ctx = zmq.Context()
    pipe_out = ctx.socket(zmq.PUSH)
    pipe_out.linger = 3000
    pipe_out.connect(self._pipe_address)
    return ctx, pipe_out

iostream.IOPubThread._setup_pipe_in = _setup_pipe_in
iostream.IOPubThread._setup_pipe_out = _setup_pipe_out
try:
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
except Exception:
    import traceback
    traceback.print_exc()
    os._exit(1)  # never linger half started (its threads would keep it alive)
"""


def install_kernel_spec(work):
    """(Re)write our kernel spec before each start: the notebook may have changed it."""
    folder = os.path.join(os.environ["JUPYTER_DATA_DIR"], "kernels", KERNEL_NAME)
    os.makedirs(folder, exist_ok=True)
    spec = {"argv": [sys.executable, "-c", KERNEL_BOOT, "-f", "{connection_file}"],
            "display_name": "Python 3", "language": "python",
            "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}
    path = os.path.join(folder, "kernel.json")
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(spec, handle)


def whole_seconds(seconds):
    """nbclient counts its timeouts in whole seconds."""
    return max(1, math.ceil(seconds))


def main():
    started = time.monotonic()
    key = bytes.fromhex(take("grading.key").decode())
    settings = json.loads(take("grading.json"))
    source = take("notebook.ipynb").decode()
    non_dumpable()
    work = os.getcwd()
    for variable, folder in (("JUPYTER_RUNTIME_DIR", ".jupyter/runtime"),
                             ("JUPYTER_CONFIG_DIR", ".jupyter/config"),
                             ("JUPYTER_DATA_DIR", ".jupyter/data"),
                             ("IPYTHONDIR", ".ipython"), ("MPLCONFIGDIR", ".matplotlib")):
        os.environ[variable] = os.path.join(work, folder)
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    logging.disable(logging.CRITICAL)

    import warnings
    warnings.simplefilter("ignore")
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
    except ImportError as error:  # an image without the notebook packages: not the student's
        write_results(key, {"version": 1, "kernel_error": f"the sandbox image lacks {error}",
                            "kernel_restarts": 0, "cells": []})
        return 0

    class Client(NotebookClient):
        """Records the kernel's own execute reply of each cell."""

        last_reply_status = None

        def create_kernel_manager(self):
            install_kernel_spec(work)
            self.km = self.kernel_manager_class(kernel_name=KERNEL_NAME, transport="ipc")
            return self.km

        async def _check_raise_for_error(self, cell, cell_index, exec_reply):
            if exec_reply is not None:
                self.last_reply_status = exec_reply.get("content", {}).get("status")
            return None

    notebook = nbformat.reads(source, as_version=4)
    for cell in notebook.cells:
        cell.metadata = {}  # no tag may skip a cell or let it raise
    budget = float(settings["budget"])
    cell_timeout = float(settings["cell_timeout"])
    hidden = set(settings["hidden"])
    tests = set(settings["tests"])
    keep = Outputs(settings)
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    results = {}
    replay: list[int] = []  # cells to run again in a new kernel: earlier non-test cells that ran
    restarts = 0
    position = 0

    def remaining():
        return budget - (time.monotonic() - started)

    def record(index, status, cell=None, message=""):
        outputs = [] if cell is None or index in hidden else keep(cell.get("outputs", []))
        count = cell.get("execution_count") if cell is not None else None
        results[index] = {"index": index, "status": status, "outputs": outputs,
                          "execution_count": count if isinstance(count, int) else None,
                          "message": message}

    def not_run_from(start, message):
        for index in code[start:]:
            if index not in results:
                record(index, "not_run", message=message)

    def client_for():
        return Client(notebook, timeout=whole_seconds(cell_timeout), kernel_name=KERNEL_NAME,
                      allow_errors=True, shutdown_kernel="immediate",
                      startup_timeout=whole_seconds(min(KERNEL_START_TIMEOUT, remaining())),
                      iopub_timeout=4, record_timing=False, interrupt_on_timeout=False,
                      resources={"metadata": {"path": work}})

    kernel_error = None
    while position < len(code):
        client = client_for()
        try:
            with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL):
                for index in list(replay):
                    if remaining() < cell_timeout + STOP_MARGIN:
                        break
                    again = copy.deepcopy(notebook.cells[index])
                    try:
                        client.execute_cell(again, index, store_history=False)
                    except (CellTimeoutError, DeadKernelError):
                        replay.remove(index)  # not again: state is rebuilt without it
                        raise
                while position < len(code):
                    index = code[position]
                    left = remaining()
                    if left < STOP_MARGIN + 1:
                        break
                    client.timeout = whole_seconds(min(cell_timeout, left - STOP_MARGIN))
                    client.last_reply_status = None
                    cell = notebook.cells[index]
                    position += 1
                    try:
                        client.execute_cell(cell, index, store_history=index not in hidden)
                    except CellTimeoutError:
                        record(index, "timeout", cell)
                        raise
                    except DeadKernelError:
                        record(index, "dead", cell)
                        raise
                    failed = client.last_reply_status not in (None, "ok") or any(
                        o.get("output_type") == "error" for o in cell.get("outputs", []))
                    record(index, "error" if failed else "ok", cell)
                    if index not in tests:
                        replay.append(index)
        except (CellTimeoutError, DeadKernelError):
            restarts += 1
            if restarts > MAX_RESTARTS:
                not_run_from(position, "too many timeouts: the kernel was not restarted again")
                break
            continue
        except Exception as error:  # the kernel did not start, or its channels broke
            message = f"{type(error).__name__}: {error}"[:1000]
            if position > 0 and code[position - 1] not in results:
                record(code[position - 1], "dead", notebook.cells[code[position - 1]])
            if not results:
                kernel_error = message
                break
            restarts += 1
            if restarts > MAX_RESTARTS:
                not_run_from(position, "the kernel could not be restarted")
                break
            continue
        if position < len(code):
            not_run_from(position, "the notebook ran out of time")
            break
    if kernel_error is None:
        not_run_from(0, "the notebook ran out of time")
    write_results(key, {"version": 1, "kernel_error": kernel_error,
                        "kernel_restarts": restarts,
                        "cells": [results[i] for i in code if i in results]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
