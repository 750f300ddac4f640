// End-to-end tests of the admin pages in a real headless Chromium, against
// the release binary, with oauth2-mock-server as the identity provider.
//
// usage: node --test dashboard.test.mjs   (E2E_BINARY overrides the binary)
// Screenshots of the menu and the editor are written to ../docs/screenshots/.
// Anything missing (the binary, Chromium, a package) fails the run.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { OAuth2Server } from 'oauth2-mock-server';
import { chromium } from 'playwright-core';

import { freePort, spawnServer, waitUntilReady } from '../tests/support/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.env.E2E_BINARY ?? join(here, '../target/release/coffee-shop'));
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = join(here, '../docs/screenshots');
const AUDIENCE = 'bar';
const CLIENT_ID = 'e2e-dashboard';
const USERS = {
  manager: {
    sub: 'e2e|manager',
    name: 'Maria Manager',
    permissions: ['get:drinks-detail', 'post:drinks', 'patch:drinks', 'delete:drinks'],
  },
  barista: { sub: 'e2e|barista', name: 'Bruno Barista', permissions: ['get:drinks-detail'] },
};

let provider;
let server;
let serverExited;
let workDir;
let browser;
let base;
let signedInAs = 'manager';
const problems = [];

before(async () => {
  assert.ok(existsSync(binary), `the release binary is missing: ${binary} (cargo build --release)`);
  assert.ok(existsSync(chromiumPath), `Chromium is missing: ${chromiumPath} (apt-get install chromium)`);

  provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(await freePort(), '127.0.0.1');
  const issuer = provider.issuer.url;
  // The mock signs in "johndoe"; make it the current test user, with the
  // API audience and permissions in the access token (as Auth0 RBAC does)
  // and a name in the ID token (whose aud is the client id).
  provider.service.on('beforeTokenSigning', (token) => {
    const user = USERS[signedInAs];
    token.payload.sub = user.sub;
    if (token.payload.aud === CLIENT_ID) {
      token.payload.name = user.name;
      token.payload.email = `${user.sub.split('|')[1]}@example-cafe.com`;
    } else {
      token.payload.aud = [AUDIENCE, `${issuer}/userinfo`];
      token.payload.permissions = user.permissions;
    }
  });

  workDir = mkdtempSync(join(tmpdir(), 'coffee-shop-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ({ child: server, exited: serverExited } = spawnServer(binary, {
    args: ['serve'],
    workDir,
    port,
    issuer,
    audience: AUDIENCE,
    stdout: 'ignore',
    env: {
      COFFEE_SHOP__SERVER__PUBLIC_URL: base,
      COFFEE_SHOP__DASHBOARD__CLIENT_ID: CLIENT_ID,
      COFFEE_SHOP__DASHBOARD__CLIENT_SECRET: 'e2e-secret',
    },
  }));
  await waitUntilReady(`${base}/readyz`, 20_000);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  const exit = server ? await serverExited : { code: 0 };
  await provider?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  assert.equal(exit.code, 0, `the server exited with ${exit.code ?? exit.signal} after SIGTERM`);
});

/** A fresh browser context (no cookies) that records console errors and CSP violations. */
async function newPage(viewport = { width: 1200, height: 820 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    // An error status is checked where it is expected (the barista's 403);
    // script errors and CSP refusals ("Refused to ...") are problems anywhere.
    const text = message.text();
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) {
      problems.push(`${page.url()}: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  return page;
}

async function signIn(page, role) {
  signedInAs = role;
  await page.goto(`${base}/admin`);
  assert.match(new URL(page.url()).pathname, /^\/admin\/login/);
  await page.getByRole('link', { name: /^Sign in with/ }).click();
  await page.waitForURL(`${base}/admin`);
  await page.getByRole('heading', { name: 'Menu' }).waitFor();
  assert.ok(await page.getByText(USERS[role].name).isVisible(), 'the ID token name is shown');
}

/** The fill colors of an SVG cup's layers, from the top of the cup down (by position, not DOM order). */
async function layerColors(cup) {
  return cup.locator('rect').evaluateAll((rects) =>
    rects
      .map((r) => ({ y: parseFloat(r.getAttribute('y')), fill: r.getAttribute('fill') }))
      .sort((a, b) => a.y - b.y)
      .map((layer) => layer.fill),
  );
}

test('a manager creates, edits and deletes a drink, and sees it all in Activity', async () => {
  const page = await newPage();
  await signIn(page, 'manager');

  await page.getByRole('link', { name: 'New drink' }).first().click();
  await page.getByLabel('Title').fill('E2E Mocha');
  const rows = page.locator('[data-row]');
  const fillRow = async (index, name, color, parts) => {
    const row = rows.nth(index);
    await row.getByLabel('Ingredient', { exact: true }).fill(name);
    await row.getByLabel('Color', { exact: true }).fill(color);
    await row.getByLabel('Parts').fill(String(parts));
  };
  // Top layer first, as the mobile app draws a recipe.
  await fillRow(0, 'steamed milk', '#f5e6d3', 2);
  await fillRow(1, 'chocolate', '#7b3f00', 1);
  const preview = page.locator('[data-preview] svg');
  assert.deepEqual(await layerColors(preview), ['#f5e6d3', '#7b3f00'], 'the first row is the top of the live preview');
  await page.getByRole('button', { name: 'Add ingredient' }).click();
  assert.equal(await rows.count(), 3, 'a third row, added in the page');
  await fillRow(2, 'espresso', '#3b1f0e', 1);
  assert.deepEqual(await layerColors(preview), ['#f5e6d3', '#7b3f00', '#3b1f0e'], 'an added row goes to the bottom');
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'editor.png') });

  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.waitForURL(`${base}/admin`);
  await page.getByText('E2E Mocha saved').waitFor();
  const card = page.locator('.card', { has: page.getByRole('heading', { name: 'E2E Mocha' }) });
  assert.deepEqual(await layerColors(card.locator('svg.cup')), ['#f5e6d3', '#7b3f00', '#3b1f0e'], 'the card picture, top first');
  await page.screenshot({ path: join(screenshots, 'menu.png') });

  await card.getByRole('link', { name: /^Edit/ }).click();
  await page.getByLabel('Title').fill('E2E Mocha Grande');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('E2E Mocha Grande saved').waitFor();

  const edited = page.locator('.card', { has: page.getByRole('heading', { name: 'E2E Mocha Grande' }) });
  await edited.getByRole('link', { name: /^Delete/ }).click();
  await page.getByRole('heading', { name: 'Delete E2E Mocha Grande?' }).waitFor();
  await page.getByRole('button', { name: 'Delete E2E Mocha Grande' }).click();
  await page.getByText('E2E Mocha Grande deleted').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'E2E Mocha Grande' }).count(), 0);

  await page.getByRole('link', { name: 'Activity' }).click();
  const rowsFor = (action) => page.locator('tbody tr', { hasText: action }).filter({ hasText: 'E2E Mocha' });
  for (const action of ['Created', 'Updated', 'Deleted']) {
    assert.equal(await rowsFor(action).count(), 1, `${action} is in the activity log`);
    assert.ok((await rowsFor(action).innerText()).includes('Maria Manager'), `${action} names the manager`);
  }
  await page.context().close();
});

test('the menu filter works as you type', async () => {
  const page = await newPage();
  await signIn(page, 'manager');
  const cards = page.locator('[data-cards] > li:visible');
  const all = await cards.count();
  assert.ok(all > 1);
  await page.getByLabel('Filter drinks').fill('matcha');
  await page.waitForFunction(() => document.querySelectorAll('[data-cards] > li:not([hidden])').length === 1);
  await page.getByLabel('Filter drinks').fill('no such drink at all');
  await page.getByText('No drink matches this filter.').waitFor();
  await page.context().close();
});

test('a barista sees the menu and recipes without any edit controls', async () => {
  const page = await newPage({ width: 390, height: 844 });
  await signIn(page, 'barista');
  assert.ok((await page.locator('.card').count()) > 0, 'the menu is shown');
  assert.ok((await page.locator('.ingredients li').count()) > 0, 'with recipes');
  for (const name of [/^Edit/, /^Delete/, 'New drink']) {
    assert.equal(await page.getByRole('link', { name }).count(), 0, `no ${name} control`);
  }
  const response = await page.goto(`${base}/admin/drinks/new`);
  assert.equal(response.status(), 403);
  await page.getByText('post:drinks').first().waitFor();
  await page.context().close();
});

test('the editor works with JavaScript switched off', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  signedInAs = 'manager';
  await page.goto(`${base}/admin/login?next=/admin/drinks/new`);
  await page.getByRole('link', { name: /^Sign in with/ }).click();
  await page.waitForURL(`${base}/admin/drinks/new`);
  await page.getByLabel('Title').fill('No Script Latte');
  await page.locator('[data-row]').nth(0).getByLabel('Ingredient', { exact: true }).fill('espresso');
  await page.locator('[data-row]').nth(0).getByLabel('Color', { exact: true }).fill('#3b1f0e');
  await page.getByRole('button', { name: 'Add ingredient' }).click();
  assert.equal(await page.locator('[data-row]').count(), 3, 'the server added a row');
  assert.equal(await page.getByLabel('Title').inputValue(), 'No Script Latte', 'input kept');
  await page.locator('[data-row]').nth(2).getByLabel('Ingredient', { exact: true }).fill('milk');
  await page.locator('[data-row]').nth(2).getByLabel('Color', { exact: true }).fill('not-a-color');
  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.getByText('One thing needs fixing').waitFor();
  await page.locator('[data-row]').nth(2).getByLabel('Color', { exact: true }).fill('white');
  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.getByText('No Script Latte saved').waitFor();
  await context.close();
});

test('no page logged a script error or a CSP violation', () => {
  assert.deepEqual(problems, []);
});
