"""Hard-links host files (passwd, a canary) and its own input into collected names.
Contained: links across file systems are refused, and a file with several links is not
collected."""

import errno
import json
import os
import sys

CTX = json.loads(sys.argv[1])
LINKS = {"out.txt": "/etc/passwd", "canary.txt": CTX["canaries"][1],
         "tmp_canary.txt": CTX["canaries"][0], "self.txt": "main.py"}
for name, target in LINKS.items():
    try:
        os.link(target, name)
        print(json.dumps({"probe": f"link:{name}", "ok": True, "detail": target}), flush=True)
    except OSError as exc:
        print(json.dumps({"probe": f"link:{name}", "ok": False,
                          "detail": errno.errorcode.get(exc.errno)}), flush=True)
with open("plain.txt", "w") as handle:
    handle.write("plain")
