"""moto_server as the Tenure tests run it: moto's own server and arguments, with one change so it
keeps a promise S3 makes and Tenure relies on.

S3 applies a conditional write (`If-None-Match: *`, `If-Match: <ETag>`) atomically: of writes
racing to one key on the same condition, exactly one succeeds. The webhook's replay cache, the
write budget and every versioned record count on that. moto checks the condition, then writes,
in whichever threads its server gave the requests, so two racing writes can both pass the check
and both succeed. Here every object write runs under one lock, so checking and writing are one
step, as in S3. Nothing else changes.

Run by `tests/support/src/moto.rs` with the Python that has `moto[server]` installed (the venv
`scripts/setup` makes): `python moto_server.py -H 127.0.0.1 -p PORT`.
"""

import sys
import threading

try:
    from moto.s3.responses import S3Response
    from moto.server import main
except ImportError as error:
    sys.exit(
        f"moto[server] is not installed for {sys.executable} ({error}): "
        "run scripts/setup, which installs it into .venv/"
    )

_object_writes = threading.Lock()
_put_object = S3Response.put_object


def _put_object_atomically(self):
    with _object_writes:
        return _put_object(self)


S3Response.put_object = _put_object_atomically

if __name__ == "__main__":
    main()
