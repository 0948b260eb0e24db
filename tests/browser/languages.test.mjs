// Real-browser tests of the dashboard's languages: the Run code view
// (pick a language, run a snippet, read its output and result; a failing
// snippet shows its error and stderr) and a JavaScript agent created
// through the agent form. Screenshots in tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ARTIFACTS, PHONE, openPage as open, assertNoHorizontalOverflow, sharedServerAndBrowser, signInTo,
} from './helpers.mjs';

const shared = sharedServerAndBrowser({ before, after });
const openPage = (t, options) => open(shared.browser, t, options);
const signIn = (page, view, heading) => signInTo(page, shared.server, view, heading);

test('the Run code view runs JavaScript and Python and shows output, result and errors', async (t) => {
  const page = await openPage(t, { expectedFailures: [/\/v1\/code\/execute\//] });
  await signIn(page, 'code', 'Run code');
  const language = page.getByLabel('Language');
  await page.locator('#code-language option[value="javascript"]').waitFor({ state: 'attached' });
  assert.deepEqual(
    await page.locator('#code-language option').evaluateAll((options) => options.map((o) => o.value)),
    ['python', 'javascript'],
  );
  await language.selectOption('javascript');
  assert.match(await page.locator('#code-language-hint').textContent(), /^v\d+/);
  await page.getByLabel('Code', { exact: true }).fill("console.log('from node');\nreturn { sum: [1, 2, 3].reduce((a, b) => a + b) };");
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('.code-status').filter({ hasText: 'exit code 0' }).waitFor();
  assert.equal(await page.locator('.code-stdout').textContent(), 'from node\n');
  assert.deepEqual(JSON.parse(await page.locator('.code-result').textContent()), { sum: 6 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'run-code-desktop.png') });

  // An uncaught error: its first line, and the stack on stderr.
  await page.getByLabel('Code', { exact: true }).fill('null.x');
  await page.getByLabel('Code', { exact: true }).press('Control+Enter');
  await page.locator('.code-status-error').filter({ hasText: 'TypeError' }).waitFor();
  assert.match(await page.locator('.code-stderr').textContent(), /^TypeError: Cannot read properties of null/);
  assert.ok(await page.locator('.code-result').isHidden());

  // Each language keeps its own draft.
  await language.selectOption('python');
  assert.match(await page.getByLabel('Code', { exact: true }).inputValue(), /Hello from Python/);
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('.code-status').filter({ hasText: 'exit code 0' }).waitFor();
  assert.deepEqual(JSON.parse(await page.locator('.code-result').textContent()), { answer: 42 });
  await language.selectOption('javascript');
  assert.equal(await page.getByLabel('Code', { exact: true }).inputValue(), 'null.x');

  await page.setViewportSize(PHONE);
  await assertNoHorizontalOverflow(page, 'on the Run code view at phone width');
  await page.screenshot({ path: path.join(ARTIFACTS, 'run-code-phone.png'), fullPage: true });
});

test('the agent form offers JavaScript and its example; the agent runs', async (t) => {
  const page = await openPage(t);
  await signIn(page, 'agents', 'Agents');
  await page.getByRole('button', { name: 'New agent' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Greeter JS');
  await dialog.getByLabel('Runtime').selectOption('javascript');
  assert.match(await dialog.getByLabel('Code').inputValue(), /async function run\(input\)/);
  await dialog.getByRole('button', { name: 'Create agent' }).click();
  await dialog.waitFor({ state: 'detached' });
  const card = page.locator('article.agent-card').filter({ has: page.getByRole('heading', { name: 'Greeter JS', exact: true }) });
  await card.waitFor();
  assert.equal(await card.locator('[data-field="runtime"]').textContent(), 'javascript');
  assert.equal(await card.locator('.agent-icon').textContent(), 'JS');
  await card.getByRole('button', { name: 'Run', exact: true }).click();
  const panel = page.locator('section.agent-run-panel');
  await panel.locator('.run-subject', { hasText: 'Greeter JS' }).waitFor();
  await panel.locator('textarea').first().fill('{"name": "Ada"}');
  await panel.getByRole('button', { name: 'Run agent' }).click();
  await panel.locator('.run-badge .badge[data-status="COMPLETED"]').waitFor();
  assert.deepEqual(JSON.parse(await panel.locator('pre.agent-result').textContent()), { greeting: 'Hello, Ada!' });
});
