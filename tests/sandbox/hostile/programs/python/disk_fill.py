"""Fills every writable place: the work dir until ENOSPC, then /tmp, /var/tmp and /dev/shm
(up to a cap). Contained: the work dir is a small tmpfs (ENOSPC there), and nothing lands on
the host's disk."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
BLOCK = b"\xaa" * (256 << 10)
FILE_BYTES = 1 << 20


def fill(directory, cap):
    written, number, error = 0, 0, None
    try:
        while written < cap:
            path = os.path.join(directory, f"{CTX['marker']}-fill-{number}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                for _ in range(FILE_BYTES // len(BLOCK)):
                    written += os.write(fd, BLOCK)
            finally:
                os.close(fd)
            number += 1
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    return {"written": written, "error": error}


for directory, cap in (("/work", 256 << 20), ("/tmp", 16 << 20), ("/var/tmp", 16 << 20),
                       ("/dev/shm", 16 << 20)):
    result = fill(directory, cap)
    print(json.dumps({"probe": f"fill:{directory}", "ok": result["error"] is None,
                      "detail": result}), flush=True)
