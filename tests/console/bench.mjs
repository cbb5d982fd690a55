// Server time per console page on the sample connection: `tenure emulate` + `tenure serve` as
// the browser test starts them (the sample company, one held change of eight leavers approved,
// its audit trail), a signed-in administrator, then each page asked for N times in a row over
// loopback; prints p50 / p95 / max per page. Not a test: `node bench.mjs [N]`
// (docs/benchmarks.md). Uses $TENURE_BIN (default target/debug/tenure).

import { chromium } from 'playwright-core';
import { ADMIN, chromiumPath, eventually, holdLeavers, signIn, startDeployment } from './harness.mjs';

const rounds = Number(process.argv[2] ?? 200);
const deployment = await startDeployment();

/** Asks for `path` `rounds` times in a row; prints p50, p95 and max under `name`. */
async function measure(name, path, cookie) {
  const times = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = process.hrtime.bigint();
    const answer = await fetch(`${deployment.url}${path}`, { headers: { cookie, accept: 'text/html' } });
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(name.padEnd(52), at(0.5).padStart(6), at(0.95).padStart(7), times.at(-1).toFixed(1).padStart(7));
}
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
try {
  await holdLeavers(deployment);
  const page = await signIn(browser, deployment, ADMIN);
  const session = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  console.log(`${rounds} requests per page, one at a time, over loopback (${process.env.TENURE_BIN ?? 'target/debug/tenure'})`);
  console.log('page'.padEnd(52), 'p50 ms', ' p95 ms', ' max ms');
  // While the change is held, the approvals page plans it (plugin, cached directory).
  await measure('/console/connections/contoso/approvals (8 held)', '/console/connections/contoso/approvals', session);
  await page.goto(`${deployment.url}/console/connections/contoso/approvals`);
  await page.getByRole('button', { name: 'Approve and provision' }).click();
  await page.getByText(/released to provisioning/).waitFor();
  await eventually('the approved changes are applied', async () => {
    const html = await (await page.request.get(`${deployment.url}/console/connections/contoso/activity`)).text();
    return html.includes('disable user');
  });
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const pages = [
    '/',
    '/console',
    '/console/connections/contoso',
    '/console/connections/contoso/permissions',
    '/console/connections/contoso/approvals',
    '/console/connections/contoso/activity',
    '/console/connections/contoso/activity?worker=1015',
    '/console/connections/new',
    '/console/connections/new/tenure-app',
    '/console/connections/contoso/exchange',
  ];
  for (const path of pages) await measure(path, path, cookie);
} finally {
  await browser.close();
  deployment.stop();
}
