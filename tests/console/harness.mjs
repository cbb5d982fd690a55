// What the console's browser tests share: `tenure emulate` and `tenure serve` started as the
// user would (fresh state folder, free ports), a signed-in browser page, the checks every page
// gets (axe-core, no secret in the HTML, no console error) and its screenshot.

import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import path from 'node:path';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const tenureBinary = process.env.TENURE_BIN ?? path.join(repo, 'target/debug/tenure');
export const screenshots = path.join(repo, 'target/console-screenshots');
const axeSource = readFileSync(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** The sample tenant's Global Administrator, and a member without a role. */
export const ADMIN = 'admin@contoso.onmicrosoft.com';
export const MEMBER = 'olivia.bennett@contoso.com';
/** Secrets of this run: none may ever appear in a page. */
export const CUSTOMER_SECRET = 'console-test-customer-secret-7Qd2';
export const APP_SECRET = 'console-test-app-secret-Zp41';
export const WRONG_SECRET = 'console-test-wrong-secret-Hk20';
/** The most one request to `tenure serve` carries here (`--max-request-bytes`). */
export const REQUEST_LIMIT = 1024 * 1024;
/** A tenant that is not the emulated one. */
export const OTHER_TENANT = '5d1e2c3b-7a8f-4e6d-9c0b-1a2b3c4d5e6f';

/** A free loopback port. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a long-running `tenure` command; resolves with the first stdout line matching `ready`. */
function startTenure(args, env, ready) {
  const child = spawn(tenureBinary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout });
  const line = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tenure ${args[0]} did not start within 60 s:\n${stderr}`)), 60_000);
    lines.on('line', (text) => {
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tenure ${args[0]} exited with ${code}:\n${stderr}`));
    });
  });
  return { child, line, stderr: () => stderr };
}

/** Runs a `tenure` command to its end; its exit code, stdout and stderr. */
export async function runTenure(args, env) {
  try {
    const { stdout, stderr } = await promisify(execFile)(tenureBinary, args, { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

/**
 * The emulated tenant and `tenure serve` against it, in a fresh state folder: Tenure's app
 * registered for the console's sign-in, and two customer-app connections: `contoso` (the
 * emulated tenant, proved) and `fabrikam` (another tenant, whose proof fails).
 */
export async function startDeployment() {
  if (!existsSync(tenureBinary)) {
    throw new Error(`the tenure binary is missing at ${tenureBinary}: cargo build --workspace`);
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is missing at ${chromiumPath}: scripts/setup installs it — this test never skips`);
  }
  const state = mkdtempSync(path.join(tmpdir(), 'tenure-console-'));
  const servePort = await freePort();
  const url = `http://localhost:${servePort}`;
  const env = {
    TENURE_STATE_DIR: state,
    TENURE_EMULATOR_CLIENT_SECRET: CUSTOMER_SECRET,
    TENURE_CLIENT_SECRET: CUSTOMER_SECRET,
    TENURE_APP_CLIENT_SECRET: APP_SECRET,
    TENURE_APP_CLIENT_ID: 'tenure-app',
    RUST_LOG: 'warn',
  };
  const emulate = startTenure(
    [
      'emulate',
      '--state', path.join(repo, 'samplesdata/directory.json'),
      '--tenure-app-id', 'tenure-app',
      '--redirect-uri', `${url}/signin/callback`,
      '--redirect-uri', `${url}/oauth/callback`,
    ],
    env,
    /^emulated tenant /,
  );
  const banner = await emulate.line;
  const [, tenant, tenantUrl] = banner.match(/^emulated tenant (\S+) listening on (http:\/\/\S+)/);
  const contoso = await runTenure(
    ['connect', 'customer-app', '--id', 'contoso', '--tenant', tenant, '--client-id', 'tenure-local',
      '--client-secret-env', 'TENURE_CLIENT_SECRET', '--endpoint', tenantUrl],
    env,
  );
  assert.equal(contoso.code, 0, `tenure connect contoso: ${contoso.stderr}`);
  // Another tenant's connection: its proof fails (the emulated tenant is not that tenant), and
  // the record stays, failed.
  await runTenure(
    ['connect', 'customer-app', '--id', 'fabrikam', '--tenant', OTHER_TENANT, '--client-id', 'tenure-local',
      '--client-secret-env', 'TENURE_CLIENT_SECRET', '--endpoint', tenantUrl],
    env,
  );
  // A request carries at most 1 MiB here (4 MiB through API Gateway on AWS): a plugin larger
  // than that goes through an upload URL, as it does on AWS.
  const serve = startTenure(
    ['serve', '--listen', `127.0.0.1:${servePort}`, '--public-url', url, '--sign-in-authority', tenantUrl,
      '--max-request-bytes', `${REQUEST_LIMIT}`],
    env,
    /^Tenure is serving/,
  );
  await serve.line;
  return {
    url,
    tenant,
    tenantUrl,
    state,
    env,
    stop() {
      serve.child.kill('SIGINT');
      emulate.child.kill('SIGINT');
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/**
 * A browser page of its own context signed in to the console as `user` through the emulated
 * tenant's sign-in page; console errors (a refused script or style among them) are collected
 * in `page.problems`.
 */
export async function signIn(browser, deployment, user, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(message.text());
  });
  page.on('pageerror', (error) => page.problems.push(error.message));
  await page.goto(`${deployment.url}/`);
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await page.waitForURL((url) => url.href.startsWith(deployment.tenantUrl));
  await page.fill('#login', user);
  await page.click('#accept');
  await page.waitForURL(`${deployment.url}/console`);
  // What the emulated tenant's own page did (its missing icon) is not the console's.
  page.problems.length = 0;
  return page;
}

/**
 * The checks every page gets: axe-core finds no serious or critical violation, the HTML holds
 * none of the run's secrets nor the session cookie, and nothing went wrong in the console.
 * Then a screenshot, `target/console-screenshots/<name>.png`.
 */
export async function checkPage(page, name) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }),
  );
  const serious = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `axe-core on ${name}`,
  );
  const html = await page.content();
  const cookies = await page.context().cookies();
  for (const secret of [CUSTOMER_SECRET, APP_SECRET, WRONG_SECRET, ...cookies.map((c) => c.value).filter((v) => v.length > 20)]) {
    assert.ok(!html.includes(secret), `${name} shows a secret`);
  }
  assert.deepEqual(page.problems, [], `${name}: errors in the browser's console`);
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

/** The accessible names of what Tab reaches, in order, from the top of the page (at most `limit`). */
export async function tabStops(page, limit = 40) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    for (const el of document.querySelectorAll('[data-tab-seen]')) delete el.dataset.tabSeen;
    window.scrollTo(0, 0);
  });
  const stops = [];
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el.dataset.tabSeen) return null;
      el.dataset.tabSeen = 'yes';
      return `${el.tagName.toLowerCase()}:${(el.innerText || el.value || el.getAttribute('aria-label') || '').trim()}`;
    });
    if (stop === null) break;
    stops.push(stop);
  }
  return stops;
}

/** Waits until `check()` is truthy, at most `seconds`; its value. */
export async function eventually(what, check, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Posts a signed HR webhook delivery to `connection`; the answer's JSON. */
export async function deliver(deployment, connection, events) {
  const key = readFileSync(path.join(deployment.state, `${connection}-webhook.key`), 'utf8').trim();
  const body = JSON.stringify({ events });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
  const answer = await fetch(`${deployment.url}/connections/${connection}/hr-events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tenure-timestamp': timestamp,
      'x-tenure-signature': `sha256=${signature}`,
    },
    body,
  });
  assert.equal(answer.status, 202, await answer.clone().text());
  return answer.json();
}

/**
 * Gives `contoso` the sample mapping (a guard share of 5%) and a webhook key, lets one delivery
 * be provisioned (which keeps the directory cache), then delivers the leaving of eight workers
 * (their records, terminated two days ago): more than the guard lets through, so it is held for
 * approval. The delivery's answer.
 */
export async function holdLeavers(deployment) {
  const env = deployment.env;
  const mapping = await runTenure(
    ['connect', 'mapping', '--connection', 'contoso', '--config', path.join(repo, 'samplesdata/mapper.json'),
      '--max-disable-share', '5%'],
    env,
  );
  assert.equal(mapping.code, 0, mapping.stderr);
  const key = await runTenure(
    ['connect', 'webhook-key', '--connection', 'contoso', '--key-file', path.join(deployment.state, 'contoso-webhook.key')],
    env,
  );
  assert.equal(key.code, 0, key.stderr);
  const workers = JSON.parse(readFileSync(path.join(repo, 'samplesdata/company.json'), 'utf8'));
  const first = workers.find((w) => w.employee_id === '1002');
  await deliver(deployment, 'contoso', [{ type: 'upsert', worker: first }]);
  const cache = path.join(deployment.state, 'store/objects/connections/contoso/directory-cache.json');
  await eventually('the first delivery is provisioned (directory cache kept)', () => existsSync(cache));
  // Two days back in UTC: past in every worker's time zone (a day back is still today in
  // Los Angeles for the first hours of a UTC day).
  const lastDay = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const leavers = workers.slice(10, 18).map((w) => ({
    type: 'upsert',
    worker: { ...w, employment_status: 'terminated', termination_date: lastDay },
  }));
  return deliver(deployment, 'contoso', leavers);
}
