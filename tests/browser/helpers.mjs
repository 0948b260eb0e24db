// Shared plumbing of the real-browser tests: the real server (from
// ../support/server.mjs), the system's Chromium through playwright-core,
// and pages that record their errors.

import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { REPO } from '../support/server.mjs';

import { KEY, startServer } from '../support/server.mjs';

export { BIN, KEY, startServer, apiCall } from '../support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const ARTIFACTS = path.join(here, 'artifacts');
export const WAIT = 20_000;
/** The tiny-wheel builder the Rust tests and benchmarks use too. */
export const MAKE_WHEEL = path.join(REPO, 'crates', 'bench', 'src', 'make_wheel.py');
export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

// ------------------------------------------------------------ browser ----

/** The system's Chromium with a throw-away profile; `close()` removes it. */
export async function launchBrowser() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profileDir = mkdtempSync(path.join(tmpdir(), 'runbox-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profileDir, { recursive: true, force: true });
  };
  return context;
}

/**
 * A new tab (so a fresh sessionStorage: signed out) that records page
 * errors and console errors (a CSP violation is one); the test fails if
 * there were any. `expectedFailures`: regular expressions of the request
 * URLs whose 5xx replies are expected answers (a scenario run that ends in
 * error is a 500), so the browser's "Failed to load resource" for them is
 * not a fault.
 */
export async function openPage(browser, t, { viewport = DESKTOP, colorScheme = 'light', expectedFailures = [] } = {}) {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // Refused requests (a wrong key, an invalid command) are logged by the
    // browser as failed resources: they are expected answers, not faults.
    if (message.type() !== 'error') return;
    if (/Failed to load resource: .*status of 4\d\d/.test(message.text())) return;
    if (/Failed to load resource: .*status of 5\d\d/.test(message.text())
      && expectedFailures.some((pattern) => pattern.test(message.location()?.url || ''))) return;
    problems.push(`console: ${message.text()} (${message.location()?.url || 'no url'})`);
  });
  t.after(async () => {
    await page.close();
    assert.deepEqual(problems, [], 'the page logged errors');
  });
  return page;
}

/** Signs in with KEY on `#/VIEW` of `target` and waits for its heading. */
export async function signInTo(page, target, view, heading) {
  await page.goto(`${target.url}/#/${view}`);
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

/**
 * One server and one browser for a test file: `before`/`after` hooks, and
 * what the tests use. `shared.server` and `shared.browser` are set once
 * `before` ran.
 */
export function sharedServerAndBrowser({ before, after }) {
  const shared = { server: null, browser: null };
  before(async () => {
    shared.server = await startServer();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}

/** The document is no wider than the window (no horizontal scroll). */
export async function assertNoHorizontalOverflow(page, when) {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(widths.scroll <= widths.inner, `horizontal overflow ${when}: ${JSON.stringify(widths)}`);
}
