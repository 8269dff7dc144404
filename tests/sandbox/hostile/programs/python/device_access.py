"""Opens the host's devices and kernel memory: /dev/mem, disks, the kernel log, kcore, KVM,
TUN, FUSE, a terminal. Contained: none of them opens."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
DEVICES = ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/vda", "/dev/sda", "/dev/nvme0n1",
           "/dev/kmsg", "/proc/kcore", "/dev/kvm", "/dev/net/tun", "/dev/fuse", "/dev/tty",
           "/dev/console", "/dev/vsock", "/dev/vhost-vsock", "/dev/loop0", "/dev/loop-control",
           "/dev/mapper/control", "/dev/cpu/0/msr", "/proc/kallsyms", "/dev/dri/card0"]
for path in DEVICES:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        data = b""
        if path == "/proc/kallsyms":
            data = os.read(fd, 64)  # zeroed addresses are harmless; real ones are a leak
        os.close(fd)
        print(json.dumps({"probe": f"open:{path}", "ok": True,
                          "detail": data.decode("latin-1")}), flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"open:{path}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc.errno))}),
              flush=True)
print(json.dumps({"probe": "dev", "ok": True, "detail": sorted(os.listdir("/dev"))}),
      flush=True)
