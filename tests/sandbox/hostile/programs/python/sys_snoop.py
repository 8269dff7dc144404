"""Looks at the host's network interfaces in /sys and tries to loosen its own control groups,
to move itself to the root group and to set the release agent (opened only). Contained:
only a loopback is visible and every cgroup write is refused."""

import errno
import glob
import json
import os
import sys

CTX = json.loads(sys.argv[1])


def report(probe, ok, detail=""):
    print(json.dumps({"probe": probe, "ok": ok, "detail": detail}), flush=True)


def failure(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))


for directory in ("/sys/class/net", "/sys/fs/cgroup", "/sys/block", "/sys/firmware"):
    try:
        report(f"list:{directory}", True, sorted(os.listdir(directory))[:100])
    except OSError as exc:
        report(f"list:{directory}", False, failure(exc))
try:
    with open("/proc/self/cgroup") as handle:
        groups = [line.strip().split(":", 2) for line in handle if line.strip()]
except OSError:
    groups = []
report("cgroup", True, groups)
writes = {"memory.limit_in_bytes": "-1", "memory.max": "max", "pids.max": "max",
          "memory.memsw.limit_in_bytes": "-1", "cpu.cfs_quota_us": "-1",
          "cgroup.procs": str(os.getpid())}
targets = []
for _, controllers, path in groups:
    for controller in (controllers.split(",") if controllers else [""]):
        base = os.path.join("/sys/fs/cgroup", controller.replace("name=", ""))
        targets += [os.path.join(base, path.lstrip("/")), base]
for target in sorted(set(targets)) + sorted(glob.glob("/sys/fs/cgroup/*")):
    for file_name, value in writes.items():
        path = os.path.join(target, file_name)
        if not os.path.exists(path):
            continue
        try:
            with open(path, "w") as handle:
                handle.write(value)
            report(f"write:{path}", True, value)
        except OSError as exc:
            report(f"write:{path}", False, failure(exc))
for path in glob.glob("/sys/fs/cgroup/*/release_agent") + glob.glob(
        "/sys/fs/cgroup/*/notify_on_release") + ["/sys/fs/cgroup/release_agent",
                                                 "/sys/power/state", "/sys/kernel/uevent_helper"]:
    try:
        os.close(os.open(path, os.O_WRONLY))
        report(f"open_for_write:{path}", True)
    except OSError as exc:
        report(f"open_for_write:{path}", False, failure(exc))
