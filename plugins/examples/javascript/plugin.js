// The reference mapping plugin in JavaScript: the contractors policy of plugins/examples/README.md,
// the same as the Rust and Python examples beside it.
//
// Built with componentize-js against plugins/wit/mapper.wit (world `plugin-json`), HTTP, fetch
// and stdio disabled (console.log then writes nothing): componentize-js plugin.js \
//   --wit ../../wit/mapper.wit --world-name plugin-json --disable http fetch-event stdio -o contractors.wasm
// (The tests also build it for world `plugin` of contract 1.0, where `mappingJson` is not used.)
//
// How the contract looks from JavaScript: records are objects with camelCase fields, enums are
// their kebab-case names ('active', 'pre-hire'), `option` is a value or undefined, `result` is a
// returned value or a thrown error (in map-batch's list, `{ tag: 'ok' | 'err', val }`). The JSON
// batch call (`mappingJson.mapBatchJson`) carries the very same shapes as JSON text, so the
// policy below serves both calls unchanged.

const ALL_STAFF = 'All Staff';
const LAB = 'Secure Lab Access';
// The custom HR column that grants lab access.
const CLEARANCE = 'Security Clearance';
const EMPLOYEE_LICENSE = 'ENTERPRISEPACK';
const CONTRACTOR_LICENSE = 'SPE_F1';

// Accented letters and what they fold to; the Rust and Python examples have the same table.
const FOLDS = [
  ['àáâãäå', 'a'],
  ['æ', 'ae'],
  ['ç', 'c'],
  ['èéêë', 'e'],
  ['ìíîï', 'i'],
  ['ñ', 'n'],
  ['òóôõöø', 'o'],
  ['ùúûü', 'u'],
  ['ýÿ', 'y'],
  ['ß', 'ss'],
];

// A mapping error, as `result`'s error case.
class Refusal extends Error {
  constructor(field, message) {
    super(message);
    this.payload = { field, message };
  }
}

// The configuration's `domain`, else the tenant's first verified domain.
function domainOf(config, domains) {
  let parsed;
  try {
    parsed = JSON.parse(config);
  } catch (error) {
    throw new Refusal(undefined, `the configuration is not JSON: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Refusal(undefined, 'the configuration must be a JSON object');
  }
  if (parsed.domain === undefined) {
    if (domains.length === 0) throw new Refusal('domain', 'the tenant has no verified domain');
    return domains[0];
  }
  if (typeof parsed.domain !== 'string') throw new Refusal('domain', 'must be a string');
  const wanted = parsed.domain.toLowerCase();
  const found = domains.find((verified) => verified.toLowerCase() === wanted);
  if (found === undefined) {
    throw new Refusal('domain', `${parsed.domain} is not one of the tenant's verified domains`);
  }
  return found;
}

// Each accented letter of FOLDS, and what it folds to.
const FOLD = new Map(FOLDS.flatMap(([letters, plain]) => [...letters].map((letter) => [letter, plain])));

// A name as it goes into a user principal name: lower case, common accented letters folded,
// anything but a-z, 0-9 and - left out. (Plain comparisons rather than a regular expression per
// letter: the interpreter runs inside the sandbox without a JIT, so every step counts.)
function upnPart(name) {
  let out = '';
  for (const c of name.toLowerCase()) {
    const plain = FOLD.get(c);
    if (plain !== undefined) out += plain;
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-') out += c;
  }
  return out;
}

const key = (date) => date.year * 10000 + date.month * 100 + date.day;
const securityGroup = (name) => ({ kind: 'security', name });
const attribute = (name, value) => ({ name, value: value ?? undefined });

function desiredState(worker, today, domain) {
  const first = worker.preferredName ?? worker.firstName;
  if (first === undefined) {
    throw new Refusal('first_name', 'a first name is needed for the user principal name');
  }
  const last = worker.lastName;
  if (last === undefined) {
    throw new Refusal('last_name', 'a last name is needed for the user principal name');
  }
  const contractor = (worker.employmentType ?? '').toLowerCase() === 'contractor';
  const local = `${contractor ? 'c-' : ''}${upnPart(first)}.${upnPart(last)}`;
  const identities = [local, `${local}.${worker.employeeId}`].map((nickname) => ({
    userPrincipalName: `${nickname}@${domain}`,
    mailNickname: nickname,
  }));
  const leaving =
    worker.employmentStatus === 'terminated' ||
    (worker.terminationDate !== undefined && key(worker.terminationDate) <= key(today));
  let phase;
  if (leaving) phase = 'terminated';
  else if (worker.hireDate !== undefined && key(worker.hireDate) > key(today)) phase = 'pre-hire';
  else if (worker.employmentStatus === 'leave') phase = 'on-leave';
  else phase = 'active';
  let groups = [];
  let licenses = [];
  if (!leaving && contractor) {
    // Contractors never get lab access, whatever their clearance.
    groups = [securityGroup(ALL_STAFF)];
    licenses = [CONTRACTOR_LICENSE];
  } else if (!leaving) {
    const cleared = worker.custom.some(
      ([column, value]) => column === CLEARANCE && value.toLowerCase() === 'high',
    );
    groups = (cleared ? [ALL_STAFF, LAB] : [ALL_STAFF]).map(securityGroup);
    licenses = [EMPLOYEE_LICENSE];
  }
  const office = [worker.location, worker.country].filter((part) => part !== undefined).join(', ');
  return {
    phase,
    account: {
      enabled: phase === 'active' || phase === 'on-leave',
      identities,
      displayName: `${first} ${last}${contractor ? ' (Contractor)' : ''}`,
      attributes: [
        attribute('givenName', first),
        attribute('surname', last),
        attribute('jobTitle', worker.jobTitle),
        attribute('department', worker.department),
        attribute('employeeType', worker.employmentType),
        attribute('usageLocation', worker.country),
        attribute('officeLocation', office === '' ? undefined : office),
      ],
      managerEmployeeId: worker.managerEmployeeId,
      groups,
      licenses,
      mailbox: undefined,
      onDisable: { revokeSessions: true, scramblePassword: true },
    },
  };
}

// A thrown Refusal as the contract's mapping error; anything else is a bug, and stays a crash.
function asResult(run) {
  try {
    return { tag: 'ok', val: run() };
  } catch (error) {
    if (error instanceof Refusal) return { tag: 'err', val: error.payload };
    throw error;
  }
}

// The contract's `result` error case is thrown as `{ payload }`.
function orThrow(result) {
  if (result.tag === 'ok') return result.val;
  throw { payload: result.val };
}

export const mapping = {
  validateConfig(config, domains) {
    return orThrow(
      asResult(() => {
        domainOf(config, domains);
        return {
          groups: [securityGroup(ALL_STAFF), securityGroup(LAB)],
          licenses: [EMPLOYEE_LICENSE, CONTRACTOR_LICENSE],
        };
      }),
    );
  },
  map(worker, context) {
    return orThrow(
      asResult(() => desiredState(worker, context.today, domainOf(context.config, context.domains))),
    );
  },
  mapBatch(items, domains, config) {
    const domain = asResult(() => domainOf(config, domains));
    return items.map((item) =>
      domain.tag === 'err' ? domain : asResult(() => desiredState(item.worker, item.today, domain.val)),
    );
  },
};

// Tenure maps batches through this when the plugin exports it (contract 1.1): the workers as one
// JSON text, the answers as the UTF-8 bytes of another. componentize-js hands every string back
// to Tenure by measuring it character by character in interpreted JavaScript, which cost four
// times the policy itself; a Uint8Array goes back in one copy, and JSON.parse, JSON.stringify and
// TextEncoder are the engine's own compiled code.
const utf8 = new TextEncoder();

export const mappingJson = {
  mapBatchJson(items, domains, config) {
    return utf8.encode(JSON.stringify(mapping.mapBatch(JSON.parse(items), domains, config)));
  },
};
