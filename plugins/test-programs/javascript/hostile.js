// A test plugin in JavaScript for the sandbox tests: maps every worker to an active account
// `<employee-id>@<first domain>`, and misbehaves on purpose for these employee ids: `loop` spins
// forever, `grow` allocates without end, `trap` throws an exception nobody catches, `fetch`
// fetches a URL; `log` writes to the console and then behaves. Built twice: as plugins are (HTTP and fetch disabled, where `fetch` throws),
// and with componentize-js's defaults (importing `wasi:http`, which the host refuses to load).
// Both are built for world `plugin-json`, so Tenure maps their batches through `mapBatchJson`,
// which breaks the JSON answer on purpose for a batch holding these employee ids: `json-garbage`
// (text that is not JSON), `json-not-utf8` (bytes that are not UTF-8), `json-short` (one answer too few), `json-field` (an account
// with a field the contract does not have), `json-variant` (a phase it does not have),
// `json-null-name` (`null` for a display name, which is not an option), `json-huge` (a display
// name of 300 KiB, over the default output limit).

function desired(worker, domains) {
  return {
    phase: 'active',
    account: {
      enabled: true,
      identities: [
        { userPrincipalName: `${worker.employeeId}@${domains[0]}`, mailNickname: worker.employeeId },
      ],
      displayName: `${worker.firstName ?? ''} ${worker.lastName ?? ''}`.trim(),
      attributes: [],
      managerEmployeeId: undefined,
      groups: [],
      licenses: [],
      mailbox: undefined,
      onDisable: { revokeSessions: false, scramblePassword: false },
    },
  };
}

function misbehave(id) {
  switch (id) {
    case 'loop':
      for (;;) {}
    case 'grow': {
      const hoard = [];
      for (;;) hoard.push(new ArrayBuffer(1 << 20));
    }
    case 'trap':
      throw new Error('the hostile JavaScript plugin throws on purpose');
    case 'fetch':
      fetch('http://127.0.0.1:9/exfiltrate');
      break;
    case 'log':
      console.log('mapping', id);
      console.error('a line for stderr');
      break;
    default:
  }
}

export const mapping = {
  validateConfig(_config, _domains) {
    return { groups: [], licenses: [] };
  },
  map(worker, context) {
    misbehave(worker.employeeId);
    return desired(worker, context.domains);
  },
  mapBatch(items, domains, _config) {
    return items.map((item) => {
      misbehave(item.worker.employeeId);
      return { tag: 'ok', val: desired(item.worker, domains) };
    });
  },
};

// The batch's answers as JSON, broken on purpose (see the top of this file).
const utf8 = new TextEncoder();

export const mappingJson = {
  mapBatchJson(itemsJson, domains, config) {
    const items = JSON.parse(itemsJson);
    const ids = new Set(items.map((item) => item.worker.employeeId));
    if (ids.has('json-garbage')) return utf8.encode('this is not JSON');
    if (ids.has('json-not-utf8')) return new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]);
    const answers = mapping.mapBatch(items, domains, config);
    answers.forEach((answer, index) => {
      const account = answer.val.account;
      switch (items[index].worker.employeeId) {
        case 'json-field':
          account.secretBackdoor = true;
          break;
        case 'json-variant':
          answer.val.phase = 'retired';
          break;
        case 'json-null-name':
          account.displayName = null;
          break;
        case 'json-huge':
          account.displayName = 'x'.repeat(300 << 10);
          break;
        default:
      }
    });
    if (ids.has('json-short')) answers.pop();
    return utf8.encode(JSON.stringify(answers));
  },
};
