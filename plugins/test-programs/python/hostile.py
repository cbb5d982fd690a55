"""A test plugin in Python for the sandbox tests: maps every worker to an active account
`<employee-id>@<first domain>`, and misbehaves on purpose for these employee ids: `loop` spins
forever, `grow` allocates without end, `trap` raises an exception nobody catches, `socket`
opens a TCP connection; `log` prints and then behaves (its output is discarded), `raw-print`
prints to the real stdout, which `--stub-wasi` leaves without WASI. Built twice: as plugins
are (`--stub-wasi`, where the socket cannot be opened), and with componentize-py's defaults
(importing `wasi:sockets`, which the host refuses to load)."""

import io
import sys
from typing import List

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports import types as t


class _Discard(io.TextIOBase):
    """Where print() and tracebacks go: a plugin built with componentize-py's --stub-wasi has no
    real stdout or stderr, and writing to them would crash it."""

    def write(self, text: str) -> int:
        return len(text)


sys.stdout = sys.stderr = _Discard()


def desired(worker: t.Worker, domains: List[str]) -> t.DesiredState:
    return t.DesiredState(
        t.Phase.ACTIVE,
        t.Account(
            enabled=True,
            identities=[t.Identity(f"{worker.employee_id}@{domains[0]}", worker.employee_id)],
            display_name=f"{worker.first_name or ''} {worker.last_name or ''}".strip(),
            attributes=[],
            manager_employee_id=None,
            groups=[],
            licenses=[],
            mailbox=None,
            on_disable=t.OnDisable(False, False),
        ),
    )


def misbehave(employee_id: str) -> None:
    if employee_id == "loop":
        while True:
            pass
    elif employee_id == "grow":
        hoard = []
        while True:
            hoard.append(bytearray(1 << 20))
    elif employee_id == "trap":
        raise RuntimeError("the hostile Python plugin raises on purpose")
    elif employee_id == "socket":
        import socket

        socket.create_connection(("127.0.0.1", 9))
    elif employee_id == "log":
        print("mapping", employee_id)
        print("a line for stderr", file=sys.stderr)
    elif employee_id == "raw-print":
        print("mapping", employee_id, file=sys.__stdout__)


class Mapping(exports.Mapping):
    def validate_config(self, config: str, domains: List[str]) -> t.Managed:
        return t.Managed([], [])

    def map(self, worker: t.Worker, context: t.Context) -> t.DesiredState:
        misbehave(worker.employee_id)
        return desired(worker, context.domains)

    def map_batch(self, items: List[t.BatchItem], domains: List[str], config: str) -> list:
        results = []
        for item in items:
            misbehave(item.worker.employee_id)
            results.append(Ok(desired(item.worker, domains)))
        return results
