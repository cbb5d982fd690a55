"""A Tenure mapping plugin: the starting policy of this project's README, to change into yours.

Tenure calls `map_batch` with the workers of an HR file and `validate_config` with the
connection's configuration; the contract is wit/mapper.wit. From Python: records are dataclasses
with snake_case fields (`wit_world.imports.types`, written by `componentize-py -d wit -w plugin
bindings .` for your editor), enums are Enum members (`Phase.PRE_HIRE`), `option` is a value or
None, and a `result` is a returned value or a raised `Err(MappingError(...))` (in map_batch's
list, `Ok(...)` or `Err(...)`). The plugin cannot open files or sockets.
"""

import io
import json
import sys
from typing import List, Optional

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import types as t


class _Discard(io.TextIOBase):
    """Where print() and tracebacks go: built with --stub-wasi, the plugin has no stdout or
    stderr, and writing to them would crash it."""

    def write(self, text: str) -> int:
        return len(text)


sys.stdout = sys.stderr = _Discard()

# The one group this plugin manages: only its memberships are ever added or taken away.
ALL_STAFF = "All Staff"


def refusal(field: Optional[str], message: str) -> Err:
    """A refusal: the worker (or the configuration) is not mapped, for this reason."""
    return Err(t.MappingError(field, message))


def domain_of(config: str, domains: List[str]) -> str:
    """The configuration (a JSON object) may name the UPN domain, {"domain": "contoso.com"},
    which must be one of the tenant's verified domains; else the first verified domain."""
    try:
        parsed = json.loads(config)
    except ValueError as error:
        raise refusal(None, f"the configuration is not JSON: {error}")
    wanted = parsed.get("domain") if isinstance(parsed, dict) else None
    if wanted is None:
        if not domains:
            raise refusal("domain", "the tenant has no verified domain")
        return domains[0]
    if not isinstance(wanted, str):
        raise refusal("domain", "must be a string")
    for verified in domains:
        if verified.lower() == wanted.lower():
            return verified
    raise refusal("domain", f"{wanted} is not a verified domain of the tenant")


def upn_part(name: str) -> str:
    """A name as it goes into a user principal name: lower case, only a-z, 0-9 and -."""
    return "".join(c for c in name.lower() if "a" <= c <= "z" or "0" <= c <= "9" or c == "-")


def key(date: t.Date) -> tuple:
    return (date.year, date.month, date.day)


def all_staff() -> t.GroupRef:
    return t.GroupRef(t.GroupKind.SECURITY, ALL_STAFF)


def desired_state(worker: t.Worker, today: t.Date, domain: str) -> t.DesiredState:
    first = worker.preferred_name if worker.preferred_name is not None else worker.first_name
    if first is None:
        raise refusal("first_name", "a first name is needed for the user principal name")
    last = worker.last_name
    if last is None:
        raise refusal("last_name", "a last name is needed for the user principal name")
    local = f"{upn_part(first)}.{upn_part(last)}"
    # The first candidate whose UPN and mail nickname are both free is taken.
    identities = [
        t.Identity(f"{nickname}@{domain}", nickname) for nickname in (local, f"{local}.{worker.employee_id}")
    ]
    leaving = worker.employment_status == t.EmploymentStatus.TERMINATED or (
        worker.termination_date is not None and key(worker.termination_date) <= key(today)
    )
    if leaving:
        phase = t.Phase.TERMINATED
    elif worker.hire_date is not None and key(worker.hire_date) > key(today):
        phase = t.Phase.PRE_HIRE
    elif worker.employment_status == t.EmploymentStatus.LEAVE:
        phase = t.Phase.ON_LEAVE
    else:
        phase = t.Phase.ACTIVE
    return t.DesiredState(
        phase,
        t.Account(
            enabled=phase in (t.Phase.ACTIVE, t.Phase.ON_LEAVE),
            identities=identities,
            display_name=f"{first} {last}",
            attributes=[
                t.Attribute("givenName", first),
                t.Attribute("surname", last),
                t.Attribute("jobTitle", worker.job_title),
                t.Attribute("department", worker.department),
            ],
            manager_employee_id=worker.manager_employee_id,
            groups=[] if leaving else [all_staff()],
            licenses=[],
            # None leaves the mailbox as it is.
            mailbox=None,
            on_disable=t.OnDisable(revoke_sessions=True, scramble_password=True),
        ),
    )


class Mapping(exports.Mapping):
    def validate_config(self, config: str, domains: List[str]) -> t.Managed:
        domain_of(config, domains)
        return t.Managed([all_staff()], [])

    def map(self, worker: t.Worker, context: t.Context) -> t.DesiredState:
        return desired_state(worker, context.today, domain_of(context.config, context.domains))

    def map_batch(self, items: List[t.BatchItem], domains: List[str], config: str) -> list:
        try:
            domain = domain_of(config, domains)
        except Err as error:
            return [error for _ in items]
        results = []
        for item in items:
            try:
                results.append(Ok(desired_state(item.worker, item.today, domain)))
            except Err as error:
                results.append(error)
        return results
