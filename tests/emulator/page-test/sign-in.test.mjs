// The emulated tenant's sign-in and consent page in headless Chromium: a person signs in,
// accepts or cancels, and the browser ends at the app's redirect URI with a code (redeemed
// here for a token that Graph accepts as that person) or with Microsoft's error.
//
// Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and the example binary
// `sign_in_page` of tenure-emulator (built by scripts/test; or $TENURE_SIGN_IN_PAGE).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const tenantBinary =
  process.env.TENURE_SIGN_IN_PAGE ??
  path.resolve(here, '../../../target/debug/examples/sign_in_page');
const scopes =
  'https://graph.microsoft.com/User.ReadWrite.All https://graph.microsoft.com/Group.ReadWrite.All https://graph.microsoft.com/Directory.AccessAsUser.All offline_access';

let tenantProcess;
let tenant;
let browser;

/** Starts the emulated tenant and waits for the line that says where it is. */
async function startTenant() {
  if (!existsSync(tenantBinary)) {
    throw new Error(
      `the emulated tenant binary is missing at ${tenantBinary}: cargo build --workspace --examples`,
    );
  }
  tenantProcess = spawn(tenantBinary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: tenantProcess.stdout });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulated tenant did not start within 30 s')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    tenantProcess.once('exit', (code) => reject(new Error(`the emulated tenant exited with ${code}`)));
  });
  return JSON.parse(first);
}

before(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is missing at ${chromiumPath}: install Debian's chromium (scripts/setup does) — this test never skips`,
    );
  }
  tenant = await startTenant();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
});

after(async () => {
  await browser?.close();
  tenantProcess?.stdin.end();
  tenantProcess?.kill();
});

/** A PKCE verifier and its S256 challenge. */
function pkce() {
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizeUrl(state, challenge) {
  const query = new URLSearchParams({
    client_id: tenant.client_id,
    response_type: 'code',
    redirect_uri: tenant.redirect_uri,
    response_mode: 'query',
    scope: scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${tenant.uri}/${tenant.tenant}/oauth2/v2.0/authorize?${query}`;
}

function adminConsentUrl(state) {
  const query = new URLSearchParams({
    client_id: tenant.client_id,
    scope: 'https://graph.microsoft.com/.default',
    redirect_uri: tenant.redirect_uri,
    state,
  });
  return `${tenant.uri}/${tenant.tenant}/v2.0/adminconsent?${query}`;
}

/** A page whose requests to the app's redirect URI are answered here (the app is not running). */
async function appPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const callback = new URL(tenant.redirect_uri);
  await page.route(`${callback.origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p id="app">back at the app</p>' }),
  );
  return page;
}

/** Waits until the browser is at the redirect URI; its query parameters. */
async function arrival(page) {
  await page.waitForURL((url) => url.href.startsWith(tenant.redirect_uri));
  await page.locator('#app').waitFor();
  return new URL(page.url()).searchParams;
}

test('signing in and accepting ends at the redirect URI with a code that redeems for the user', async () => {
  const page = await appPage();
  const { verifier, challenge } = pkce();
  await page.goto(authorizeUrl('state-accept', challenge));
  assert.equal(await page.title(), 'Sign in to your account');
  const permissions = await page.locator('li.permission').allTextContents();
  assert.deepEqual(permissions, [
    'User.ReadWrite.All',
    'Group.ReadWrite.All',
    'Directory.AccessAsUser.All',
    'offline_access',
  ]);

  await page.fill('#login', 'nobody@contoso.com');
  await page.click('#accept');
  await page.locator('#problem').waitFor();
  assert.match(await page.locator('#problem').textContent(), /AADSTS50034/);

  await page.fill('#login', tenant.user);
  await page.click('#accept');
  const params = await arrival(page);
  assert.equal(params.get('state'), 'state-accept');
  const code = params.get('code');
  assert.ok(code, 'a code came back');

  const answer = await fetch(`${tenant.uri}/${tenant.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: tenant.client_id,
      client_secret: tenant.client_secret,
      code,
      redirect_uri: tenant.redirect_uri,
      code_verifier: verifier,
    }),
  });
  assert.equal(answer.status, 200);
  const tokens = await answer.json();
  assert.ok(tokens.refresh_token);
  const me = await fetch(`${tenant.uri}/v1.0/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).userPrincipalName, tenant.user);
  await page.context().close();
});

test('cancelling ends at the redirect URI with the declined consent', async () => {
  const page = await appPage();
  await page.goto(authorizeUrl('state-cancel', pkce().challenge));
  await page.click('#cancel');
  const params = await arrival(page);
  assert.equal(params.get('error'), 'consent_required');
  assert.match(params.get('error_description'), /^AADSTS65004: User declined to consent to access the app\./);
  assert.equal(params.get('state'), 'state-cancel');
  assert.equal(params.get('code'), null);
  await page.context().close();
});

test('admin consent: accept says admin_consent=True, cancel says access_denied', async () => {
  const page = await appPage();
  await page.goto(adminConsentUrl('consent-yes'));
  assert.match(await page.locator('h2').textContent(), /Accept for your organization/);
  await page.fill('#login', tenant.user);
  await page.click('#accept');
  let params = await arrival(page);
  assert.equal(params.get('admin_consent'), 'True');
  assert.equal(params.get('tenant'), tenant.tenant);
  assert.equal(params.get('state'), 'consent-yes');

  await page.goto(adminConsentUrl('consent-no'));
  await page.click('#cancel');
  params = await arrival(page);
  assert.equal(params.get('error'), 'access_denied');
  assert.match(params.get('error_description'), /^AADSTS65004/);
  assert.equal(params.get('admin_consent'), 'True');
  assert.equal(params.get('state'), 'consent-no');
  await page.context().close();
});

test('a redirect URI the app did not register is an error page, not a redirect', async () => {
  const page = await appPage();
  const url = authorizeUrl('s', pkce().challenge).replace(
    encodeURIComponent(tenant.redirect_uri),
    encodeURIComponent(`${tenant.redirect_uri}/`),
  );
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  assert.ok(page.url().startsWith(tenant.uri), 'still on the login page');
  assert.match(await page.locator('#error').textContent(), /^AADSTS50011: /);
  await page.context().close();
});
