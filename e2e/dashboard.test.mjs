// End-to-end tests of the admin pages in a real headless Chromium, against
// the release binary, with oauth2-mock-server as the identity provider.
//
// usage: node --test dashboard.test.mjs   (E2E_BINARY overrides the binary)
// Screenshots of the menu, the editor and the phone views are written to
// ../docs/screenshots/. Every page is checked with axe-core (WCAG 2.1 A/AA
// and best practice) and, at phone size, for 44 x 44 px touch targets.
// Anything missing (the binary, Chromium, a package) fails the run.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 820 };
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
async function newPage(viewport = DESKTOP, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
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

/**
 * axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it is now.
 * The pages' CSP forbids injected scripts, so axe comes in through the
 * DevTools protocol (page.evaluate), not a <script> tag.
 */
async function assertAccessible(page, what) {
  await page.evaluate(axeSource);
  const { violations } = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  const report = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(report, [], `axe-core on ${what}`);
}

/** Every button and link a finger can see is at least 44 x 44 px. */
async function assertTapTargets(page, what) {
  const { checked, small } = await page.evaluate(() => {
    const visible = [...document.querySelectorAll('a[href], button, input[type="submit"], input[type="color"]')].filter((el) => {
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      const offScreen = box.bottom <= 0 || box.right <= 0;
      const hidden = style.visibility === 'hidden' || style.clipPath === 'inset(50%)' || box.width * box.height <= 1;
      return !offScreen && !hidden && el.getClientRects().length > 0;
    });
    const small = visible
      .map((el) => ({ text: (el.innerText || el.getAttribute('aria-label') || el.tagName).trim(), box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 44 || box.height < 44)
      .map(({ text, box }) => `${text}: ${Math.round(box.width)} x ${Math.round(box.height)}`);
    return { checked: visible.length, small };
  });
  assert.ok(checked > 0, `${what} has buttons or links to measure`);
  assert.deepEqual(small, [], `touch targets under 44 x 44 px on ${what}`);
}

/** axe-core everywhere, and the touch targets at phone size. */
async function audit(page, what) {
  await assertAccessible(page, what);
  if ((page.viewportSize()?.width ?? 0) <= 640) await assertTapTargets(page, what);
  const { overflow, widest } = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    // The innermost elements past the right edge, to say what to fix.
    widest: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`),
  }));
  assert.ok(overflow <= 0, `${what} scrolls sideways by ${overflow} px: ${widest.join('; ')}`);
}

/** From the next page on, records each change of the flash message's text and when it happened. */
async function recordFlashChanges(page) {
  await page.addInitScript(() => {
    window.flashChanges = [];
    new MutationObserver((records) => {
      for (const record of records) {
        const node = record.target.nodeType === Node.ELEMENT_NODE ? record.target : record.target.parentElement;
        const flash = node?.closest('[data-flash]');
        if (flash) window.flashChanges.push({ text: flash.textContent, state: document.readyState });
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/**
 * Borders that show (3:1 against what is behind them) on text fields and
 * outlined buttons, and a solid focus ring on a text field.
 */
async function assertBordersShow(page, what) {
  const weak = await page.evaluate(() => {
    const rgb = (text) => text.match(/[\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
      const channel = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const behind = (el) => {
      for (let node = el.parentElement; node; node = node.parentElement) {
        const color = rgb(getComputedStyle(node).backgroundColor);
        if (color.length < 4 || color[3] > 0) return color.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const fields = [...document.querySelectorAll('input:not([type="hidden"]):not([type="color"]), .button:not(.ghost):not(.primary):not(.danger)')];
    return fields
      .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).clipPath !== 'inset(50%)')
      .map((el) => ({ el, r: ratio(rgb(getComputedStyle(el).borderTopColor).slice(0, 3), behind(el)) }))
      .filter(({ r }) => r < 3)
      .map(({ el, r }) => `${el.id || el.textContent.trim()}: ${r.toFixed(2)}:1`);
  });
  assert.deepEqual(weak, [], `borders under 3:1 on ${what}`);
}

/** True when `text`, typed into the input, fits without scrolling. */
async function valueFits(input, text) {
  return input.evaluate((el, value) => {
    const kept = el.value;
    el.value = value;
    const fits = el.scrollWidth <= el.clientWidth;
    el.value = kept;
    return fits;
  }, text);
}

/** True when the empty input's placeholder fits its text box, in its font. */
async function placeholderFits(input) {
  return input.evaluate((el) => {
    const style = getComputedStyle(el, '::placeholder');
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return el.value === '' && context.measureText(el.placeholder).width <= room;
  });
}

/** The row's fields, by the labels a screen reader hears: "Ingredient 2". */
function rowFields(page, number) {
  return {
    name: page.getByLabel(`Ingredient ${number}`, { exact: true }),
    color: page.getByLabel(`Colour ${number}`, { exact: true }),
    parts: page.getByLabel(`Parts ${number}`, { exact: true }),
  };
}

test('a manager creates, edits and deletes a drink, and sees it all in Activity', async () => {
  const page = await newPage();
  await signIn(page, 'manager');

  await page.getByRole('link', { name: 'New drink' }).first().click();
  await page.getByLabel('Title').fill('E2E Mocha');
  const rows = page.locator('[data-row]');
  const fillRow = async (index, name, color, parts) => {
    const row = rowFields(page, index + 1);
    await row.name.fill(name);
    await row.color.fill(color);
    await row.parts.fill(String(parts));
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

  const edge = await preview.locator('rect').first().evaluate((rect) => getComputedStyle(rect).stroke);
  assert.notEqual(edge, 'none', 'every layer has an edge, so a pale one still shows');
  assert.equal(
    await preview.getAttribute('aria-label'),
    'Preview, top first: steamed milk 2 parts, chocolate 1 part, espresso 1 part',
    'the preview says what it draws',
  );

  await recordFlashChanges(page);
  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.waitForURL(/\/admin#drink-\d+$/);
  await page.getByText('E2E Mocha saved').waitFor();
  await page.waitForFunction(() => window.flashChanges.some((c) => c.text && c.state !== 'loading'));
  assert.ok(
    (await page.evaluate(() => window.flashChanges)).some((c) => c.text === 'E2E Mocha saved' && c.state !== 'loading'),
    'the message is put into its live region after the page has loaded, so it is announced',
  );
  const card = page.locator('.card', { has: page.getByRole('heading', { name: 'E2E Mocha' }) });
  assert.deepEqual(await layerColors(card.locator('svg.cup')), ['#f5e6d3', '#7b3f00', '#3b1f0e'], 'the card picture, top first');
  assert.ok(
    await card.evaluate((el) => el.matches(':target') && el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().top < innerHeight),
    'the saved card is scrolled to and highlighted',
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshots, 'menu.png') });

  await card.getByRole('link', { name: 'E2E Mocha', exact: true }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'title', 'the editor opens on Title');
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
  const swatches = await rowsFor('Created').locator('.changes svg.swatch circle').evaluateAll((c) => c.map((x) => x.getAttribute('fill')));
  assert.deepEqual(swatches, ['#f5e6d3', '#7b3f00', '#3b1f0e'], 'the changes show each colour as a swatch');
  await page.context().close();
});

test('on a phone the activity log is one card per change, in the browser\'s time zone', async () => {
  const page = await newPage(PHONE, { locale: 'en-US', timezoneId: 'Asia/Kolkata' });
  await signIn(page, 'manager');
  await page.getByRole('link', { name: 'Activity' }).click();
  const first = page.locator('tbody tr').first();
  for (const cell of ['when', 'who', 'what', 'drink', 'changes']) {
    const box = await first.locator(`td.${cell}`).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${cell} is on screen: ${JSON.stringify(box)}`);
  }
  const time = first.locator('time');
  const utc = await time.getAttribute('datetime');
  const expected = new Intl.DateTimeFormat('en-US', {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Asia/Kolkata',
  }).format(new Date(utc));
  assert.equal(await time.innerText(), expected, 'shown in the browser\'s zone');
  assert.match(await time.getAttribute('title'), / UTC$/, 'UTC in the tooltip');
  await page.screenshot({ path: join(screenshots, 'activity-phone.png') });
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
  const count = page.getByRole('status').filter({ hasText: 'drinks' });
  assert.equal(await count.innerText(), `1 of ${all} drinks`, 'the count is a live region');
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
  await rowFields(page, 1).name.fill('espresso');
  await rowFields(page, 1).color.fill('#3b1f0e');
  await page.getByRole('button', { name: 'Add ingredient' }).click();
  assert.equal(await page.locator('[data-row]').count(), 3, 'the server added a row');
  assert.equal(await page.getByLabel('Title').inputValue(), 'No Script Latte', 'input kept');
  await rowFields(page, 3).name.fill('milk');
  await rowFields(page, 3).color.fill('not-a-color');
  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.getByText('One thing needs fixing').waitFor();
  assert.match(await page.title(), /^Error: /);
  await page.getByRole('link', { name: /^Colour 3: Pick a colour, or type a name like brown/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'color-2', 'the summary links to the field');
  await rowFields(page, 3).color.fill('white');
  await page.getByRole('button', { name: 'Add to the menu' }).click();
  await page.getByText('No Script Latte saved').waitFor();
  await context.close();
});

test('the editor keeps the keyboard where a person expects it', async () => {
  const page = await newPage(PHONE);
  await signIn(page, 'manager');
  await page.goto(`${base}/admin/drinks/new`);
  const focused = () => page.evaluate(() => document.activeElement?.id);
  assert.equal(await focused(), 'title', 'opening the editor focuses Title');
  const ring = await page.getByLabel('Title').evaluate((el) => {
    const style = getComputedStyle(el);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor };
  });
  assert.equal(ring.style, 'solid', 'a text field gets a solid focus ring');
  assert.ok(ring.width >= 2, `a ring of ${ring.width} px`);
  assert.equal(ring.color, 'rgb(143, 63, 18)', 'in the focus colour the buttons use');
  await assertBordersShow(page, 'the editor');
  await page.getByRole('button', { name: 'Add ingredient' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'name-2', 'a new row is focused at its Ingredient field');
  assert.equal(await page.locator('[data-row-status]').innerText(), 'Ingredient 3 added, empty.');
  await page.getByRole('button', { name: 'Remove ingredient 2' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'name-1', 'the row that moved up is focused');
  assert.equal(await page.locator('[data-row-status]').innerText(), 'Ingredient 2 removed, 2 ingredients left.');
  assert.equal(await page.locator('label[for="name-1"]').textContent(), 'Ingredient 2', 'labels follow the rows');
  await page.getByRole('button', { name: 'Remove ingredient 2' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'name-0', 'after the last row, the one above');

  // On a phone, Remove is drawn after Parts, as the keyboard reaches it.
  const parts = await rowFields(page, 1).parts.boundingBox();
  const remove = await page.getByRole('button', { name: 'Remove ingredient 1' }).boundingBox();
  assert.ok(remove.y >= parts.y, `Remove (${remove.y}) is not drawn above Parts (${parts.y})`);
  await page.context().close();
});

test('at 390 and 320 px the filter hint and a typed rgb() colour fit in their fields', async () => {
  for (const width of [390, 320]) {
    const page = await newPage({ width, height: 800 });
    await signIn(page, 'manager');
    const filter = page.getByLabel('Filter drinks');
    assert.ok(await placeholderFits(filter), `the filter's hint fits at ${width} px`);
    await assertBordersShow(page, `the menu at ${width} px`);
    await page.goto(`${base}/admin/drinks/new`);
    assert.ok(await valueFits(rowFields(page, 1).color, 'rgb(111, 78, 55)'), `rgb(111, 78, 55) fits at ${width} px`);
    await page.context().close();
  }
});

test('the colour swatch shows no colour until the text is one', async () => {
  const page = await newPage();
  await signIn(page, 'manager');
  await page.goto(`${base}/admin/drinks/new`);
  const swatch = page.locator('.color-input').first();
  const noColour = () => swatch.evaluate((el) => el.hasAttribute('data-no-color'));
  assert.ok(await noColour(), 'an empty row has no colour');
  assert.doesNotMatch(await rowFields(page, 1).color.getAttribute('placeholder'), /^#|rgb|hsl/, 'the placeholder is not a colour');
  await rowFields(page, 1).color.fill('blurple');
  assert.ok(await noColour(), '"blurple" is not a colour');
  await rowFields(page, 1).color.fill('brown');
  assert.ok(!(await noColour()), 'brown is');
  assert.equal(await swatch.locator('input[type="color"]').inputValue(), '#a52a2a');
  await page.context().close();
});

/** Opens `path` and waits for the page's script to have run. */
async function visit(page, path) {
  const response = await page.goto(`${base}${path}`);
  await page.waitForLoadState('load');
  return response;
}

for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`every page passes axe-core, as a manager and as a barista (${size})`, async () => {
    const page = await newPage(viewport);
    await visit(page, '/admin/login');
    await audit(page, `sign-in (${size})`);
    await signIn(page, 'manager');
    await audit(page, `menu (${size})`);
    await page.getByLabel('Filter drinks').fill('matcha');
    await audit(page, `filtered menu (${size})`);
    await page.getByLabel('Filter drinks').fill('nothing like this');
    await audit(page, `menu with no match (${size})`);
    await visit(page, '/admin/drinks/new');
    await audit(page, `new drink (${size})`);
    await rowFields(page, 1).color.fill('blurple');
    await rowFields(page, 1).parts.fill('1.5');
    await page.getByRole('button', { name: 'Add to the menu' }).click();
    await page.getByText('things need fixing').waitFor();
    await audit(page, `the editor's error state (${size})`);
    if (size === 'phone') await page.screenshot({ path: join(screenshots, 'editor-errors-phone.png'), fullPage: true });

    const firstCard = page.locator('.card').first();
    await visit(page, '/admin');
    await firstCard.getByRole('link', { name: /^Edit/ }).click();
    await audit(page, `edit (${size})`);
    const editUrl = page.url();
    const other = await page.context().newPage();
    await other.goto(editUrl);
    await other.getByLabel('Title').fill(`Changed meanwhile ${size}`);
    await other.getByRole('button', { name: 'Save changes' }).click();
    await other.waitForURL(/#drink-/);
    await other.close();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('was changed meanwhile').waitFor();
    await audit(page, `conflict (${size})`);

    await visit(page, '/admin');
    await firstCard.getByRole('link', { name: /^Delete/ }).click();
    await audit(page, `delete confirmation (${size})`);
    await visit(page, '/admin/activity');
    await audit(page, `activity (${size})`);
    await visit(page, '/admin/system');
    await audit(page, `system (${size})`);
    const missing = await visit(page, '/admin/no-such-page');
    assert.equal(missing.status(), 404);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await audit(page, `404 (${size})`);
    if (size === 'phone') {
      await visit(page, '/admin');
      await page.screenshot({ path: join(screenshots, 'menu-phone.png') });
    }
    await page.context().close();

    const barista = await newPage(viewport);
    await signIn(barista, 'barista');
    await audit(barista, `menu as a barista (${size})`);
    await visit(barista, '/admin/activity');
    await audit(barista, `activity as a barista (${size})`);
    const refused = await visit(barista, '/admin/drinks/new');
    assert.equal(refused.status(), 403);
    assert.ok(await barista.getByRole('navigation', { name: 'Main' }).isVisible(), 'the 403 page keeps the navigation');
    await barista.getByRole('button', { name: 'Sign out' }).waitFor();
    await audit(barista, `403 (${size})`);
    await barista.context().close();
  });
}

test('the System page: all is well, a key rotation shows as a fetch, and baristas get 403', async () => {
  const systemPage = async () => {
    const page = await newPage();
    await signIn(page, 'manager');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'System' }).click();
    await page.getByRole('heading', { name: 'System', level: 1 }).waitFor();
    return page;
  };
  const keyIds = (page) => page.locator('.key-ids code').allTextContents();
  const lastFetch = (page) => page.locator('dt:text-is("Last fetch") + dd');

  const page = await systemPage();
  const verdict = page.locator('section.verdict');
  assert.match(await verdict.getAttribute('class'), /\bgreen\b/);
  assert.equal((await verdict.getByRole('heading').textContent()).trim(), 'All is well');
  const published = provider.issuer.keys.toJSON().map((key) => key.kid).sort();
  assert.deepEqual(await keyIds(page), published, 'the provider\'s keys');
  assert.match(await lastFetch(page).textContent(), /succeeded/);
  await page.screenshot({ path: join(screenshots, 'system.png'), fullPage: true });
  await page.context().close();

  // The provider rotates a key in. Its tokens are signed by each key in
  // turn, so within a sign-in or two one names the new key, and the server
  // fetches the key set for it.
  const rotatedAt = Date.now();
  const rotated = await provider.issuer.keys.generate('RS256');
  let after;
  for (let attempt = 0; attempt < 3; attempt++) {
    after = await systemPage();
    if ((await keyIds(after)).includes(rotated.kid)) break;
    await after.context().close();
  }
  assert.ok((await keyIds(after)).includes(rotated.kid), 'the new key is listed');
  assert.match(await lastFetch(after).textContent(), /succeeded/);
  const fetchedAt = Date.parse(await lastFetch(after).locator('time').getAttribute('datetime'));
  assert.ok(fetchedAt >= Math.floor(rotatedAt / 1000) * 1000, 'the last fetch came after the rotation');
  await after.context().close();

  const barista = await newPage();
  await signIn(barista, 'barista');
  const nav = barista.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'System' }).count(), 0, 'no System link for a barista');
  const refused = await visit(barista, '/admin/system');
  assert.equal(refused.status(), 403);
  assert.equal(await barista.getByText('Signing keys').count(), 0, 'nothing of the page is shown');
  await barista.context().close();
});

test('development mode: its banner sits in a landmark, and its sign-in page does not ask for --dev', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffee-shop-e2e-dev-'));
  const port = await freePort();
  const devBase = `http://127.0.0.1:${port}`;
  const { child, exited } = spawnServer(binary, {
    args: ['serve', '--dev'],
    workDir: dir,
    port,
    issuer: provider.issuer.url,
    audience: AUDIENCE,
    stdout: 'ignore',
  });
  try {
    await waitUntilReady(`${devBase}/readyz`, 20_000);
    for (const viewport of [PHONE, DESKTOP]) {
      const page = await newPage(viewport);
      await page.goto(`${devBase}/admin/login`);
      assert.equal(await page.getByText('start the server with').count(), 0, 'no advice to do what is done');
      await audit(page, `development sign-in (${viewport.width} px)`);
      await page.getByRole('button', { name: 'Sign in as Manager' }).click();
      await page.getByRole('heading', { name: 'Menu' }).waitFor();
      assert.ok(await page.getByRole('region', { name: 'Development mode' }).isVisible());
      await audit(page, `menu in development mode (${viewport.width} px)`);
      await page.context().close();
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no page logged a script error or a CSP violation', () => {
  assert.deepEqual(problems, []);
});
