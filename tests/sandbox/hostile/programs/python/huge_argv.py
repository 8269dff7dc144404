"""Executes programs with giant argument lists and environments. Contained: the kernel
refuses with E2BIG (or runs them within its limits); the run and the trusted side go on."""

import errno
import json
import os
import subprocess
import sys

CTX = json.loads(sys.argv[1])
ATTEMPTS = {
    "one_arg_1MiB": (["/bin/true", "x" * (1 << 20)], None),
    "args_12MiB": (["/bin/true"] + ["y" * 63] * 200_000, None),
    "env_8MiB": (["/bin/true"], {"BIG": "z" * (8 << 20)}),
    "env_many": (["/bin/true"], {f"V{i}": "v" * 60 for i in range(100_000)}),
    "args_1MiB": (["/bin/true"] + ["w" * 1023] * 1024, None),
}
for name, (argv, env) in ATTEMPTS.items():
    try:
        code = subprocess.run(argv, env=env, timeout=5).returncode
        print(json.dumps({"probe": f"exec:{name}", "ok": code == 0, "detail": code}),
              flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"exec:{name}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno, str(exc))}), flush=True)
    except subprocess.SubprocessError as exc:
        print(json.dumps({"probe": f"exec:{name}", "ok": False, "detail": str(exc)}),
              flush=True)
print(json.dumps({"probe": "alive", "ok": True, "detail": os.getpid()}), flush=True)
