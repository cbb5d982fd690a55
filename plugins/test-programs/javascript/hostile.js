// A test plugin in JavaScript for the sandbox tests: maps every worker to an active account
// `<employee-id>@<first domain>`, and misbehaves on purpose for these employee ids: `loop` spins
// forever, `grow` allocates without end, `trap` throws an exception nobody catches, `fetch`
// fetches a URL; `log` writes to the console and then behaves. Built twice: as plugins are (HTTP and fetch disabled, where `fetch` throws),
// and with componentize-js's defaults (importing `wasi:http`, which the host refuses to load).

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
