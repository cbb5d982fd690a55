// A Tenure mapping plugin: the starting policy of this project's README, to change into yours.
//
// Tenure calls `mapBatch` with the workers of an HR file (through `mappingJson` at the bottom)
// and `validateConfig` with the connection's configuration; the contract is wit/mapper.wit, and mapper.d.ts its types in
// TypeScript. `tenure plugin build` type-checks this file, compiles it to build/plugin.js and
// builds the component from that. console.log writes nothing: the plugin is built without stdio,
// and cannot fetch, open files or sockets.

import type {
  Account,
  BatchItem,
  Context,
  Date,
  DesiredState,
  GroupRef,
  Managed,
  Mapping,
  MappingError,
  MappingJson,
  BatchAnswers,
  Phase,
  Result,
  Worker,
} from './mapper.js';

// The one group this plugin manages: only its memberships are ever added or taken away.
const ALL_STAFF = 'All Staff';

// A refusal: the worker (or the configuration) is not mapped, for this reason.
class Refusal extends Error {
  readonly payload: MappingError;
  constructor(field: string | undefined, message: string) {
    super(message);
    this.payload = { field, message };
  }
}

// The configuration (a JSON object) may name the UPN domain, {"domain": "contoso.com"}, which
// must be one of the tenant's verified domains; else the first verified domain.
function domainOf(config: string, domains: string[]): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch (error) {
    throw new Refusal(undefined, `the configuration is not JSON: ${(error as Error).message}`);
  }
  const wanted = (parsed as { domain?: unknown } | null)?.domain;
  if (wanted === undefined) {
    if (domains.length === 0) throw new Refusal('domain', 'the tenant has no verified domain');
    return domains[0];
  }
  if (typeof wanted !== 'string') throw new Refusal('domain', 'must be a string');
  const found = domains.find((verified) => verified.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) {
    throw new Refusal('domain', `${wanted} is not a verified domain of the tenant`);
  }
  return found;
}

// A name as it goes into a user principal name: lower case, only a-z, 0-9 and -.
const upnPart = (name: string): string => name.toLowerCase().replace(/[^a-z0-9-]/g, '');
const key = (date: Date): number => date.year * 10000 + date.month * 100 + date.day;
const allStaff = (): GroupRef => ({ kind: 'security', name: ALL_STAFF });

function desiredState(worker: Worker, today: Date, domain: string): DesiredState {
  const first = worker.preferredName ?? worker.firstName;
  if (first === undefined) {
    throw new Refusal('first_name', 'a first name is needed for the user principal name');
  }
  const last = worker.lastName;
  if (last === undefined) {
    throw new Refusal('last_name', 'a last name is needed for the user principal name');
  }
  const local = `${upnPart(first)}.${upnPart(last)}`;
  // The first candidate whose UPN and mail nickname are both free is taken.
  const identities = [local, `${local}.${worker.employeeId}`].map((nickname) => ({
    userPrincipalName: `${nickname}@${domain}`,
    mailNickname: nickname,
  }));
  const leaving =
    worker.employmentStatus === 'terminated' ||
    (worker.terminationDate !== undefined && key(worker.terminationDate) <= key(today));
  let phase: Phase;
  if (leaving) phase = 'terminated';
  else if (worker.hireDate !== undefined && key(worker.hireDate) > key(today)) phase = 'pre-hire';
  else if (worker.employmentStatus === 'leave') phase = 'on-leave';
  else phase = 'active';
  const account: Account = {
    enabled: phase === 'active' || phase === 'on-leave',
    identities,
    displayName: `${first} ${last}`,
    attributes: [
      { name: 'givenName', value: first },
      { name: 'surname', value: last },
      { name: 'jobTitle', value: worker.jobTitle },
      { name: 'department', value: worker.department },
    ],
    managerEmployeeId: worker.managerEmployeeId,
    groups: leaving ? [] : [allStaff()],
    licenses: [],
    // undefined leaves the mailbox as it is.
    mailbox: undefined,
    onDisable: { revokeSessions: true, scramblePassword: true },
  };
  return { phase, account };
}

// A thrown Refusal as the contract's mapping error; anything else is a bug, and stays a crash.
function asResult<T>(run: () => T): Result<T, MappingError> {
  try {
    return { tag: 'ok', val: run() };
  } catch (error) {
    if (error instanceof Refusal) return { tag: 'err', val: error.payload };
    throw error;
  }
}

// The contract's `result` error case is thrown as `{ payload }`.
function orThrow<T>(run: () => T): T {
  const result = asResult(run);
  if (result.tag === 'ok') return result.val;
  throw { payload: result.val };
}

export const mapping: Mapping = {
  validateConfig(config: string, domains: string[]): Managed {
    return orThrow(() => {
      domainOf(config, domains);
      return { groups: [allStaff()], licenses: [] };
    });
  },
  map(worker: Worker, context: Context): DesiredState {
    return orThrow(() => desiredState(worker, context.today, domainOf(context.config, context.domains)));
  },
  mapBatch(items: BatchItem[], domains: string[], config: string): Array<Result<DesiredState, MappingError>> {
    const domain = asResult(() => domainOf(config, domains));
    return items.map((item) =>
      domain.tag === 'err' ? domain : asResult(() => desiredState(item.worker, item.today, domain.val)),
    );
  },
};

// How Tenure calls mapBatch (contract 1.1): the workers as one JSON text, in the very shapes
// mapBatch takes, and the answers as the UTF-8 bytes of another. About five times faster than the
// typed call, whose generated bindings hand every string back character by character in
// interpreted JavaScript; keep it as it is.
const utf8 = new TextEncoder();

export const mappingJson: MappingJson = {
  mapBatchJson(items: string, domains: string[], config: string): Uint8Array {
    const parsed: BatchItem[] = JSON.parse(items);
    const answers: BatchAnswers = mapping.mapBatch(parsed, domains, config);
    return utf8.encode(JSON.stringify(answers));
  },
};
