// Real-browser tests of the web dashboard served at `/`.
//
// Starts the real server (RUNBOX_BIN, default target/debug/runbox) on a free
// port with a throw-away data directory and a fixed admin key, drives the
// system's Chromium (/usr/bin/chromium) through playwright-core, and asserts
// what a user sees. Screenshots go to tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  KEY, ARTIFACTS, WAIT, PHONE, startServer, apiCall as call, launchBrowser, openPage as open,
} from './helpers.mjs';

// ------------------------------------------------------------- server ----

/** A call to the buttons API from the test itself (for setting up). */
const apiCall = (server, method, route, body) => call(server, method, route, body);

async function createButton(server, button) {
  const { status, body } = await apiCall(server, 'POST', '/api/v1/buttons', button);
  assert.equal(status, 201, JSON.stringify(body));
  return body.data;
}

// ------------------------------------------------------------ browser ----

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A new tab that records page and console errors (see helpers.mjs). */
const openPage = (t, options) => open(browser, t, options);

async function signIn(page, key = KEY) {
  await page.goto(server.url + '/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
}

const card = (page, name) =>
  page.locator('article.button-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
const runPanel = (page) => page.locator('section.run-panel');
const runBadge = (page, status) => runPanel(page).locator(`.run-badge .badge[data-status="${status}"]`);
const exitCode = (page) => runPanel(page).locator('dd[data-field="exit-code"]');

async function fillForm(page, fields) {
  const dialog = page.getByRole('dialog');
  for (const [label, value] of Object.entries(fields)) {
    await dialog.getByLabel(label, { exact: true }).fill(String(value));
  }
  return dialog;
}

async function createInForm(page, fields) {
  await page.getByRole('button', { name: 'New button' }).first().click();
  const dialog = await fillForm(page, fields);
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card(page, fields.Name).waitFor();
}

async function runAndWait(page, name, status) {
  await card(page, name).getByRole('button', { name: 'Run', exact: true }).click();
  await runPanel(page).locator('.run-subject', { hasText: name }).waitFor();
  await runBadge(page, status).waitFor();
}

// -------------------------------------------------------------- tests ----

test('the page and its assets are served without a key, with a strict CSP', async () => {
  for (const [route, type] of [
    ['/', 'text/html'],
    ['/assets/app.js', 'text/javascript'],
    ['/assets/app.css', 'text/css'],
    ['/favicon.svg', 'image/svg+xml'],
  ]) {
    const response = await fetch(server.url + route);
    assert.equal(response.status, 200, route);
    assert.ok(response.headers.get('content-type').startsWith(type), `${route}: ${response.headers.get('content-type')}`);
    const csp = response.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'self'/, route);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, route);
    assert.ok(response.headers.get('cache-control'), route);
  }
  assert.equal((await fetch(server.url + '/')).headers.get('cache-control'), 'no-cache');
  const missing = await fetch(server.url + '/assets/nope.js');
  assert.equal(missing.status, 404);
});

test('a wrong key is refused with a message, the right one opens the dashboard', async (t) => {
  const page = await openPage(t);
  await page.goto(server.url + '/');
  await page.getByRole('heading', { name: 'Sign in to runbox' }).waitFor();
  await page.getByLabel('API key').fill('definitely-not-a-valid-key');
  await page.getByRole('button', { name: 'Continue' }).click();
  const alert = page.locator('#login-message');
  await alert.waitFor();
  assert.match(await alert.textContent(), /refused/i);
  assert.equal(await page.getByLabel('API key').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('runbox.apiKey')), null);

  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Buttons' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('runbox.apiKey')), KEY);

  // The key survives a reload (same tab), and "Change key" forgets it.
  await page.reload();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Change key' }).click();
  await page.getByRole('heading', { name: 'Sign in to runbox' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('runbox.apiKey')), null);
});

test('a key the server stops accepting sends the user back to the prompt', async (t) => {
  const page = await openPage(t);
  await signIn(page);
  await page.evaluate(() => sessionStorage.setItem('runbox.apiKey', 'revoked-or-mistyped-key'));
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to runbox' }).waitFor();
  assert.match(await page.locator('#login-message').textContent(), /API key was refused/);
});

test('create, run with live output, history, rename and delete a button', async (t) => {
  const page = await openPage(t);
  await signIn(page);
  await createInForm(page, {
    Name: 'Ticker',
    Description: 'Says start, waits, says end',
    Icon: '★',
    'Timeout (seconds)': 20,
    Command: 'echo start; sleep 1; echo end',
  });

  // Run: "start" shows while the command still runs, then "end".
  const started = Date.now();
  await card(page, 'Ticker').getByRole('button', { name: 'Run', exact: true }).click();
  const firstSight = await page.waitForFunction(() => {
    const output = document.querySelector('section.run-panel .output');
    const text = output && !output.hidden ? output.textContent : '';
    if (!text.includes('start')) return null;
    return { text, status: document.querySelector('section.run-panel .run-badge .badge')?.dataset.status };
  }, null, { polling: 'raf', timeout: WAIT });
  const seen = await firstSight.jsonValue();
  assert.ok(!seen.text.includes('end'), `"end" was already there: ${JSON.stringify(seen)}`);
  assert.equal(seen.status, 'running', 'the badge says running while output streams');
  assert.ok(await runPanel(page).getByRole('button', { name: 'Cancel' }).isVisible(), 'Cancel is offered while running');

  await runBadge(page, 'completed').waitFor();
  const finishedAfter = Date.now() - started;
  assert.equal(await runPanel(page).locator('.output').textContent(), 'start\nend\n');
  assert.equal(await runBadge(page, 'completed').textContent(), 'completed');
  assert.equal(await exitCode(page).textContent(), '0');
  assert.match(await runPanel(page).locator('dd[data-field="memory"]').textContent(), /^\d+(\.\d+)? (kB|MB)$/, 'the run panel shows the measured memory');
  assert.match(await runPanel(page).locator('dd[data-field="duration"]').textContent(), /^\d+(\.\d+)? (ms|s)$/);
  assert.ok(!(await runPanel(page).getByRole('button', { name: 'Cancel' }).isVisible()), 'no Cancel once finished');
  assert.ok(finishedAfter >= 1000, `finished after ${finishedAfter} ms`);

  // History lists the run; its details show the output.
  const row = page.locator('.history-item[data-status="completed"]').filter({ hasText: 'Ticker' }).first();
  await row.waitFor();
  await row.locator('summary').click();
  await row.locator('pre.output').filter({ hasText: 'end' }).waitFor();
  assert.equal(await row.locator('pre.output').textContent(), 'start\nend\n');

  // Rename.
  await page.getByRole('button', { name: 'Edit Ticker' }).click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.getByLabel('Command', { exact: true }).inputValue(), 'echo start; sleep 1; echo end');
  await dialog.getByLabel('Name', { exact: true }).fill('Ticker renamed');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card(page, 'Ticker renamed').waitFor();
  assert.equal(await card(page, 'Ticker').count(), 0);
  assert.equal(await card(page, 'Ticker renamed').locator('.card-desc').textContent(), 'Says start, waits, says end');

  // Delete, after confirming.
  await page.getByRole('button', { name: 'Delete Ticker renamed' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete “Ticker renamed”?' });
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await card(page, 'Ticker renamed').count(), 1, 'cancelling keeps the button');
  await page.getByRole('button', { name: 'Delete Ticker renamed' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await card(page, 'Ticker renamed').waitFor({ state: 'detached' });
  const { body } = await apiCall(server, 'GET', '/api/v1/buttons');
  assert.ok(!body.data.some((b) => b.name.startsWith('Ticker')), 'deleted on the server');
});

test('a failing command shows failed with its exit code', async (t) => {
  await createButton(server, { name: 'Oops', command: 'echo oops; exit 3', timeout: 10 });
  const page = await openPage(t);
  await signIn(page);
  await runAndWait(page, 'Oops', 'failed');
  assert.equal(await runBadge(page, 'failed').textContent(), 'failed');
  assert.equal(await exitCode(page).textContent(), '3');
  assert.equal(await runPanel(page).locator('.output').textContent(), 'oops\n');
  await page.locator('.history-item[data-status="failed"]').filter({ hasText: 'Oops' }).first().waitFor();
});

test('a command over its time limit shows timeout', async (t) => {
  await createButton(server, { name: 'Sleepy', command: 'echo dozing; sleep 5', timeout: 1 });
  const page = await openPage(t);
  await signIn(page);
  await runAndWait(page, 'Sleepy', 'timeout');
  assert.equal(await runBadge(page, 'timeout').textContent(), 'timeout');
  assert.match(await runPanel(page).locator('.output').textContent(), /dozing/);
});

test('a running command can be canceled', async (t) => {
  await createButton(server, { name: 'Forever', command: 'echo waiting; sleep 60', timeout: 120 });
  const page = await openPage(t);
  await signIn(page);
  await card(page, 'Forever').getByRole('button', { name: 'Run', exact: true }).click();
  await runBadge(page, 'running').waitFor();
  await runPanel(page).locator('.output', { hasText: 'waiting' }).waitFor();
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'run-running-desktop.png') });
  await runPanel(page).getByRole('button', { name: 'Cancel' }).click();
  await runBadge(page, 'canceled').waitFor();
  assert.equal(await runBadge(page, 'canceled').textContent(), 'canceled');
});

test('API errors are shown next to the form, and output is never parsed as HTML', async (t) => {
  const page = await openPage(t);
  await signIn(page);
  await page.getByRole('button', { name: 'New button' }).first().click();
  const dialog = await fillForm(page, { Name: 'Bad', Command: 'reboot' });
  await dialog.getByRole('button', { name: 'Create button' }).click();
  const error = dialog.locator('.form-error');
  await error.waitFor();
  assert.match(await error.textContent(), /^Invalid command/);
  await fillForm(page, { Command: 'echo ok', Environment: 'NOT A PAIR' });
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.locator('.form-error', { hasText: 'line 1' }).waitFor();
  await fillForm(page, { 'Timeout (seconds)': 301, Environment: '' });
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.locator('.form-error', { hasText: 'Timeout' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });

  const nasty = '<img src=x id=injected>';
  await createInForm(page, {
    Name: nasty,
    Command: `echo '${nasty}'; echo "<b>bold</b>"`,
    'Timeout (seconds)': 10,
  });
  await runAndWait(page, nasty, 'completed');
  assert.equal(await runPanel(page).locator('.output').textContent(), `${nasty}\n<b>bold</b>\n`);
  assert.equal(await page.locator('#injected').count(), 0, 'no element was created from data');
  assert.equal(await runPanel(page).locator('.output b').count(), 0);
});

test('the dashboard works from the keyboard', async (t) => {
  await createButton(server, { name: 'Keyboard', command: 'echo typed', timeout: 10 });
  const page = await openPage(t);
  await page.goto(server.url + '/');
  await page.getByRole('heading', { name: 'Sign in to runbox' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api-key', 'the key field has focus');
  await page.keyboard.type(KEY);
  await page.keyboard.press('Enter');
  await card(page, 'Keyboard').waitFor();

  await page.getByRole('button', { name: 'New button' }).first().focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'bf-name', 'the form opens on its first field');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  await card(page, 'Keyboard').getByRole('button', { name: 'Run', exact: true }).focus();
  await page.keyboard.press('Enter');
  await runPanel(page).locator('.run-subject', { hasText: 'Keyboard' }).waitFor();
  await runBadge(page, 'completed').waitFor();
  assert.equal(await runPanel(page).locator('.output').textContent(), 'typed\n');
});

test('screenshots at desktop and phone sizes; no horizontal scroll on a phone', async (t) => {
  // A server of its own, so the pictures show a tidy, known set of buttons.
  const own = await startServer();
  t.after(() => own.stop());
  const seed = [
    { name: 'Deploy preview', icon: '⚙', description: 'Builds the site and prints a summary of what changed.', command: 'echo "building…"; sleep 0.3; echo "42 pages, 3 changed"; echo done', timeout: 30 },
    { name: 'Disk usage', icon: '◔', description: 'How full the scratch space is.', command: 'df -h . | tail -n 1', timeout: 10 },
    { name: 'Flaky check', icon: '⚠', description: 'Fails on purpose, to show a failure.', command: 'echo "checking…"; echo "error: expected 200, got 503" >&2; exit 3', timeout: 10 },
    { name: 'Hello world', icon: '☀', description: 'The smallest button there is.', command: 'echo Hello World', timeout: 5 },
    { name: 'Long report', description: 'Prints a hundred numbered lines.', command: 'for i in $(seq 1 100); do echo "line $i: the quick brown fox jumps over the lazy dog"; done', timeout: 10 },
    { name: 'Slow job', icon: '◷', description: 'Sleeps longer than its limit.', command: 'echo started; sleep 10', timeout: 1 },
  ];
  for (const button of seed) {
    const response = await fetch(own.url + '/api/v1/buttons', {
      method: 'POST', headers: { 'x-api-key': KEY }, body: JSON.stringify(button),
    });
    assert.equal(response.status, 201);
  }
  const page = await openPage(t);
  await page.goto(own.url + '/');
  await page.screenshot({ path: path.join(ARTIFACTS, 'login-desktop.png') });
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await card(page, 'Hello world').waitFor();
  await runAndWait(page, 'Slow job', 'timeout');
  await runAndWait(page, 'Flaky check', 'failed');
  await runAndWait(page, 'Hello world', 'completed');
  await runAndWait(page, 'Deploy preview', 'completed');
  // A card's last-run badge brings that run back into the output panel.
  await page.getByRole('button', { name: 'Show the last run of Flaky check: failed' }).click();
  await runPanel(page).locator('.run-subject', { hasText: 'Flaky check' }).waitFor();
  assert.equal(await exitCode(page).textContent(), '3');
  await page.getByRole('button', { name: 'Show the last run of Deploy preview: completed' }).click();
  await runPanel(page).locator('.run-subject', { hasText: 'Deploy preview' }).waitFor();
  await page.locator('.history-item').nth(3).waitFor();
  await page.locator('.history-item').first().locator('summary').click();
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop-full.png'), fullPage: true });

  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop-dark.png') });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });

  await page.setViewportSize(PHONE);
  await page.evaluate(() => window.scrollTo(0, 0));
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(widths.scroll <= widths.inner, `horizontal overflow on a phone: ${JSON.stringify(widths)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-full.png'), fullPage: true });

  await runAndWait(page, 'Long report', 'completed');
  const after = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(after.scroll <= after.inner, `horizontal overflow after a run: ${JSON.stringify(after)}`);
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'run-phone.png') });
  await page.locator('section.history-panel').screenshot({ path: path.join(ARTIFACTS, 'history-phone.png') });

  await card(page, 'Hello world').getByRole('button', { name: 'Edit Hello world' }).click();
  await page.getByRole('dialog').waitFor();
  const inDialog = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(inDialog.scroll <= inDialog.inner, `horizontal overflow with the form open: ${JSON.stringify(inDialog)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'form-phone.png') });
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
});

test('a button’s network destinations are set in its form and shown on its card', async (t) => {
  const own = await startServer({ env: { RUNBOX_NETWORK_ALLOW: 'api.github.com, 10.20.0.0/16:5432' } });
  t.after(() => own.stop());
  const page = await openPage(t);
  await page.goto(own.url + '/');
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();

  await page.getByRole('button', { name: 'New button' }).first().click();
  const dialog = await fillForm(page, { Name: 'Fetch releases', Command: 'echo "$HTTPS_PROXY"', Network: 'api.gitlab.com' });
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.locator('.form-error', { hasText: /network/i }).waitFor();
  assert.equal(await dialog.getByLabel('Network', { exact: true }).getAttribute('aria-invalid'), 'true');
  await fillForm(page, { Network: 'api.github.com, 10.20.1.5:5432' });
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.waitFor({ state: 'detached' });
  const chip = card(page, 'Fetch releases').locator('[data-field="network"]');
  await chip.filter({ hasText: '2 destinations' }).waitFor();
  const { body } = await call(own, 'GET', '/api/v1/buttons');
  assert.deepEqual(body.data.find((b) => b.name === 'Fetch releases').network, ['api.github.com', '10.20.1.5:5432']);
  // A run with network gets the proxy.
  await runAndWait(page, 'Fetch releases', 'completed');
  await runPanel(page).locator('pre.output', { hasText: 'http://127.0.0.1:3128' }).waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'buttons-network-desktop.png') });
});
