// Real-browser tests of the dashboard's automation parts: a button's
// schedule (set in its form, shown with its next run on its card), a
// scenario's cron scheduling, the Hooks view (create a hook, copy its URL,
// call it, see the request) and the Secrets view (store, replace, delete;
// a value is never in the page). Screenshots in tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ARTIFACTS, PHONE, apiCall, openPage as open, assertNoHorizontalOverflow, sharedServerAndBrowser, signInTo,
} from './helpers.mjs';

const shared = sharedServerAndBrowser({ before, after });
const openPage = (t, options) => open(shared.browser, t, options);
const signIn = (page, view, heading) => signInTo(page, shared.server, view, heading);

test('a button gets a schedule in its form and its card shows the next run', async (t) => {
  const page = await openPage(t);
  await signIn(page, 'buttons', 'Buttons');
  await page.getByRole('button', { name: 'New button' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Nightly report');
  await dialog.getByLabel('Command').fill('echo report');
  await dialog.getByLabel('Schedule (cron)').fill('0 9 * * mon-fri');
  await dialog.getByLabel('Time zone').fill('Mars/Base');
  await dialog.getByRole('button', { name: 'Create button' }).click();
  // The server's reason, next to the field it is about.
  await dialog.getByRole('alert').filter({ hasText: 'unknown time zone' }).waitFor();
  assert.equal(await dialog.getByLabel('Time zone').getAttribute('aria-invalid'), 'true');
  await dialog.getByLabel('Time zone').fill('Europe/Paris');
  await dialog.getByRole('button', { name: 'Create button' }).click();
  await dialog.waitFor({ state: 'detached' });

  const card = page.locator('article.button-card').filter({ has: page.getByRole('heading', { name: 'Nightly report' }) });
  const chip = card.locator('[data-field="schedule"]');
  await chip.waitFor();
  assert.match(await chip.textContent(), /next /);
  assert.equal(await chip.getAttribute('title'), 'Schedule: 0 9 * * mon-fri (Europe/Paris)');
  const { body } = await apiCall(shared.server, 'GET', '/api/v1/buttons');
  const saved = body.data.find((b) => b.name === 'Nightly report');
  assert.deepEqual(saved.schedule, { cron: '0 9 * * mon-fri', timezone: 'Europe/Paris' });
  assert.ok(Date.parse(saved.next_run) > Date.now());
  await card.screenshot({ path: path.join(ARTIFACTS, 'buttons-schedule-card.png') });

  // Emptying the field removes the schedule.
  await card.getByRole('button', { name: 'Edit Nightly report' }).click();
  await dialog.getByLabel('Schedule (cron)').fill('');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });
  await chip.waitFor({ state: 'detached' });
});

test('a scenario is scheduled with cron in its form; its next run shows once active', async (t) => {
  const page = await openPage(t);
  await signIn(page, 'scenarios', 'Scenarios');
  await page.getByRole('button', { name: 'New scenario' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill('Every five minutes');
  await dialog.getByLabel('Scheduling').selectOption('cron');
  await dialog.getByLabel('Cron').fill('*/5 * * * *');
  await dialog.getByLabel('Time zone').fill('UTC');
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await dialog.waitFor({ state: 'detached' });
  const chip = page.locator('[data-field="scheduling"]').filter({ hasText: 'cron */5 * * * * (UTC)' });
  await chip.first().waitFor();
  const { body } = await apiCall(shared.server, 'GET', '/scenarios');
  const scenario = body.scenarios.find((s) => s.name === 'Every five minutes');
  assert.deepEqual(scenario.scheduling, { type: 'cron', cron: '*/5 * * * *', timezone: 'UTC' });
  await apiCall(shared.server, 'POST', `/scenarios/${scenario.id}/start`);
  await page.reload();
  await page.locator('[data-field="next-run"]').first().waitFor();
  assert.match(await page.locator('[data-field="next-run"]').first().textContent(), /^next /);
});

test('the Hooks view creates a hook, shows its URL to copy, and lists the requests it took', async (t) => {
  const { status } = await apiCall(shared.server, 'POST', '/api/v1/buttons', { id: 'ingest', name: 'Ingest', command: 'cat "$RUNBOX_HOOK_FILE"' });
  assert.equal(status, 201);
  const page = await openPage(t);
  await signIn(page, 'hooks', 'Hooks');
  await page.getByText('No hooks yet').waitFor();
  await page.getByRole('button', { name: 'New hook' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Shop orders');
  await dialog.getByLabel('Starts').selectOption('button:ingest');
  await dialog.screenshot({ path: path.join(ARTIFACTS, 'hooks-form.png') });
  await dialog.getByRole('button', { name: 'Create hook' }).click();
  await dialog.waitFor({ state: 'detached' });

  const item = page.locator('li.hook-item').filter({ hasText: 'Shop orders' });
  await item.waitFor();
  assert.equal(await item.locator('[data-field="target"]').textContent(), 'button ingest');
  const url = await item.getByLabel('URL of Shop orders').inputValue();
  assert.match(url, new RegExp(`^${shared.server.url.replace(/[.]/g, '\\.')}/hooks/[A-Za-z0-9_-]{32,}$`));
  await item.getByRole('button', { name: 'Copy URL' }).click();
  await page.locator('.notice').filter({ hasText: /Copied|Ctrl\+C/ }).first().waitFor();

  // Another system calls the URL, without a key.
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'order #1' });
  assert.equal(response.status, 200);
  await item.getByRole('button', { name: 'Shop orders', exact: true }).click();
  const request = page.locator('li.hook-request');
  await request.first().waitFor();
  await page.locator('li.hook-request .badge[data-status="completed"]').first().waitFor({ timeout: 15_000 }).catch(async () => {
    await page.getByRole('button', { name: 'Refresh requests' }).click();
    await page.locator('li.hook-request .badge[data-status="completed"]').first().waitFor();
  });
  assert.equal(await request.count(), 1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-desktop.png') });

  await page.setViewportSize(PHONE);
  await assertNoHorizontalOverflow(page, 'on the Hooks view at phone width');
  await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-phone.png'), fullPage: true });
});

test('the Secrets view stores, replaces and deletes secrets by name; a value never reaches the page', async (t) => {
  const VALUE = 'ghp_browser-secret-value-42';
  const page = await openPage(t);
  await signIn(page, 'secrets', 'Secrets');
  await page.getByText('No secrets yet').waitFor();
  await page.getByRole('button', { name: 'New secret' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('github token');
  await dialog.getByLabel('Value').fill(VALUE);
  await dialog.getByRole('button', { name: 'Store secret' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'capital letters' }).waitFor();
  await dialog.getByLabel('Name').fill('GITHUB_TOKEN');
  await dialog.getByLabel('Value').fill('abc');
  await dialog.getByRole('button', { name: 'Store secret' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'at least 4 bytes' }).waitFor();
  await dialog.screenshot({ path: path.join(ARTIFACTS, 'secrets-form-error.png') });
  await dialog.getByLabel('Value').fill(VALUE);
  await dialog.getByRole('button', { name: 'Store secret' }).click();
  await dialog.waitFor({ state: 'detached' });

  const row = page.locator('tr[data-secret="GITHUB_TOKEN"]');
  await row.waitFor();
  assert.equal(await row.locator('td').first().textContent(), 'admin');
  assert.ok(!(await page.content()).includes(VALUE), 'the value is not in the page');
  await page.screenshot({ path: path.join(ARTIFACTS, 'secrets-desktop.png') });

  // A button uses it by reference and its output is masked.
  await apiCall(shared.server, 'POST', '/api/v1/buttons', {
    id: 'uses-token', name: 'Uses token', command: 'echo "token: $TOKEN"', env: { TOKEN: { secret: 'GITHUB_TOKEN' } },
  });
  const run = await apiCall(shared.server, 'POST', '/api/v1/execute/uses-token?wait=20');
  assert.equal(run.body.data.output, 'token: ***\n');

  await row.getByRole('button', { name: 'Replace the value of GITHUB_TOKEN' }).click();
  await dialog.getByLabel('Value').fill('ghp_another-value-43');
  await dialog.getByRole('button', { name: 'Replace value' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('.notice').filter({ hasText: 'Replaced the value of GITHUB_TOKEN' }).waitFor();

  await row.getByRole('button', { name: 'Delete GITHUB_TOKEN' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await row.waitFor({ state: 'detached' });
  const { body } = await apiCall(shared.server, 'GET', '/secrets');
  assert.deepEqual(body.secrets, []);

  await page.setViewportSize(PHONE);
  await assertNoHorizontalOverflow(page, 'on the Secrets view at phone width');
});
