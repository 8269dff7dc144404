"""Writes one file past the file-size limit, then grows it sparsely to 1 GiB. Contained:
the kernel refuses past the limit (EFBIG, or SIGXFSZ for programs that keep it)."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
written, error = 0, None
fd = os.open("/work/big.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
try:
    while written < 4 * int(CTX["file_size"]):
        written += os.write(fd, b"\x55" * 65536)
except OSError as exc:
    error = errno.errorcode.get(exc.errno, str(exc.errno))
print(json.dumps({"probe": "write", "ok": error is None,
                  "detail": {"written": written, "error": error}}), flush=True)
try:
    os.ftruncate(fd, 1 << 30)
    print(json.dumps({"probe": "sparse", "ok": True, "detail": os.fstat(fd).st_size}),
          flush=True)
except OSError as exc:
    print(json.dumps({"probe": "sparse", "ok": False,
                      "detail": errno.errorcode.get(exc.errno)}), flush=True)
os.close(fd)
