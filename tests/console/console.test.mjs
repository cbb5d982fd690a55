// The admin console in headless Chromium against `tenure serve` and `tenure emulate` (started
// here, fresh state, free ports): sign-in, who you are, the connections a caller may see, and
// what every page must be (accessible, keyboard usable, no secret, a screenshot).
//
// Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and target/debug/tenure (or
// $TENURE_BIN), which scripts/test builds.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  ADMIN, CUSTOMER_SECRET, deliver, repo, MEMBER, WRONG_SECRET, OTHER_TENANT, REQUEST_LIMIT, checkPage, chromiumPath, eventually,
  holdLeavers, signIn, screenshots, startDeployment, tabStops,
} from './harness.mjs';

let deployment;
let browser;

before(async () => {
  deployment = await startDeployment();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
});

after(async () => {
  await browser?.close();
  deployment?.stop();
});

test('the landing page offers sign-in and is accessible', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => m.type() === 'error' && page.problems.push(m.text()));
  await page.goto(`${deployment.url}/`);
  assert.equal(await page.title(), 'Sign in · Tenure');
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).waitFor();
  assert.equal(await page.getByLabel("Your organization's Microsoft cloud").inputValue(), 'global');
  await checkPage(page, 'landing');
  await context.close();
});

test('an administrator sees who they are and their tenant’s connections, not another tenant’s', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  assert.equal(await page.title(), 'Connections · Tenure');
  const facts = await page.locator('dl.facts').innerText();
  assert.match(facts, new RegExp(ADMIN.replace('.', '\\.')));
  assert.match(facts, new RegExp(deployment.tenant));
  assert.match(facts, /Global Administrator/);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  const row = await rows.first().innerText();
  assert.match(row, /contoso/);
  assert.match(row, /Linked/);
  assert.match(row, /Customer Owned Application \(client secret\)/);
  assert.doesNotMatch(await page.content(), /fabrikam|5d1e2c3b/);
  await checkPage(page, 'connections');

  // By keyboard: Tab reaches the skip link, the navigation, sign-out and the connection.
  const stops = await tabStops(page);
  for (const wanted of ['a:Skip to the content', 'a:Connections', 'button:Sign out', 'a:contoso']) {
    assert.ok(stops.includes(wanted), `Tab reaches ${wanted}: ${stops.join(' | ')}`);
  }

  // With JavaScript, navigating asks htmx for the content only, and the page stays whole.
  const partial = page.waitForResponse((r) => r.url().endsWith('/console') && r.request().headers()['hx-request'] === 'true');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  const answer = await partial;
  const body = await answer.text();
  assert.doesNotMatch(body, /<html/);
  assert.match(body, /<title>Connections · Tenure<\/title>/);
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('header.top').count(), 1);
  await page.context().close();
});

test('the console works without JavaScript', async () => {
  const page = await signIn(browser, deployment, ADMIN, { javaScriptEnabled: false });
  assert.equal(await page.locator('tbody tr').count(), 1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Signed out' }).waitFor();
  const again = await page.goto(`${deployment.url}/console`);
  assert.ok(page.url().startsWith(deployment.tenantUrl) || again.url().includes('/signin'), page.url());
  await page.context().close();
});

test('a member without an administrator role sees no connection', async () => {
  const page = await signIn(browser, deployment, MEMBER);
  assert.equal(await page.locator('tbody tr').count(), 0);
  assert.match(await page.locator('p.empty').innerText(), /You may manage no connection/);
  const html = await page.content();
  assert.doesNotMatch(html, /contoso<\/a>|fabrikam|5d1e2c3b/);
  await checkPage(page, 'connections-member');
  // Its pages are refused too (a user of the tenant without a role: 403).
  const direct = await page.request.get(`${deployment.url}/console/connections/contoso`);
  assert.equal(direct.status(), 403);
  await page.context().close();
});

test('an administrator of another tenant sees none of this tenant’s connections', async () => {
  // fabrikam belongs to OTHER_TENANT: the emulated tenant's admin is an admin of another tenant
  // for it, and sees neither it in the list nor its page.
  const page = await signIn(browser, deployment, ADMIN);
  const html = await page.content();
  assert.ok(!html.includes(OTHER_TENANT));
  const direct = await page.request.get(`${deployment.url}/console/connections/fabrikam`);
  assert.equal(direct.status(), 404);
  await page.context().close();
});

test('signing out needs the session’s CSRF token', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  const forged = await page.request.post(`${deployment.url}/signout`, {
    form: { csrf_token: 'not-the-token' },
    headers: { origin: deployment.url },
  });
  assert.equal(forged.status(), 403);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Signed out' }).waitFor();
  await page.context().close();
});

/** Whether the emulated tenant's user with `employeeId` can sign in (Graph, as the customer's app). */
async function accountEnabled(employeeId) {
  const token = await fetch(`${deployment.tenantUrl}/${deployment.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'tenure-local',
      client_secret: CUSTOMER_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    }),
  }).then((r) => r.json());
  const filter = encodeURIComponent(`employeeId eq '${employeeId}'`);
  const users = await fetch(`${deployment.tenantUrl}/v1.0/users?$filter=${filter}&$select=accountEnabled`, {
    headers: { authorization: `Bearer ${token.access_token}` },
  }).then((r) => r.json());
  return users.value[0]?.accountEnabled;
}

test('a connection’s page and permissions; a held change shown as its plan, approved once, by whom', async () => {
  const held = await holdLeavers(deployment);
  assert.equal(held.status, 'held_for_approval', JSON.stringify(held));
  const page = await signIn(browser, deployment, ADMIN);

  await page.getByRole('link', { name: 'contoso', exact: true }).click();
  await page.getByRole('heading', { name: 'Connection contoso' }).waitFor();
  const details = await page.locator('main').innerText();
  assert.match(details, /Linked/);
  assert.match(details, /tenure-local/);
  assert.match(details, /a client secret, kept in the secret store \(never shown\)/);
  assert.match(details, /1 held change/);
  await checkPage(page, 'connection');

  await page.getByRole('link', { name: 'Permissions requested' }).click();
  await page.getByRole('heading', { name: 'Permissions requested by contoso' }).waitFor();
  const permissions = await page.locator('tbody th').allInnerTexts();
  assert.deepEqual(permissions, [
    'User.ReadWrite.All',
    'Group.ReadWrite.All',
    'Directory.ReadWrite.All',
    'User.EnableDisableAccount.All',
    'UserAuthenticationMethod.ReadWrite.All',
    'Mail.Send',
  ]);
  await checkPage(page, 'permissions');

  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Approvals' }).click();
  await page.getByRole('heading', { name: 'Approvals of contoso' }).waitFor();
  const plan = await page.locator('pre.plan').innerText();
  assert.match(plan, /^Tenure plan for /);
  assert.match(plan, /leavers 8/);
  await checkPage(page, 'approvals');
  const stops = await tabStops(page, 60);
  assert.ok(stops.includes('button:Approve and provision'), stops.join(' | '));

  // Without the session's CSRF token nothing is approved.
  const form = page.locator('form[action*="/approve"]');
  const action = await form.getAttribute('action');
  const forged = await page.request.post(`${deployment.url}${action}`, {
    form: { csrf_token: 'forged' },
    headers: { origin: deployment.url },
  });
  assert.equal(forged.status(), 403);
  assert.equal(await page.locator('text=Waiting for approval').count(), 1);

  await page.getByRole('button', { name: 'Approve and provision' }).click();
  await page.getByText('Approved: the held work of 8 worker(s) is released to provisioning.').waitFor();
  assert.match(await page.locator('section.approval').innerText(), /Approved on .* by user:/);
  await checkPage(page, 'approvals-approved');

  // Provisioning applies exactly what was approved: the leavers are disabled.
  const leaver = '1015';
  await eventually('the approved leaver is disabled', async () => (await accountEnabled(leaver)) === false);
  // The approver is in the audit trail (the admin layer's access record).
  const audit = path.join(deployment.state, 'store/objects/audit/contoso');
  const lines = readdirSync(audit, { recursive: true })
    .filter((f) => String(f).includes('access-'))
    .map((f) => readFileSync(path.join(audit, String(f)), 'utf8'))
    .join('');
  assert.match(lines, /\/approve/);
  assert.match(lines, /admin@contoso\.onmicrosoft\.com/);

  // The activity page: every applied change, by worker and day; who approved; dead letters.
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Activity' }).click();
  await page.getByRole('heading', { name: 'Activity of contoso' }).waitFor();
  const actions = page.locator('section[aria-labelledby="access-heading"]');
  assert.match(await actions.innerText(), /admin@contoso\.onmicrosoft\.com[\s\S]*POST \/console\/connections\/contoso\/approvals\/.*\/approve/);
  await eventually('the approved changes are in the trail', async () => {
    await page.reload();
    return (await page.locator('section[aria-labelledby="changes-heading"] tbody tr').count()) > 0;
  });
  await checkPage(page, 'activity');
  await page.getByLabel('Worker (employee id)').fill(leaver);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/worker=1015/);
  await eventually('only the leaver’s changes', async () => {
    const workers = await page.locator('section[aria-labelledby="changes-heading"] tbody th').allInnerTexts();
    return workers.length > 0 && workers.every((w) => w === leaver);
  });
  const trail = await page.locator('section[aria-labelledby="changes-heading"]').innerText();
  assert.match(trail, /disable user/);
  await checkPage(page, 'activity-worker');
  // By kind: only the kinds of this worker's changes are offered; one chosen, only it is shown.
  const offered = await page.getByLabel('Kind of change').locator('option').allInnerTexts();
  assert.ok(offered.includes('disable user') && offered.includes('All kinds'), offered.join(' | '));
  await page.getByLabel('Kind of change').selectOption('disable_user');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/kind=disable_user/);
  await eventually('only the disable', async () => {
    const rows = await page.locator('section[aria-labelledby="changes-heading"] tbody tr').allInnerTexts();
    return rows.length > 0 && rows.every((r) => /disable user/.test(r) && !/remove from|revoke/.test(r));
  });
  await page.getByLabel('Kind of change').selectOption('');
  await page.getByLabel('Day (UTC)').fill('2001-01-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByText('No change applied matches these filters.').waitFor();
  await page.context().close();
});

test('the mapping: what is not JSON and what the plugin refuses are said by the editor; a preview shows the plan; save keeps it', async () => {
  // After the approvals test: contoso has the sample mapping, a directory read and its workers' records.
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/contoso/mapping`);
  await page.getByRole('heading', { name: 'Mapping of contoso' }).waitFor();
  const editor = page.getByLabel('Configuration (JSON)');
  const stored = JSON.parse(await editor.inputValue());
  assert.equal(stored.upn_domain, 'contoso.com');
  assert.match(await page.locator('main').innerText(), /Plugin in use\s+The standard mapper/);
  assert.equal(await page.getByRole('button', { name: 'Save this configuration' }).count(), 0, 'no save before a preview');

  await editor.fill('{"upn_domain": "contoso.com",');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#config-error').waitFor();
  assert.match(await page.locator('#config-error').innerText(), /not a JSON object: .* at line 1 column \d+/);
  assert.equal(await editor.getAttribute('aria-invalid'), 'true');
  assert.equal(await editor.inputValue(), '{"upn_domain": "contoso.com",', 'what was typed is kept');

  await editor.fill(JSON.stringify({ ...stored, colour: 'blue' }));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#config-error', { hasText: 'colour' }).waitFor();
  assert.match(await page.locator('#config-error').innerText(), /the plugin refused the configuration: .*colour/);
  await checkPage(page, 'mapping-refused');
  // The address is still the mapping page's (not the preview's POST-only one), so a reload
  // shows the page again.
  assert.match(page.url(), /\/console\/connections\/contoso\/mapping$/);
  await page.reload();
  await page.getByRole('heading', { name: 'Mapping of contoso' }).waitFor();

  const changed = { ...stored, attributes: { ...stored.attributes, companyName: 'Contoso Ltd' } };
  await editor.fill(JSON.stringify(changed, null, 2));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
  const plan = await page.locator('pre.plan').innerText();
  assert.match(plan, /^Tenure plan for /);
  assert.match(plan, /companyName/);
  assert.match(await page.locator('dl.counts').innerText(), /Movers\s+[1-9]/);
  await checkPage(page, 'mapping-preview');
  const mappingFile = path.join(deployment.state, 'store/objects/connections/contoso/mapping.json');
  assert.doesNotMatch(readFileSync(mappingFile, 'utf8'), /Contoso Ltd/, 'a preview keeps nothing');

  // Without the session's CSRF token nothing is saved.
  const forged = await page.request.post(`${deployment.url}/console/connections/contoso/mapping`, {
    form: { csrf_token: 'forged', config: JSON.stringify(changed) },
    headers: { origin: deployment.url },
  });
  assert.equal(forged.status(), 403);
  assert.doesNotMatch(readFileSync(mappingFile, 'utf8'), /Contoso Ltd/);

  await page.getByRole('button', { name: 'Save this configuration' }).click();
  await page.getByText('Saved: the next sync maps workers with this configuration.').waitFor();
  const saved = JSON.parse(readFileSync(mappingFile, 'utf8'));
  assert.equal(saved.config.attributes.companyName, 'Contoso Ltd');
  assert.equal(saved.plugin, 'standard');
  assert.equal(saved.guard.max_share, 0.05, 'the guard is untouched');
  assert.equal(JSON.parse(await editor.inputValue()).attributes.companyName, 'Contoso Ltd');
  await checkPage(page, 'mapping');
  await page.context().close();
});

test('plugins: a hostile upload is refused and nothing is kept or put in use; a good one is kept, chosen, and rolled back to the standard mapper', async () => {
  // The test plugins of plugins/test-programs, built by the test build (tests/plugin-artifacts).
  const plugins = process.env.TENURE_TEST_PLUGINS ?? path.join(repo, 'target/plugins/wasm32-wasip2/release');
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/contoso/mapping`);
  await page.getByRole('heading', { name: 'Mapping of contoso' }).waitFor();
  const settingsFile = path.join(deployment.state, 'store/objects/connections/contoso/mapping.json');
  const pluginsDir = path.join(deployment.state, 'store/objects/plugins/contoso');

  // A plugin that opens sockets: refused by its imports, said by the file field.
  await page.getByLabel('Upload a plugin').setInputFiles(path.join(plugins, 'tenure_test_socket.wasm'));
  await page.getByRole('button', { name: 'Check, try and keep' }).click();
  const refusal = page.locator('#plugin-error');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^Not uploaded: the plugin was refused: .*wasi:sockets/);
  assert.match(await refusal.innerText(), /Nothing was kept or put in use\.$/);
  assert.equal(JSON.parse(readFileSync(settingsFile, 'utf8')).plugin, 'standard');
  const components = () => (existsSync(pluginsDir) ? readdirSync(pluginsDir).filter((f) => f.endsWith('.wasm')) : []);
  assert.deepEqual(components(), [], 'no component stored');
  await checkPage(page, 'mapping-plugin-refused');

  // A well-behaved one: tried and kept, not in use until chosen.
  await page.getByLabel('Upload a plugin').setInputFiles(path.join(plugins, 'tenure_test_echo.wasm'));
  await page.getByRole('button', { name: 'Check, try and keep' }).click();
  await page.locator('p.notice', { hasText: 'It is not in use yet' }).waitFor();
  assert.equal(JSON.parse(readFileSync(settingsFile, 'utf8')).plugin, 'standard');
  assert.equal(components().length, 1);
  const row = page.locator('section[aria-labelledby="versions-heading"] tbody tr');
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /workers mapped/);
  await page.getByRole('button', { name: /^Use this version: / }).click();
  await page.locator('p.notice', { hasText: 'is now in use' }).waitFor();
  assert.ok(JSON.parse(readFileSync(settingsFile, 'utf8')).plugin.uploaded, 'the upload is in use');
  assert.match(await page.locator('main').innerText(), /Plugin in use\s+Uploaded plugin, version [0-9a-f]{12}/);
  assert.match(await row.innerText(), /In use/);
  await checkPage(page, 'mapping-plugin');

  await page.getByRole('button', { name: 'Use the standard mapper again' }).click();
  await page.getByText('The standard mapper is in use again.').waitFor();
  assert.equal(JSON.parse(readFileSync(settingsFile, 'utf8')).plugin, 'standard');
  await page.context().close();
});

/** `component` grown to `size` bytes by a custom section (as plugin_artifacts::padded does). */
function padded(component, size) {
  const leb128 = (n) => {
    const bytes = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      bytes.push(byte);
    } while (n !== 0);
    return bytes;
  };
  const name = Buffer.from('padding');
  const head = [...leb128(name.length), ...name];
  // The section's length takes 1 to 5 bytes: find the one that fits.
  for (let width = 1; width <= 5; width += 1) {
    const content = size - component.length - 1 - width;
    if (leb128(content).length !== width) continue;
    const payload = Buffer.alloc(content);
    Buffer.from(head).copy(payload);
    return Buffer.concat([component, Buffer.from([0, ...leb128(content)]), payload]);
  }
  throw new Error(`no padding makes ${size} bytes`);
}

test('plugins: one larger than a request carries goes through an upload URL with a progress line, and the page shows its trial; a step that fails says what to do and loses nothing', async () => {
  // After the plugins test: contoso uses the standard mapper and keeps one uploaded version.
  const plugins = process.env.TENURE_TEST_PLUGINS ?? path.join(repo, 'target/plugins/wasm32-wasip2/release');
  const folder = mkdtempSync(path.join(tmpdir(), 'tenure-large-plugin-'));
  const size = REQUEST_LIMIT + REQUEST_LIMIT / 2;
  const large = path.join(folder, 'large-echo.wasm');
  writeFileSync(large, padded(readFileSync(path.join(plugins, 'tenure_test_echo.wasm')), size));
  const hostile = path.join(folder, 'large-socket.wasm');
  writeFileSync(hostile, padded(readFileSync(path.join(plugins, 'tenure_test_socket.wasm')), size));
  const pluginsDir = path.join(deployment.state, 'store/objects/plugins/contoso');
  const components = () => readdirSync(pluginsDir).filter((f) => f.endsWith('.wasm'));
  const kept = components().length;
  const mapping = `${deployment.url}/console/connections/contoso/mapping`;

  // Without JavaScript the form sends it in one request, which is refused with what to do.
  const plain = await signIn(browser, deployment, ADMIN, { javaScriptEnabled: false });
  await plain.goto(mapping);
  assert.match(await plain.locator('#plugin-help').innerText(), /A plugin larger than 1 MiB .* needs JavaScript on this page, or tenure plugin upload/);
  await plain.getByLabel('Upload a plugin').setInputFiles(large);
  await plain.getByRole('button', { name: 'Check, try and keep' }).click();
  await plain.locator('#plugin-error').waitFor();
  assert.match(await plain.locator('#plugin-error').innerText(), /^Not uploaded: the plugin is 1\.5 MiB, more than the 1 MiB one request carries here\. With JavaScript on, this page sends a larger plugin/);
  assert.equal(components().length, kept);
  await plain.context().close();

  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(mapping);
  await page.getByRole('heading', { name: 'Mapping of contoso' }).waitFor();
  // Everything the progress line says, in order.
  await page.evaluate(() => {
    window.progressSaid = [];
    const line = document.querySelector('#plugin-progress');
    new MutationObserver(() => window.progressSaid.push(line.textContent)).observe(line, { childList: true, characterData: true, subtree: true });
  });
  const progress = page.locator('#plugin-progress');
  const input = page.getByLabel('Upload a plugin');
  const send = page.getByRole('button', { name: 'Check, try and keep' });

  // The PUT fails on the way (the network): said, with what to do; the file stays chosen.
  const isPut = (request) => request.method() === 'PUT' && new URL(request.url()).pathname.includes('/mapping/plugins/uploads/');
  const cutOff = (route) => (isPut(route.request()) ? route.abort('failed') : route.continue());
  await page.route('**/mapping/plugins/uploads/**', cutOff);
  await input.setInputFiles(large);
  await send.click();
  await progress.filter({ hasText: 'Not uploaded' }).waitFor();
  assert.match(await progress.innerText(), /^Not uploaded: the file did not reach storage: the connection failed .*Nothing was kept or put in use; your file is still chosen: choose Check, try and keep to try again\.$/);
  assert.equal(await input.evaluate((i) => i.files[0]?.name), 'large-echo.wasm', 'the file is still chosen');
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  assert.ok(await send.isEnabled(), 'the button can be pressed again');
  assert.equal(components().length, kept);
  // The failed line is an announcement, not an error of the page's: the browser logged the cut-off request.
  page.problems.length = 0;
  await checkPage(page, 'mapping-plugin-large-failed');
  await page.unroute('**/mapping/plugins/uploads/**', cutOff);

  // Again, through: the steps are the console's (no one-request upload), and the page says what
  // it is doing until the trial's report replaces it.
  const steps = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.includes('/mapping/plugins')) steps.push(`${request.method()} ${pathname.replace(/[0-9a-f-]{36}$/, '{upload}')}`);
  });
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const holdCompletion = async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  };
  await page.route('**/mapping/plugins/uploads/*', holdCompletion);
  await send.click();
  await progress.filter({ hasText: 'Tenure is checking it and trying it on sample workers' }).waitFor();
  assert.ok(await send.isDisabled(), 'one upload at a time');
  await checkPage(page, 'mapping-plugin-large-uploading');
  release();
  await page.locator('p.notice', { hasText: 'It is not in use yet' }).waitFor();
  await page.unroute('**/mapping/plugins/uploads/*', holdCompletion);
  const said = await page.evaluate(() => window.progressSaid);
  assert.ok(said.some((text) => /^large-echo\.wasm is 1\.5 MiB, more than one request carries: asking Tenure for an upload URL…$/.test(text)), said.join(' | '));
  assert.ok(said.some((text) => /^Uploading large-echo\.wasm: [\d.]+ (bytes|KiB|MiB) of 1\.5 MiB \(\d+%\)…$/.test(text)), said.join(' | '));
  assert.deepEqual(steps, [
    'POST /console/connections/contoso/mapping/plugins/uploads',
    'PUT /console/connections/contoso/mapping/plugins/uploads/{upload}',
    'POST /console/connections/contoso/mapping/plugins/uploads/{upload}',
  ]);
  assert.match(await page.locator('p.notice').innerText(), /^Uploaded version [0-9a-f]{12}: it mapped \d+ of \d+ workers in its trial/);
  assert.equal(new URL(page.url()).pathname, '/console/connections/contoso/mapping', 'the history keeps the page, not the completion');
  assert.equal(components().length, kept + 1);
  assert.ok(readdirSync(pluginsDir).some((f) => f.endsWith('.wasm') && readFileSync(path.join(pluginsDir, f)).length === size));
  assert.match(await page.locator('section[aria-labelledby="versions-heading"] tbody tr').first().innerText(), /1\.5 MiB/);
  await checkPage(page, 'mapping-plugin-large');

  // A large plugin that is refused is refused as a small one is: by the file field, with why.
  steps.length = 0;
  await page.getByLabel('Upload a plugin').setInputFiles(hostile);
  await page.getByRole('button', { name: 'Check, try and keep' }).click();
  await page.locator('#plugin-error').waitFor();
  assert.match(await page.locator('#plugin-error').innerText(), /^Not uploaded: the plugin was refused: .*wasi:sockets.*Nothing was kept or put in use\.$/);
  assert.equal(steps.length, 3, steps.join(' | '));
  assert.equal(components().length, kept + 1);
  const staged = path.join(deployment.state, 'store/objects/plugin-uploads/contoso');
  // (The ticket of the upload cut off above stays until it expires; no bytes stay.)
  assert.deepEqual(existsSync(staged) ? readdirSync(staged).filter((f) => !f.endsWith('.json')) : [], [], 'no staged bytes are left');
  await checkPage(page, 'mapping-plugin-large-refused');
  await page.context().close();
});

test('HR: the webhook’s URL and a new key shown once that signs from then on; an export checked on upload, refused by its line or kept with what it set aside', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/contoso`);
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'HR' }).click();
  await page.getByRole('heading', { name: 'HR of contoso' }).waitFor();
  const webhook = await page.locator('section[aria-labelledby="webhook-heading"]').innerText();
  assert.match(webhook, new RegExp(`${deployment.url.replace(/[.]/g, '\\.')}/connections/contoso/hr-events`));
  assert.match(webhook, /Signing key\s+Set/);
  assert.match(await page.locator('main').innerText(), /No export is kept/);
  await checkPage(page, 'hr');

  const keyFile = path.join(deployment.state, 'contoso-webhook.key');
  const oldKey = readFileSync(keyFile, 'utf8').trim();
  await page.getByRole('button', { name: 'Replace the signing key' }).click();
  const shown = page.getByLabel('The new signing key');
  await shown.waitFor();
  const newKey = (await shown.innerText()).trim();
  assert.match(newKey, /^[0-9a-f]{64}$/);
  assert.notEqual(newKey, oldKey);
  await checkPage(page, 'hr-new-key');
  await page.goto(`${deployment.url}/console/connections/contoso/hr`);
  await page.getByRole('heading', { name: 'HR of contoso' }).waitFor();
  assert.doesNotMatch(await page.content(), new RegExp(newKey), 'the key is shown once');

  // The old key signs nothing any more; the new one does.
  const event = { type: 'upsert', worker: { employee_id: '9901', first_name: 'Ada', last_name: 'Byron', country: 'GB', employment_status: 'active', hire_date: '2026-01-05', time_zone: 'Europe/London' } };
  const body = JSON.stringify({ events: [event] });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', oldKey).update(`${timestamp}.${body}`).digest('hex');
  const refused = await fetch(`${deployment.url}/connections/contoso/hr-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp, 'x-tenure-signature': `sha256=${signature}` },
    body,
  });
  assert.equal(refused.status, 401);
  writeFileSync(keyFile, newKey);
  const accepted = await deliver(deployment, 'contoso', [event]);
  assert.equal(accepted.status, 'queued', JSON.stringify(accepted));

  // An export the readers cannot read: said by the file field, nothing kept.
  const exportDir = mkdtempSync(path.join(tmpdir(), 'tenure-hr-'));
  const broken = path.join(exportDir, 'broken.csv');
  writeFileSync(broken, 'first_name,last_name\nAda,Byron\n');
  await page.getByLabel('Upload an export').setInputFiles(broken);
  await page.getByRole('button', { name: 'Check and keep' }).click();
  await page.locator('#export-error').waitFor();
  assert.match(await page.locator('#export-error').innerText(), /the HR export was not stored: .*employee_id/);
  assert.match(await page.locator('main').innerText(), /No export is kept/);
  await checkPage(page, 'hr-refused');

  // A form from elsewhere, without this session's CSRF token, stores nothing.
  for (const token of ['forged', undefined]) {
    const multipart = { export: { name: 'workers.csv', mimeType: 'text/csv', buffer: readFileSync(path.join(repo, 'samplesdata/company.csv')) } };
    if (token) multipart.csrf_token = token;
    const forged = await page.request.post(`${deployment.url}/console/connections/contoso/hr/export`, {
      multipart,
      headers: { origin: deployment.url },
    });
    assert.equal(forged.status(), 403);
  }
  assert.ok(!existsSync(path.join(deployment.state, 'store/objects/connections/contoso/hr/workers.csv')), 'nothing stored');

  // The sample export, with one record HR got wrong: kept, and the wrong one shown by its line.
  const csv = readFileSync(path.join(repo, 'samplesdata/company.csv'), 'utf8').trimEnd();
  const header = csv.split('\n')[0].split(',');
  const wrong = header.map((column) => ({ employee_id: '9902', first_name: 'Wrong', last_name: 'Date', employment_status: 'active', hire_date: 'next tuesday' })[column] ?? '').join(',');
  const good = path.join(exportDir, 'workers.csv');
  writeFileSync(good, `${csv}\n${wrong}\n`);
  const rows = csv.split('\n').length - 1;
  await page.getByLabel('Upload an export').setInputFiles(good);
  await page.getByRole('button', { name: 'Check and keep' }).click();
  const notice = page.locator('p.notice', { hasText: 'Stored:' });
  await notice.waitFor();
  // The sample export has records HR got wrong on purpose; with the one added, every row is a
  // worker or set aside.
  const [, workers, setAside] = (await notice.innerText()).match(/^Stored: (\d+) workers; (\d+) record\(s\) set aside\./);
  assert.equal(Number(workers) + Number(setAside), rows + 1);
  const kept = await page.locator('section[aria-labelledby="export-heading"]').innerText();
  assert.match(kept, /connections\/contoso\/hr\/workers\.csv/);
  assert.match(kept, new RegExp(`workers\\.csv:${rows + 2}\\s+.*hire_date`));
  // The last deliveries, newest first: the upload kept, the one refused, the signed webhook
  // delivery queued; the request signed with the old key is not listed (earlier tests'
  // deliveries come after).
  const delivered = await page.locator('#deliveries tbody tr').allInnerTexts();
  assert.ok(delivered.length >= 3, delivered.join('\n'));
  assert.match(delivered[0], new RegExp(`upload[\\s\\S]*stored for the scheduled sync: ${workers} workers, ${setAside} records set aside`));
  assert.match(delivered[1], /upload[\s\S]*refused \(400\): the HR export was not stored/);
  assert.match(delivered[2], new RegExp(`webhook[\\s\\S]*${accepted.delivery_id}[\\s\\S]*accepted: 1 worker queued`));
  await checkPage(page, 'hr-export');
  await page.context().close();
});

test('an administrator creates a Customer Owned Application connection: a wrong secret gets the advice, the right one links it', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  await page.getByRole('link', { name: 'Create a connection' }).click();
  await page.getByRole('heading', { name: 'Create a connection' }).waitFor();
  await checkPage(page, 'create');
  const stops = await tabStops(page, 60);
  for (const wanted of ['select:', 'button:Save and prove']) {
    assert.ok(stops.some((s) => s.startsWith(wanted)), `Tab reaches ${wanted}: ${stops.join(' | ')}`);
  }

  // Fields that cannot be read are said next to them, and nothing is kept.
  await page.getByLabel('Connection name').fill('   ');
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.locator('#name-error').waitFor();
  assert.match(await page.locator('#client_secret-error').innerText(), /Enter the client secret/);
  assert.equal(await page.getByLabel('Connection name').getAttribute('aria-invalid'), 'true');
  await checkPage(page, 'create-field-errors');

  // Another tenant's connection is refused next to the tenant.
  await page.getByLabel('Connection name').fill('Woodgrove Bank – Zürich');
  await page.getByLabel('Client ID').fill('tenure-local');
  await page.getByLabel('Tenant ID').fill(OTHER_TENANT);
  await page.getByLabel('Client secret', { exact: true }).fill(WRONG_SECRET);
  await page.getByLabel('Endpoint override (optional)').fill(deployment.tenantUrl);
  await page.getByRole('button', { name: 'Save and prove' }).click();
  // (The first answer had an error there too: wait for this answer's.)
  await page.locator('#tenant_id-error', { hasText: 'only your own tenant' }).waitFor();

  // A wrong secret: kept, not working, and Microsoft's refusal as advice.
  await page.getByLabel('Tenant ID').fill(deployment.tenant);
  await page.getByLabel('Client secret', { exact: true }).fill(WRONG_SECRET);
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.locator('.problem-box').waitFor();
  const advice = await page.locator('.problem-box').innerText();
  assert.match(advice, /secret/i);
  assert.equal(await page.getByLabel('Client secret', { exact: true }).inputValue(), '', 'the secret is never sent back');
  await checkPage(page, 'create-refused');

  // The right one: proved, linked, and the connection's page.
  await page.getByLabel('Client secret', { exact: true }).fill(CUSTOMER_SECRET);
  await page.getByRole('button', { name: 'Save and prove' }).click();
  // Saved again from the form it was kept in: the same connection, its id the name's slug.
  await page.waitForURL(`${deployment.url}/console/connections/woodgrove-bank-zurich`);
  await page.getByRole('heading', { name: 'Connection Woodgrove Bank – Zürich' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Linked/);
  assert.match(await page.locator('.crumbs').innerText(), /Woodgrove Bank – Zürich/);
  // The secret is never shown; when it was set is.
  assert.match(await page.locator('#credential-set').innerText(), /^set on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await checkPage(page, 'connection-created');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  const row = page.getByRole('row', { name: /Woodgrove Bank – Zürich/ });
  assert.match(await row.innerText(), /woodgrove-bank-zurich[\s\S]*Linked/);
  assert.equal(await page.locator('tbody tr').count(), 2, 'one connection, not one per save');
  await checkPage(page, 'connections-named');
  await page.context().close();
});

test('an administrator connects with a certificate Tenure makes: downloads it, registers it on the app, proves the connection', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/new`);
  await page.getByLabel('Connection name').fill('Northwind certificate');
  await page.getByLabel('Client ID').fill('tenure-local');
  await page.getByLabel('Tenant ID').fill(deployment.tenant);
  await page.getByLabel('Endpoint override (optional)').fill(deployment.tenantUrl);

  // A certificate the admin has, without its key: said next to the key's file, nothing kept.
  const folder = mkdtempSync(path.join(tmpdir(), 'tenure-certificate-'));
  await page.getByLabel(/A certificate you have/).check();
  const lone = path.join(folder, 'lone.pem');
  writeFileSync(lone, readFileSync(path.join(repo, 'functions/tenure/tests/microsoft/testdata/expired-cert.pem')));
  await page.getByLabel('Certificate (PEM file)').setInputFiles(lone);
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.locator('#key_file-error').waitFor();
  assert.match(await page.locator('#key_file-error').innerText(), /holds no key/);
  await checkPage(page, 'create-certificate-refused');

  // Tenure makes one: the connection is kept unproved and its certificate page opens.
  await page.getByLabel(/A certificate Tenure makes/).check();
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.waitForURL(`${deployment.url}/console/connections/northwind-certificate/certificate`);
  await page.getByRole('heading', { name: 'Certificate of Northwind certificate' }).waitFor();
  const thumbprint = await page.locator('#thumbprint').innerText();
  assert.match(thumbprint, /^[0-9A-F]{40}$/);
  await checkPage(page, 'certificate');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the certificate' }).click(),
  ]);
  const file = path.join(folder, download.suggestedFilename());
  await download.saveAs(file);
  const pem = readFileSync(file, 'utf8');
  assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
  assert.ok(!pem.includes('PRIVATE KEY'), 'the key is never downloaded');

  // Not registered yet: Microsoft's refusal, as advice.
  await page.getByRole('button', { name: 'Prove the connection' }).click();
  await page.locator('.problem-box').waitFor();
  assert.match(await page.locator('.problem-box').innerText(), /does not accept this certificate/);

  // The tenant's admin uploads it to the app (Certificates & secrets), as in the Entra admin center.
  const portal = await page.context().newPage();
  await portal.goto(`${deployment.tenantUrl}/_emulator/admin/apps/tenure-local/certificates`);
  await portal.locator('#certificate').setInputFiles(file);
  await portal.fill('#login', ADMIN);
  await portal.click('#add');
  await portal.locator('.thumbprint', { hasText: thumbprint }).waitFor();
  await portal.close();

  await page.getByRole('button', { name: 'Prove the connection' }).click();
  await page.waitForURL(`${deployment.url}/console/connections/northwind-certificate`);
  assert.match(await page.locator('main').innerText(), /Linked/);
  assert.match(await page.locator('main').innerText(), /a certificate and its private key/);
  await checkPage(page, 'connection-certificate');
  await page.context().close();
});

/** A user's object id in the emulated tenant, from the sample directory it was started with. */
function objectId(upn) {
  const directory = JSON.parse(readFileSync(path.join(repo, 'samplesdata/directory.json'), 'utf8'));
  return directory.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase()).id;
}

/** Signs in on the emulated tenant's page (sign-in and consent) as `user`, and accepts. */
async function acceptAtMicrosoft(page, user) {
  await page.waitForURL((url) => url.href.startsWith(deployment.tenantUrl));
  await page.fill('#login', user);
  await page.click('#accept');
}

test('an administrator creates a Tenure’s app connection and links it with Link Account', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  await page.getByRole('link', { name: 'Create a connection' }).click();
  await page.getByRole('navigation', { name: 'Connection type' }).getByRole('link', { name: "Tenure's app" }).click();
  // (The heading is the same on both forms: wait for this one's button.)
  await page.getByRole('button', { name: 'Link Account' }).waitFor();
  assert.equal(await page.getByLabel('Tenant ID').inputValue(), deployment.tenant, 'the tenant is the admin’s');
  await checkPage(page, 'create-tenure-app');
  const stops = await tabStops(page, 60);
  assert.ok(stops.includes('button:Link Account'), stops.join(' | '));

  await page.getByLabel('Connection name').fill('Contoso HR – Tenure’s app');
  await page.getByLabel('Endpoint override (optional)').fill(deployment.tenantUrl);
  await page.getByRole('button', { name: 'Link Account' }).click();
  await acceptAtMicrosoft(page, ADMIN);
  await page.getByRole('heading', { name: 'Connection linked' }).waitFor();
  await page.getByRole('link', { name: 'Back to the connection' }).click();
  await page.getByRole('heading', { name: 'Connection Contoso HR – Tenure’s app' }).waitFor();
  assert.equal(page.url(), `${deployment.url}/console/connections/contoso-hr-tenures-app`);
  const main = await page.locator('main').innerText();
  assert.match(main, /Linked/);
  assert.match(main, /Tenure's app/);
  assert.match(main, /a refresh token from the administrator's consent/);
  await checkPage(page, 'connection-tenure-app');
  await page.context().close();
});

test('a manager without an administrator role links, asks for approval with a justification; the admin approves and the connection is linked', async () => {
  // An administrator creates the connection and names the member its manager.
  const admin = await signIn(browser, deployment, ADMIN);
  await admin.goto(`${deployment.url}/console/connections/new/tenure-app`);
  await admin.getByLabel('Connection name').fill('Fabrikam HR');
  await admin.getByLabel('Managers (optional)').fill(objectId(MEMBER));
  await admin.getByLabel('Endpoint override (optional)').fill(deployment.tenantUrl);
  await admin.getByRole('button', { name: 'Save for a manager to link' }).click();
  await admin.getByRole('heading', { name: 'Connection Fabrikam HR' }).waitFor();
  assert.match(await admin.locator('main').innerText(), /Not linked yet/);

  // The manager links: Microsoft asks for approval instead of consent.
  const member = await signIn(browser, deployment, MEMBER);
  const rows = member.locator('tbody tr');
  assert.equal(await rows.count(), 1, 'the manager sees the one connection they manage');
  await member.getByRole('link', { name: 'Fabrikam HR' }).click();
  await member.getByRole('heading', { name: 'Connection Fabrikam HR' }).waitFor();
  await member.getByRole('link', { name: 'Link Account' }).click();
  await acceptAtMicrosoft(member, MEMBER);
  await member.getByRole('heading', { name: 'Approval required' }).waitFor();
  await member.getByLabel('Enter justification for requesting this app').fill('Fabrikam’s HR feeds our accounts: please approve Tenure.');
  await member.getByRole('button', { name: 'Request approval' }).click();
  await member.getByRole('heading', { name: 'Request sent' }).waitFor();
  await member.getByRole('button', { name: 'Return to the application' }).click();
  await member.getByRole('heading', { name: 'Admin approval requested' }).waitFor();
  await member.getByRole('link', { name: 'Back to the connection' }).click();
  await member.getByRole('heading', { name: 'Connection Fabrikam HR' }).waitFor();
  const waiting = await member.locator('main').innerText();
  assert.match(waiting, /Awaiting admin approval/);
  assert.match(waiting, new RegExp(`${MEMBER.replace('.', '\\.')} asked the tenant's administrators`));
  const forward = await member.locator('#forward-link').innerText();
  assert.equal(forward, `${deployment.url}/connections/fabrikam-hr/consent?admin=1`);
  await checkPage(member, 'connection-awaiting-approval');

  // The tenant's admin reviews the request (who asked, why) and approves it…
  await admin.goto(`${deployment.tenantUrl}/_emulator/admin/consent-requests`);
  const request = admin.getByRole('row', { name: new RegExp(MEMBER.replace('.', '\\.')) });
  assert.match(await request.innerText(), /please approve Tenure[\s\S]*Pending/);
  await admin.screenshot({ path: path.join(screenshots, 'emulated-admin-consent-requests.png'), fullPage: true });
  await request.getByRole('link', { name: 'Review permissions and consent' }).click();
  await admin.getByRole('heading', { name: 'Review permissions and consent' }).waitFor();
  await admin.fill('#login', ADMIN);
  await admin.getByRole('button', { name: 'Accept for your organization' }).click();
  await admin.getByRole('row', { name: new RegExp(`Approved by ${ADMIN.replace('.', '\\.')}`) }).waitFor();

  // …and opens the link forwarded to them: admin consent through Tenure links the connection.
  await admin.goto(forward);
  await acceptAtMicrosoft(admin, ADMIN);
  await admin.getByRole('heading', { name: 'Consent granted' }).waitFor();
  await admin.getByRole('link', { name: 'Back to the connection' }).click();
  await admin.getByRole('heading', { name: 'Connection Fabrikam HR' }).waitFor();

  await member.reload();
  const linked = await member.locator('main').innerText();
  assert.match(linked, /Linked/);
  assert.match(linked, /Tenure's app's own credential, with the tenant's admin consent/);
  assert.equal(await member.locator('#forward-link').count(), 0);
  await checkPage(member, 'connection-approved-linked');
  await admin.context().close();
  await member.context().close();
});

test('Exchange Online on a connection: how it is reached, the roles, errors by the field, proved with Get-Mailbox on save', async () => {
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/contoso`);
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Exchange Online' }).click();
  await page.getByRole('heading', { name: 'Exchange Online of contoso' }).waitFor();
  assert.match(await page.locator('#access').innerText(), /^App-only: the app's own token, with the Exchange\.ManageAsApp/);
  assert.equal(await page.getByLabel('Manage Exchange Online for this connection').isChecked(), false);
  await checkPage(page, 'exchange');
  const stops = await tabStops(page, 60);
  for (const wanted of ['input:', 'button:Save and prove']) {
    assert.ok(stops.some((s) => s.startsWith(wanted)), `Tab reaches ${wanted}: ${stops.join(' | ')}`);
  }

  // A mailbox that is not a UPN and roles not confirmed: said next to each, nothing kept.
  await page.getByLabel('Manage Exchange Online for this connection').check();
  await page.getByLabel('Anchor mailbox (UPN)').fill('admin at contoso');
  await page.getByLabel('Distribution Groups').check();
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.locator('#roles-error').waitFor();
  assert.match(await page.locator('#roles-error').innerText(), /Security Group Creation and Membership, Mail Recipients missing/);
  assert.equal(await page.getByLabel('Anchor mailbox (UPN)').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Distribution Groups').isChecked(), true, 'what was ticked stays ticked');
  await checkPage(page, 'exchange-errors');

  // Right: proved against the emulated tenant's Exchange with Get-Mailbox, then kept.
  await page.getByLabel('Anchor mailbox (UPN)').fill('admin@contoso.com');
  await page.getByLabel('Security Group Creation and Membership').check();
  await page.getByLabel('Mail Recipients').check();
  await page.getByRole('button', { name: 'Save and prove' }).click();
  await page.getByText('Saved and proved: Exchange Online answered Get-Mailbox through admin@contoso.com.', { exact: false }).waitFor();
  await checkPage(page, 'exchange-saved');
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('heading', { name: 'Connection contoso' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Exchange Online\s+managed, through admin@contoso\.com/);
  await page.context().close();
});

/** The emulated tenant's user with `upn`, if any (Graph, as the customer's app). */
async function userByUpn(upn) {
  const token = await fetch(`${deployment.tenantUrl}/${deployment.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'tenure-local',
      client_secret: CUSTOMER_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    }),
  }).then((r) => r.json());
  const filter = encodeURIComponent(`userPrincipalName eq '${upn}'`);
  const users = await fetch(`${deployment.tenantUrl}/v1.0/users?$filter=${filter}&$select=id,employeeId`, {
    headers: { authorization: `Bearer ${token.access_token}` },
  }).then((r) => r.json());
  return users.value?.[0];
}

test('supervised: every change waits; a held plan is rejected with a note, the next approved and provisioned', async () => {
  // After the tests above: contoso has the sample mapping, a directory read and Exchange.
  const page = await signIn(browser, deployment, ADMIN);
  await page.goto(`${deployment.url}/console/connections/contoso/approvals`);
  await page.getByRole('heading', { name: 'Approvals of contoso' }).waitFor();
  assert.equal(await page.getByLabel(/^Automatic/).isChecked(), true, 'automatic by default');
  await page.getByLabel(/^Supervised for every change/).check();
  await page.getByRole('button', { name: 'Save supervision' }).click();
  await page.locator('p.notice', { hasText: 'Saved. Supervised for every change' }).waitFor();
  assert.equal(await page.getByLabel(/^Supervised for every change/).isChecked(), true);
  const settings = path.join(deployment.state, 'store/objects/connections/contoso/mapping.json');
  assert.equal(JSON.parse(readFileSync(settings, 'utf8')).guard.supervision, 'every_change');
  await checkPage(page, 'approvals-supervised');

  // The sample HR export, uploaded on the HR page and synced now: held, nothing applied.
  const syncHeld = async () => {
    await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'HR' }).click();
    await page.getByRole('heading', { name: 'HR of contoso' }).waitFor();
    await page.getByLabel('Upload an export').setInputFiles(path.join(repo, 'samplesdata/company.csv'));
    await page.getByRole('button', { name: 'Check and keep' }).click();
    await page.locator('p.notice', { hasText: 'Stored:' }).waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    const held = page.locator('p.notice', { hasText: 'Held for approval' });
    await held.waitFor();
    assert.match(await held.innerText(), /supervised: every change needs approval/);
  };
  await syncHeld();
  await checkPage(page, 'hr-sync-held');

  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Approvals' }).click();
  await page.getByRole('heading', { name: 'Approvals of contoso' }).waitFor();
  // The plan the sync held, found by where it came from and then by its id: a provision run of
  // the connection may hold a plan of its own beside it, listed first.
  const heldBySync = () => page.locator('section.approval', { hasText: '(a scheduled sync)' })
    .filter({ hasText: 'Waiting for approval' }).first();
  const firstId = await heldBySync().getAttribute('aria-labelledby');
  const first = page.locator(`section.approval[aria-labelledby="${firstId}"]`);
  assert.match(await first.innerText(), /supervised: every change needs approval[\s\S]*Waiting for approval/);
  const plan = await first.locator('pre.plan').innerText();
  const joiners = [...plan.matchAll(/^ {2}\S+ .+ <(\S+@\S+)>$/gm)]
    .filter((m) => plan.lastIndexOf('Joiners (', m.index) > plan.lastIndexOf('\n\n', m.index) - 1)
    .map((m) => m[1]);
  assert.match(plan, /Joiners \([1-9]/, plan);
  await checkPage(page, 'approvals-supervised-held');

  // Rejected: a note is required (said by the field), then kept; nothing is applied.
  await first.getByRole('button', { name: 'Reject' }).click();
  const noteError = page.locator('p.field-error[id^="note-"]');
  await noteError.waitFor();
  assert.match(await noteError.innerText(), /write a note/);
  await checkPage(page, 'approvals-reject-note-missing');
  const note = 'Not this export: HR sends the corrected one tomorrow (ticket HR-4411).';
  await first.getByLabel('Why reject it (required)').fill(note);
  await first.getByRole('button', { name: 'Reject' }).click();
  await page.getByText(/^Rejected: the held work of \d+ worker\(s\) will never be applied\./).waitFor();
  const rejected = await first.innerText();
  assert.match(rejected, /Rejected on .* by user:/);
  assert.ok(rejected.includes(note), rejected);
  await checkPage(page, 'approvals-rejected');

  // The same export synced again is held again; this time approved as shown, and provisioned.
  await syncHeld();
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Approvals' }).click();
  await page.getByRole('heading', { name: 'Approvals of contoso' }).waitFor();
  const second = heldBySync();
  assert.match(await second.innerText(), /Waiting for approval/);
  await second.getByRole('button', { name: 'Approve and provision' }).click();
  await page.getByText(/^Approved: the held work of \d+ worker\(s\) is released to provisioning\./).waitFor();
  await checkPage(page, 'approvals-supervised-approved');

  // The new users are in the emulated tenant, and their creation on the activity page.
  const upn = joiners[0];
  assert.ok(upn, `a joiner in the plan: ${plan}`);
  const created = await eventually(`${upn} is created`, () => userByUpn(upn), 120);
  await page.getByRole('navigation', { name: 'Connection' }).getByRole('link', { name: 'Activity' }).click();
  await page.getByRole('heading', { name: 'Activity of contoso' }).waitFor();
  await page.getByLabel('Worker (employee id)').fill(created.employeeId);
  await page.getByRole('button', { name: 'Show' }).click();
  await eventually('the joiner’s creation is in the trail', async () => {
    await page.reload();
    return /create user/.test(await page.locator('section[aria-labelledby="changes-heading"]').innerText());
  });
  const actions = await page.locator('section[aria-labelledby="access-heading"]').innerText();
  assert.match(actions, /\/reject[\s\S]*rejected: Not this export/);
  await checkPage(page, 'activity-supervised');
  await page.context().close();
});
