"""Runs a restored notebook inside the sandbox, cell by cell, with a real IPython kernel.

This file is not imported by Ardoise: it is copied into the sandbox's work directory as
``main.py`` and run there by the root file system's Python (3.11, with Debian's ipykernel
and pyzmq). It uses nothing else of ours.

Before any notebook code runs it reads and deletes its inputs (the notebook with the hidden
tests, its settings and the signing key) and makes itself non-dumpable, so the kernel, which
runs the student's code as the same user, can neither read them from the work directory
nor from this process's memory. It starts the kernel, runs each code cell with the per-cell
timeout, and on a timeout (or a dead kernel) starts a new kernel, runs the earlier non-test
cells again to rebuild the state, and goes on with the next cell. Its results are written
last to ``results.json``, signed with the key (HMAC-SHA256), so results written by the
student's code are recognised as such by the trusted side.

It talks to the kernel itself (the Jupyter messaging protocol over ZeroMQ, a hundred lines)
rather than through nbclient and jupyter_client: those cost half a second of imports and
a slower start, and the kernel starts before the runner imports anything heavy.
"""

import copy
import ctypes
import datetime
import hashlib
import hmac
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

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


#: How the kernel starts: ipykernel with its sockets on Unix sockets, never TCP. libzmq binds
#: a TCP address only after listing the network interfaces through a netlink socket, which
#: the sandbox's seccomp policy refuses (raw sockets), and then aborts. ipykernel 6.17 always
#: binds its pipe for the output of forked processes on TCP: that pipe goes on a Unix socket.
#: debugpy is kept out: loading it costs about a second and nobody debugs a grading run;
#: jedi (completion) is kept out of IPython's start, then importable again by the notebook.
KERNEL_BOOT = """
import os, sys, zmq
if sys.path and sys.path[0] == "":
    del sys.path[0]
sys.modules["debugpy"] = None  # no debugger in batch grading: a second less to start
sys.modules["jedi"] = None  # no completion either: IPython imports it at start otherwise
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
    del sys.modules["jedi"]
    kernelapp.launch_new_instance()
except Exception:
    import traceback
    traceback.print_exc()
    os._exit(1)  # never linger half started (its threads would keep it alive)
"""
#: Seconds to wait for the kernel's last outputs after its execute reply (as nbclient).
IOPUB_TIMEOUT = 4.0


class CellTimeout(Exception):
    """A cell ran past its time limit."""


class DeadKernel(Exception):
    """The kernel process ended."""


class Kernel:
    """One IPython kernel process and a minimal Jupyter client of it (messaging protocol 5.3
    over ZeroMQ): only what batch execution needs, so the runner imports nothing but
    ``zmq`` and starts the kernel before it imports even that (the kernel's own start, a
    second of imports, overlaps the runner's)."""

    def __init__(self, work, number):
        folder = os.environ["JUPYTER_RUNTIME_DIR"]
        os.makedirs(folder, exist_ok=True)
        self.key = os.urandom(32).hex().encode()
        self.session = os.urandom(16).hex()
        base = os.path.join(folder, f"kernel-{number}-{os.urandom(4).hex()}")
        ports = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4,
                 "hb_port": 5}
        connection = {"transport": "ipc", "ip": base, **ports, "key": self.key.decode(),
                      "signature_scheme": "hmac-sha256", "kernel_name": "python3"}
        self.addresses = {name[:-5]: f"ipc://{base}-{port}" for name, port in ports.items()}
        path = base + ".json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(connection, handle)
        self.process = subprocess.Popen(
            [sys.executable, "-c", KERNEL_BOOT, "-f", path], cwd=work,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.zmq: Any = None
        self.context: Any = None
        self.shell: Any = None
        self.iopub: Any = None

    # -- the wire protocol
    def _sign(self, parts):
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(part)
        return mac.hexdigest().encode()

    def _send(self, msg_type, content):
        header = {"msg_id": os.urandom(16).hex(), "username": "ardoise",
                  "session": self.session, "msg_type": msg_type, "version": "5.3",
                  "date": datetime.datetime.now(datetime.UTC).isoformat()}
        parts = [json.dumps(header).encode(), b"{}", b"{}", json.dumps(content).encode()]
        self.shell.send_multipart([b"<IDS|MSG>", self._sign(parts), *parts])
        return header["msg_id"]

    @staticmethod
    def _receive(socket):
        frames = socket.recv_multipart()
        try:
            at = frames.index(b"<IDS|MSG>")
            header, parent = json.loads(frames[at + 2]), json.loads(frames[at + 3])
            content = json.loads(frames[at + 5])
        except (ValueError, IndexError):
            return None
        return {"msg_type": header.get("msg_type"), "parent": parent.get("msg_id"),
                "content": content if isinstance(content, dict) else {}}

    def connect(self, zmq, timeout):
        """Open the channels and wait until the kernel answers and its outputs reach us."""
        self.zmq = zmq
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        for socket, name in ((self.shell, "shell"), (self.iopub, "iopub")):
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.RECONNECT_IVL, 20)  # the kernel binds a moment later
            socket.connect(self.addresses[name])
        poller = zmq.Poller()
        poller.register(self.shell, zmq.POLLIN)
        poller.register(self.iopub, zmq.POLLIN)
        deadline = time.monotonic() + timeout
        asked, answered, heard = set(), False, False
        while time.monotonic() < deadline:
            # kernel_info until IOPub shows one of its status messages too: a subscription
            # made before the kernel bound may miss what the kernel published first.
            asked.add(self._send("kernel_info_request", {}))
            until = min(deadline, time.monotonic() + 0.5)
            while time.monotonic() < until:
                if self.process.poll() is not None:
                    raise RuntimeError("the kernel ended while starting")
                for socket, _event in poller.poll(50):
                    message = self._receive(socket)
                    if message is not None and message["parent"] in asked:
                        answered = answered or socket is self.shell
                        heard = heard or socket is self.iopub
                if answered and heard:
                    return
        raise TimeoutError("the kernel did not answer in time")

    def execute(self, cell, store_history, timeout, keep):
        """Run ``cell`` (a dict): its ``outputs`` and ``execution_count`` are set; returns the
        execute reply's status. Raises :class:`CellTimeout` or :class:`DeadKernel`."""
        zmq = self.zmq
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        outputs: list[dict] = []
        cell["outputs"] = outputs
        cell["execution_count"] = None
        msg_id = self._send("execute_request", {
            "code": source, "silent": False, "store_history": store_history,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
        poller = zmq.Poller()
        poller.register(self.shell, zmq.POLLIN)
        poller.register(self.iopub, zmq.POLLIN)
        deadline = time.monotonic() + timeout
        reply, idle, clear_next = None, False, False
        while reply is None or not idle:
            now = time.monotonic()
            if now >= deadline:
                if reply is None:
                    raise CellTimeout()
                break  # its reply came; its last outputs did not: go on without them
            ready = poller.poll(min(100, max(1, int((deadline - now) * 1000))))
            if not ready and self.process.poll() is not None:
                raise DeadKernel()
            for socket, _event in ready:
                message = self._receive(socket)
                if message is None or message["parent"] != msg_id:
                    continue
                content, kind = message["content"], message["msg_type"]
                if socket is self.shell:
                    if kind == "execute_reply":
                        reply = content
                        deadline = time.monotonic() + IOPUB_TIMEOUT  # for its last outputs
                        if isinstance(content.get("execution_count"), int):
                            cell["execution_count"] = content["execution_count"]
                    continue
                if kind == "status":
                    idle = idle or content.get("execution_state") == "idle"
                    continue
                if kind == "execute_input":
                    if isinstance(content.get("execution_count"), int):
                        cell["execution_count"] = content["execution_count"]
                    continue
                if kind == "clear_output":
                    if content.get("wait"):
                        clear_next = True
                    else:
                        outputs.clear()
                    continue
                output = _output(kind, content)
                if output is None:
                    continue
                if clear_next:
                    outputs.clear()
                    clear_next = False
                last = outputs[-1] if outputs else None
                if (output["output_type"] == "stream" and last is not None
                        and last["output_type"] == "stream"
                        and last["name"] == output["name"]):
                    if len(last["text"]) <= keep.max_chars:  # the rest is cut anyway
                        last["text"] += output["text"]
                    continue
                if len(outputs) <= keep.max_outputs:  # one more says that more came
                    outputs.append(output)
        return reply.get("status")

    def stop(self):
        """Kill the kernel and whatever it started (its own session), close the channels."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.kill()
        self.process.wait()
        if self.context is not None:
            self.context.destroy(linger=0)
            self.context = None


def _output(kind, content):
    """A notebook output (nbformat 4) from an IOPub message, or ``None``."""
    if kind == "stream":
        return {"output_type": "stream", "name": str(content.get("name", "stdout")),
                "text": str(content.get("text", ""))}
    if kind in ("display_data", "execute_result"):
        output = {"output_type": kind, "data": content.get("data") or {},
                  "metadata": content.get("metadata") or {}}
        if kind == "execute_result":
            output["execution_count"] = content.get("execution_count")
        return output
    if kind == "error":
        return {"output_type": "error", "ename": str(content.get("ename", "")),
                "evalue": str(content.get("evalue", "")),
                "traceback": list(content.get("traceback") or [])}
    return None


def whole_seconds(seconds):
    """Cell timeouts count in whole seconds."""
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
    cells = json.loads(source).get("cells") or []
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    # The first kernel starts now: its second of imports runs while this process imports
    # zmq (imported here, not above, for that reason).
    kernel = Kernel(work, 0) if code else None
    try:
        import zmq
    except ImportError as error:  # an image without the notebook packages: not the student's
        if kernel is not None:
            kernel.stop()
        write_results(key, {"version": 1, "kernel_error": f"the sandbox image lacks {error}",
                            "kernel_restarts": 0, "cells": []})
        return 0

    budget = float(settings["budget"])
    cell_timeout = float(settings["cell_timeout"])
    hidden = set(settings["hidden"])
    tests = set(settings["tests"])
    keep = Outputs(settings)
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

    kernel_error = None
    while position < len(code):
        if kernel is None:
            kernel = Kernel(work, restarts)
        try:
            kernel.connect(zmq, whole_seconds(min(KERNEL_START_TIMEOUT, remaining())))
            for index in list(replay):
                if remaining() < cell_timeout + STOP_MARGIN:
                    break
                again = copy.deepcopy(cells[index])
                try:
                    kernel.execute(again, False, whole_seconds(cell_timeout), keep)
                except (CellTimeout, DeadKernel):
                    replay.remove(index)  # not again: state is rebuilt without it
                    raise
            while position < len(code):
                index = code[position]
                left = remaining()
                if left < STOP_MARGIN + 1:
                    break
                timeout = whole_seconds(min(cell_timeout, left - STOP_MARGIN))
                cell = cells[index]
                position += 1
                try:
                    status = kernel.execute(cell, index not in hidden, timeout, keep)
                except CellTimeout:
                    record(index, "timeout", cell)
                    raise
                except DeadKernel:
                    record(index, "dead", cell)
                    raise
                failed = status not in (None, "ok") or any(
                    o.get("output_type") == "error" for o in cell.get("outputs", []))
                record(index, "error" if failed else "ok", cell)
                if index not in tests:
                    replay.append(index)
        except (CellTimeout, DeadKernel):
            restarts += 1
            if restarts > MAX_RESTARTS:
                not_run_from(position, "too many timeouts: the kernel was not restarted again")
                break
            continue
        except Exception as error:  # the kernel did not start, or its channels broke
            message = f"{type(error).__name__}: {error}"[:1000]
            if position > 0 and code[position - 1] not in results:
                record(code[position - 1], "dead", cells[code[position - 1]])
            if not results:
                kernel_error = message
                break
            restarts += 1
            if restarts > MAX_RESTARTS:
                not_run_from(position, "the kernel could not be restarted")
                break
            continue
        finally:
            kernel.stop()
            kernel = None
        if position < len(code):
            not_run_from(position, "the notebook ran out of time")
            break
    if kernel is not None:
        kernel.stop()
    if kernel_error is None:
        not_run_from(0, "the notebook ran out of time")
    write_results(key, {"version": 1, "kernel_error": kernel_error,
                        "kernel_restarts": restarts,
                        "cells": [results[i] for i in code if i in results]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
