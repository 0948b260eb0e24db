// Real-browser tests of the dashboard's Scenarios view (`#/scenarios`):
// scenarios created from the form (with its example blueprint), listed with
// their active/paused switch, edited and deleted; runs, responsive (outputs
// and stats, or the API's error) and followed by polling (with Stop); the
// execution inspector (paginated list, status filter, summary, one row per
// module run with its input, output and error, Retry); the API's messages in
// the form; and screenshots at desktop and phone sizes in
// tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  KEY, ARTIFACTS, DESKTOP, PHONE, startServer, apiCall, launchBrowser, openPage as open,
  assertNoHorizontalOverflow,
} from './helpers.mjs';

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

/** A run that ends in error is a 500, a timeout a 504: expected answers. */
const RUN_URL = /\/scenarios\/\d+\/run$/;
const openPage = (t, options = {}) => open(browser, t, { expectedFailures: [RUN_URL], ...options });

// -------------------------------------------------------------- helpers ----

const flow = (name, modules) => ({ name, flow: modules, metadata: { version: 1 } });

const PARSER = flow('Parser', [
  { id: 1, module: 'scenario-service:StartSubscenario' },
  { id: 2, module: 'json:ParseJSON', metadata: { designer: { name: 'Parse payload' } }, mapper: { json: '{{var.input.payload}}' } },
  { id: 3, module: 'scenario-service:ReturnData', mapper: { parsed: '{{2.value}}' } },
]);

const SLEEPER = flow('Sleeper', [
  { id: 1, module: 'util:FunctionSleep', mapper: { duration: 30 } },
]);

const ECHO = flow('Echo', [
  { id: 1, module: 'scenario-service:StartSubscenario' },
  { id: 2, module: 'scenario-service:ReturnData', mapper: { n: '{{var.input.n}}' } },
]);

/** Creates a scenario through the API (team 7), active unless `paused`. */
async function createScenario(target, name, blueprint, { paused = false, extra = {}, key = KEY } = {}) {
  const { status, body } = await apiCall(target, 'POST', '/scenarios?teamId=7',
    { name, scheduling: { type: 'on-demand' }, blueprint, ...extra }, key);
  assert.equal(status, 201, JSON.stringify(body));
  const { id } = body.scenario;
  if (!paused) {
    const started = await apiCall(target, 'POST', `/scenarios/${id}/start`, undefined, key);
    assert.equal(started.status, 200, JSON.stringify(started.body));
  }
  return body.scenario;
}

/** Polls the API until `check(execution)` holds. */
async function waitForExecution(target, id, eid, check, timeout = 20_000) {
  const until = Date.now() + timeout;
  for (;;) {
    const { body } = await apiCall(target, 'GET', `/scenarios/${id}/executions/${eid}`);
    if (body?.execution && check(body.execution)) return body.execution;
    if (Date.now() > until) throw new Error(`execution ${eid} never matched: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Signs in on `#/scenarios` (or `#/scenarios/ID`); the view opens directly. */
async function signIn(page, { key = KEY, target = server, scenario = null } = {}) {
  await page.goto(`${target.url}/#/scenarios${scenario ? `/${scenario}` : ''}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Scenarios', level: 1 }).waitFor();
}

const view = (page) => page.locator('#view-scenarios');
const row = (page, name) => view(page).locator('li.scenario-item')
  .filter({ has: page.getByRole('button', { name, exact: true }) });
const runPanel = (page) => view(page).locator('section.scenario-run-panel');
const result = (page) => runPanel(page).locator('.scenario-result');
const resultBadge = (page, status) => result(page).locator(`.run-badge .badge[data-status="${status}"]`);
const resultField = (page, field) => result(page).locator(`[data-field="${field}"]`);
const outputs = (page) => result(page).locator('pre.run-outputs');
const dataBox = (page) => runPanel(page).getByLabel('Data (JSON object)');
const inspector = (page) => view(page).locator('section.inspector-panel');
const execRows = (page) => inspector(page).locator('li.exec-item');
const detail = (page) => inspector(page).locator('.exec-detail');
const detailBadge = (page, status) => detail(page).locator(`.exec-head .run-badge .badge[data-status="${status}"]`);
const moduleRows = (page) => detail(page).locator('li.module-run');
const moduleRow = (page, id) => detail(page).locator(`li.module-run[data-module-id="${id}"]`);

/** Chooses a scenario in the list; the run panel shows it. */
async function choose(page, name) {
  await row(page, name).getByRole('button', { name, exact: true }).click();
  await runPanel(page).getByRole('heading', { name, level: 2 }).waitFor();
}

/** Types `data` and runs, responsive or not. */
async function run(page, data, { responsive = true } = {}) {
  await dataBox(page).fill(data);
  await runPanel(page).getByLabel('Responsive').setChecked(responsive);
  await runPanel(page).getByRole('button', { name: 'Run scenario' }).click();
}

/** Counts the page's requests matching `method` and the path pattern. */
function countRequests(page, method, pattern) {
  const counter = { count: 0 };
  page.on('request', (request) => {
    if (request.method() === method && pattern.test(new URL(request.url()).pathname)) counter.count += 1;
  });
  return counter;
}

const json = async (locator) => JSON.parse(await locator.textContent());

// ---------------------------------------------------------------- tests ----

test('scenarios.js is served with the same strict headers, and builds no HTML', async () => {
  const response = await fetch(`${server.url}/assets/scenarios.js`);
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('content-type').startsWith('text/javascript'));
  assert.doesNotMatch(response.headers.get('content-security-policy') || '', /unsafe-inline|unsafe-eval/);
  const source = await response.text();
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'text only, never HTML');
});

test('the Scenarios tab comes after Agents and has its own route', async (t) => {
  const page = await openPage(t);
  await page.goto(`${server.url}/`);
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
  assert.deepEqual((await page.getByRole('tab').allTextContents()).slice(0, 3), ['Buttons', 'Agents', 'Scenarios']);
  await page.getByRole('tab', { name: 'Scenarios' }).click();
  await page.getByRole('heading', { name: 'Scenarios', level: 1 }).waitFor();
  assert.match(new URL(page.url()).hash, /^#\/scenarios(\/\d+)?$/);
  assert.equal(await page.getByRole('tab', { name: 'Scenarios' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.title(), 'Scenarios · runbox');
  await page.getByRole('tab', { name: 'Scenarios' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('heading', { name: 'Scenarios', level: 1 }).waitFor();
});

test('create the example scenario, run it paused (SCENARIO_INACTIVE), activate it, run it and inspect its modules', async (t) => {
  const page = await openPage(t);
  await signIn(page);

  // The form starts with a small working blueprint.
  await view(page).getByRole('button', { name: 'New scenario' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New scenario' });
  const example = JSON.parse(await dialog.getByLabel('Blueprint (JSON)').inputValue());
  assert.deepEqual(example.flow.map((m) => m.module),
    ['scenario-service:StartSubscenario', 'util:SetVariable2', 'scenario-service:ReturnData']);
  assert.match(JSON.stringify(example), /var\.input\.name/);
  assert.equal(await dialog.getByLabel('Scheduling').inputValue(), 'on-demand');
  assert.equal(await dialog.getByLabel('Max duration').inputValue(), '2400');
  assert.ok(!(await dialog.getByLabel('Interval (seconds)').isVisible()), 'no interval on demand');
  await dialog.getByLabel('Name', { exact: true }).fill('Greeter');
  await dialog.getByLabel('Team ID').fill('7');
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await dialog.waitFor({ state: 'detached' });

  // Listed, paused, and chosen.
  const greeter = row(page, 'Greeter');
  await greeter.waitFor();
  const toggle = greeter.getByRole('switch', { name: 'Active: Greeter' });
  assert.equal(await toggle.getAttribute('aria-checked'), 'false');
  assert.equal(await greeter.locator('.scenario-row').getAttribute('data-state'), 'paused');
  assert.equal(await greeter.locator('.switch-text').textContent(), 'Paused');
  assert.equal(await greeter.locator('[data-field="team"]').textContent(), 'team 7');
  assert.equal(await greeter.locator('[data-field="scheduling"]').textContent(), 'on demand');
  assert.equal(await greeter.locator('[data-field="max-duration"]').textContent(), 'max duration 40 min');
  const id = Number((await greeter.getAttribute('data-scenario-id')));
  assert.equal(await greeter.locator('[data-field="id"]').textContent(), `#${id}`);
  await runPanel(page).getByRole('heading', { name: 'Greeter', level: 2 }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/scenarios/${id}`);
  assert.equal(await runPanel(page).locator('.state-pill').textContent(), 'Paused');
  const { body: created } = await apiCall(server, 'GET', `/scenarios/${id}`);
  assert.equal(created.scenario.teamId, 7);
  assert.equal(created.scenario.isPaused, true);

  // Paused: the API refuses the run and says why.
  await run(page, '{"name": "ada"}');
  const refusal = result(page).locator('.run-error-box');
  await refusal.locator('[data-field="code"]', { hasText: 'SCENARIO_INACTIVE' }).waitFor();
  assert.match(await refusal.locator('[data-field="message"]').textContent(), /inactive/i);
  assert.equal(await result(page).locator('.run-badge .badge').count(), 0, 'no execution, no status');

  // Activate it from the list.
  await toggle.click();
  await greeter.locator('.scenario-row[data-state="active"]').waitFor();
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  assert.equal(await greeter.locator('.switch-text').textContent(), 'Active');
  assert.equal(await runPanel(page).locator('.state-pill').textContent(), 'Active');
  assert.equal((await apiCall(server, 'GET', `/scenarios/${id}`)).body.scenario.isActive, true);

  // Responsive: the outputs and the stats.
  await runPanel(page).getByRole('button', { name: 'Run scenario' }).click();
  await resultBadge(page, 'completed').waitFor();
  assert.deepEqual(await json(outputs(page)), { greeting: 'HELLO ADA' });
  assert.equal(await resultField(page, 'operations').textContent(), '1');
  assert.equal(await resultField(page, 'data-transfer').textContent(), '0 B');
  assert.equal(await result(page).locator('.run-error-box').isVisible(), false);
  const eid = await resultField(page, 'execution-id').textContent();
  assert.match(eid, /^[0-9a-f]{32}$/);

  // The inspector lists it and shows its module runs, in order.
  await execRows(page).first().waitFor();
  assert.equal(await execRows(page).count(), 1, 'the refused run created no execution');
  assert.equal(await execRows(page).first().getAttribute('data-execution-id'), eid);
  await detailBadge(page, 'completed').waitFor();
  await moduleRows(page).nth(2).waitFor();
  assert.equal(await moduleRows(page).count(), 3);
  assert.deepEqual(await moduleRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.moduleId)), ['1', '2', '3']);
  assert.deepEqual(await moduleRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.status)), ['completed', 'completed', 'completed']);
  assert.equal(await moduleRow(page, 2).locator('[data-field="name"]').textContent(), 'Build greeting');
  assert.equal(await moduleRow(page, 2).locator('[data-field="module"]').textContent(), 'util:SetVariable2');
  assert.equal(await moduleRow(page, 2).locator('[data-field="bundle"]').textContent(), 'bundle 1');
  assert.match(await moduleRow(page, 2).locator('[data-field="duration"]').textContent(), /^duration \d+(\.\d+)? (ms|s)$/);
  assert.equal(await detail(page).locator('[data-field="operations"]').textContent(), '1');
  assert.deepEqual(await json(detail(page).locator('pre.exec-outputs')), { greeting: 'HELLO ADA' });

  // Expanded: its input and output, pretty-printed.
  const input = moduleRow(page, 2).locator('pre[data-field="input"]');
  assert.equal(await input.isVisible(), false, 'collapsed at first');
  await moduleRow(page, 2).locator('summary').click();
  assert.deepEqual(await json(input), { name: 'greeting', value: 'HELLO ADA' });
  assert.match(await input.textContent(), /\n {2}"name": "greeting",\n/);
  assert.deepEqual(await json(moduleRow(page, 2).locator('pre[data-field="output"]')), { greeting: 'HELLO ADA' });
  await moduleRow(page, 1).locator('summary').click();
  assert.deepEqual(await json(moduleRow(page, 1).locator('pre[data-field="output"]')), { name: 'ada' });
  assert.equal(await moduleRow(page, 2).locator('pre[data-field="error"]').count(), 0);
  assert.equal(await detail(page).getByRole('button', { name: /^Retry/ }).isVisible(), false, 'no Retry for a completed run');

  // A reload keeps the scenario chosen.
  await page.reload();
  await runPanel(page).getByRole('heading', { name: 'Greeter', level: 2 }).waitFor();
});

test('a failing module: error with the module in the run panel and the inspector, then Retry creates a new execution', async (t) => {
  const parser = await createScenario(server, 'Parser', PARSER);
  const page = await openPage(t);
  await signIn(page);
  await choose(page, 'Parser');
  await run(page, '{"payload": "{not json"}');

  await resultBadge(page, 'error').waitFor();
  const box = result(page).locator('.run-error-box');
  assert.equal(await box.locator('[data-field="code"]').textContent(), 'EXECUTION_ERROR');
  assert.equal(await box.locator('[data-field="module"]').textContent(), '2 · Parse payload');
  assert.match(await box.locator('[data-field="error"]').textContent(), /Source is not valid JSON/);
  const failed = await resultField(page, 'execution-id').textContent();

  // The inspector: error, the module, and its error.
  await detailBadge(page, 'error').waitFor();
  const detailBox = detail(page).locator('.run-error-box');
  assert.equal(await detailBox.locator('[data-field="module"]').textContent(), '2 · Parse payload');
  assert.match(await detailBox.locator('[data-field="message"]').textContent(), /not valid JSON/);
  await moduleRow(page, 2).waitFor();
  assert.equal(await moduleRows(page).count(), 2, 'the run stopped at the failing module');
  assert.equal(await moduleRow(page, 2).getAttribute('data-status'), 'error');
  assert.equal(await moduleRow(page, 2).locator('.badge').getAttribute('data-status'), 'error');
  await moduleRow(page, 2).locator('summary').click();
  assert.match(await moduleRow(page, 2).locator('pre[data-field="error"]').textContent(), /Source is not valid JSON/);
  assert.deepEqual(await json(moduleRow(page, 2).locator('pre[data-field="input"]')), { json: '{not json' });
  assert.equal(await moduleRow(page, 2).locator('pre[data-field="output"]').textContent(), 'null');

  // Retry: a new execution, linked to the failed one, followed.
  const retry = detail(page).getByRole('button', { name: /^Retry/ });
  await retry.click();
  await execRows(page).nth(1).waitFor();
  assert.equal(await execRows(page).count(), 2);
  await result(page).getByRole('heading', { name: 'Retry' }).waitFor();
  await resultBadge(page, 'error').waitFor();
  const second = await resultField(page, 'execution-id').textContent();
  assert.notEqual(second, failed);
  assert.equal(await execRows(page).first().getAttribute('data-execution-id'), second, 'newest first');
  await detail(page).locator('[data-field="retry-of"]', { hasText: failed.slice(0, 8) }).waitFor();
  await detailBadge(page, 'error').waitFor();
  const { body } = await apiCall(server, 'GET', `/scenarios/${parser.id}/executions/${second}`);
  assert.equal(body.execution.retryOf, failed);
  assert.equal(body.execution.status, 'error');

  // The retried one is still there: choosing it in the list shows it.
  await execRows(page).nth(1).getByRole('button').click();
  await detail(page).getByRole('heading', { name: `Execution ${failed.slice(0, 8)}` }).waitFor();
  assert.equal(await detail(page).locator('[data-field="retry-of"]').count(), 0);
});

test('a long run, not responsive, is followed by polling and stopped from the UI', async (t) => {
  const sleeper = await createScenario(server, 'Sleeper', SLEEPER);
  const page = await openPage(t);
  const polls = countRequests(page, 'GET', /^\/scenarios\/\d+\/executions\/[0-9a-f]{32}$/);
  await signIn(page);
  await choose(page, 'Sleeper');
  await run(page, '{}', { responsive: false });

  await resultBadge(page, 'running').waitFor();
  assert.match(await result(page).locator('.result-note').textContent(), /following the execution/);
  const stop = result(page).getByRole('button', { name: 'Stop' });
  assert.ok(await stop.isVisible(), 'Stop is offered while it runs');
  await page.waitForTimeout(1500);
  assert.ok(polls.count >= 2, `polled about every second (${polls.count})`);
  assert.match(await resultField(page, 'duration').textContent(), /^\d+\.\d s…$/);
  const eid = await resultField(page, 'execution-id').textContent();
  await detailBadge(page, 'running').waitFor();
  await page.mouse.move(0, 0);
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'scenarios-running-desktop.png') });

  const started = Date.now();
  await stop.click();
  await resultBadge(page, 'stopped').waitFor({ timeout: 15_000 });
  assert.ok(Date.now() - started < 15_000);
  assert.equal(await stop.isVisible(), false, 'no Stop once stopped');
  await detailBadge(page, 'stopped').waitFor();
  assert.ok(await detail(page).getByRole('button', { name: /^Retry/ }).isVisible(), 'a stopped run can be retried');
  await execRows(page).first().locator('.badge[data-status="stopped"]').waitFor();
  const { body } = await apiCall(server, 'GET', `/scenarios/${sleeper.id}/executions/${eid}`);
  assert.equal(body.execution.status, 'stopped');

  // Polling ended with the run.
  const seen = polls.count;
  await page.waitForTimeout(2500);
  assert.ok(polls.count - seen <= 1, `no more polling once final (${polls.count - seen} more)`);
});

test('the blueprint and the data are checked in the browser; the API’s message names the module', async (t) => {
  await createScenario(server, 'Echo', ECHO);
  const page = await openPage(t);
  const creates = countRequests(page, 'POST', /^\/scenarios$/);
  const runs = countRequests(page, 'POST', /^\/scenarios\/\d+\/run$/);
  await signIn(page);

  await view(page).getByRole('button', { name: 'New scenario' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New scenario' });
  const blueprint = dialog.getByLabel('Blueprint (JSON)');
  const error = dialog.locator('.form-error');
  await dialog.getByLabel('Name', { exact: true }).fill('Broken');
  await blueprint.fill('{"name": "b", "flow": [');
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await error.filter({ hasText: 'The blueprint is not valid JSON' }).waitFor();
  assert.match(await error.textContent(), /Nothing was sent/);
  assert.equal(await blueprint.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'sf-blueprint');
  await blueprint.fill('[1, 2]');
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await error.filter({ hasText: 'must be a JSON object' }).waitFor();
  await dialog.getByLabel('Max duration').fill('2401');
  await blueprint.fill(JSON.stringify(flow('b', [{ id: 1, module: 'nope:Nothing' }])));
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await error.filter({ hasText: 'Max duration must be' }).waitFor();
  assert.equal(creates.count, 0, 'nothing was sent');

  // The API refuses an unknown module and names it.
  await dialog.getByLabel('Max duration').fill('60');
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await error.filter({ hasText: 'module 1 (nope:Nothing)' }).waitFor();
  assert.match(await error.textContent(), /unknown module type/);
  assert.equal(await blueprint.getAttribute('aria-invalid'), 'true');
  assert.equal(creates.count, 1);
  // An unparsable expression too.
  await blueprint.fill(JSON.stringify(flow('b', [{ id: 4, module: 'util:SetVariable2', mapper: { name: 'x', value: '{{upper(}}' } }])));
  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await error.filter({ hasText: /module 4/ }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await row(page, 'Broken').count(), 0);

  // The run's data must be a JSON object.
  await choose(page, 'Echo');
  const dataError = runPanel(page).locator('.input-error');
  await run(page, '{"n": 1');
  await dataError.filter({ hasText: 'not valid JSON' }).waitFor();
  assert.equal(await dataBox(page).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'sr-data');
  await run(page, '[1]');
  await dataError.filter({ hasText: 'must be a JSON object' }).waitFor();
  await page.waitForTimeout(200);
  assert.equal(runs.count, 0, 'no run was sent');
  await run(page, '{"n": 42}');
  await resultBadge(page, 'completed').waitFor();
  assert.deepEqual(await json(outputs(page)), { n: 42 });
  assert.equal(await dataError.isVisible(), false);
});

test('edit a scenario (name, scheduling, max duration, blueprint) and delete it after confirming', async (t) => {
  const scenario = await createScenario(server, 'Editable', ECHO, { paused: true });
  const page = await openPage(t);
  await signIn(page);
  await choose(page, 'Editable');
  await runPanel(page).getByRole('button', { name: 'Edit Editable' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit “Editable”' });
  assert.deepEqual(JSON.parse(await dialog.getByLabel('Blueprint (JSON)').inputValue()), ECHO);
  assert.equal(await dialog.getByLabel('Team ID').isDisabled(), true);
  await dialog.getByLabel('Name', { exact: true }).fill('Edited');
  await dialog.getByLabel('Scheduling').selectOption('indefinitely');
  await dialog.getByLabel('Interval (seconds)').fill('3600');
  await dialog.getByLabel('Max duration').fill('90');
  const changed = { ...ECHO, flow: [ECHO.flow[0], { ...ECHO.flow[1], mapper: { n: '{{var.input.n * 2}}' } }] };
  await dialog.getByLabel('Blueprint (JSON)').fill(JSON.stringify(changed, null, 2));
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });

  const edited = row(page, 'Edited');
  await edited.waitFor();
  assert.equal(await row(page, 'Editable').count(), 0);
  assert.equal(await edited.locator('[data-field="scheduling"]').textContent(), 'every 1 h');
  assert.equal(await edited.locator('[data-field="max-duration"]').textContent(), 'max duration 1 min 30 s');
  await runPanel(page).getByRole('heading', { name: 'Edited', level: 2 }).waitFor();
  const { body } = await apiCall(server, 'GET', `/scenarios/${scenario.id}`);
  assert.equal(body.scenario.name, 'Edited');
  assert.deepEqual(body.scenario.scheduling, { type: 'indefinitely', interval: 3600 });
  assert.equal(body.scenario.maxDuration, 90);
  assert.equal(body.scenario.isPaused, true, 'editing does not activate it');
  const { body: saved } = await apiCall(server, 'GET', `/scenarios/${scenario.id}/blueprint`);
  assert.deepEqual(saved.response.blueprint, changed);

  // Delete: cancelling keeps it; confirming removes it.
  await runPanel(page).getByRole('button', { name: 'Delete Edited' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete “Edited”?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await row(page, 'Edited').count(), 1);
  await runPanel(page).getByRole('button', { name: 'Delete Edited' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await row(page, 'Edited').waitFor({ state: 'detached' });
  assert.equal((await apiCall(server, 'GET', `/scenarios/${scenario.id}`)).status, 404);
  assert.notEqual(await runPanel(page).locator('.scenario-title').textContent(), 'Edited');
});

test('the executions are paginated and filtered by status', async (t) => {
  const own = await startServer();
  t.after(() => own.stop());
  const echo = await createScenario(own, 'Counter', ECHO);
  const ids = [];
  for (let n = 0; n < 12; n += 1) {
    const { status, body } = await apiCall(own, 'POST', `/scenarios/${echo.id}/run`, { data: { n } });
    assert.equal(status, 202);
    ids.push(body.executionId);
  }
  for (const eid of ids) await waitForExecution(own, echo.id, eid, (e) => e.status === 'completed');

  const page = await openPage(t);
  await signIn(page, { target: own });
  await execRows(page).nth(9).waitFor();
  const pager = inspector(page).locator('.pager');
  assert.equal(await execRows(page).count(), 10);
  assert.equal(await pager.locator('.pager-text').textContent(), '1–10 of 12');
  assert.equal(await execRows(page).first().getAttribute('data-execution-id'), ids[11], 'newest first');
  assert.ok(await pager.getByRole('button', { name: 'Newer executions' }).isDisabled());
  await pager.getByRole('button', { name: 'Older executions' }).click();
  await pager.locator('.pager-text', { hasText: '11–12 of 12' }).waitFor();
  assert.equal(await execRows(page).count(), 2);
  assert.equal(await execRows(page).last().getAttribute('data-execution-id'), ids[0]);
  assert.ok(await pager.getByRole('button', { name: 'Older executions' }).isDisabled());
  await pager.getByRole('button', { name: 'Newer executions' }).click();
  await pager.locator('.pager-text', { hasText: '1–10 of 12' }).waitFor();

  const filter = inspector(page).getByLabel('Show executions with status');
  await filter.selectOption('error');
  await inspector(page).locator('.panel-message', { hasText: 'No executions with status error.' }).waitFor();
  assert.equal(await execRows(page).count(), 0);
  await filter.selectOption('completed');
  await execRows(page).nth(9).waitFor();
  assert.equal(await pager.locator('.pager-text').textContent(), '1–10 of 12');

  // A row opens its execution.
  await execRows(page).nth(3).getByRole('button').click();
  await detailBadge(page, 'completed').waitFor();
  assert.deepEqual(await json(detail(page).locator('pre.exec-outputs')), { n: 8 });
  assert.equal(await execRows(page).nth(3).getByRole('button').getAttribute('aria-current'), 'true');
});

test('names, outputs and module data are text, never HTML', async (t) => {
  const nasty = '<img src=x id=injected>';
  await createScenario(server, nasty, flow('x', [
    { id: 1, module: 'scenario-service:StartSubscenario' },
    { id: 2, module: 'util:SetVariable2', metadata: { designer: { name: '<b id=bold>bold</b>' } }, mapper: { name: 'html', value: '{{var.input.html}}' } },
    { id: 3, module: 'scenario-service:ReturnData', mapper: { html: '{{2.html}}' } },
  ]));
  const page = await openPage(t);
  await signIn(page);
  await choose(page, nasty);
  await run(page, JSON.stringify({ html: '<script id=s>alert(1)</script>' }));
  await resultBadge(page, 'completed').waitFor();
  assert.deepEqual(await json(outputs(page)), { html: '<script id=s>alert(1)</script>' });
  await moduleRow(page, 2).waitFor();
  assert.equal(await moduleRow(page, 2).locator('[data-field="name"]').textContent(), '<b id=bold>bold</b>');
  await moduleRow(page, 2).locator('summary').click();
  assert.match(await moduleRow(page, 2).locator('pre[data-field="output"]').textContent(), /<script id=s>/);
  assert.equal(await page.locator('#injected, #bold, #s').count(), 0, 'no element was created from data');
});

test('the Scenarios view works from the keyboard', async (t) => {
  await createScenario(server, 'Keyboard', ECHO, { paused: true });
  const page = await openPage(t);
  await page.goto(`${server.url}/#/scenarios`);
  await page.keyboard.type(KEY);
  await page.keyboard.press('Enter');
  await row(page, 'Keyboard').waitFor();

  // Choose with Enter, activate with Space.
  await row(page, 'Keyboard').getByRole('button', { name: 'Keyboard', exact: true }).focus();
  await page.keyboard.press('Enter');
  await runPanel(page).getByRole('heading', { name: 'Keyboard', level: 2 }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'switch');
  await page.keyboard.press('Space');
  await row(page, 'Keyboard').locator('.scenario-row[data-state="active"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-checked')), 'true', 'the switch keeps the focus');

  // Ctrl+Enter runs the data.
  await dataBox(page).focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('{"n": 7}');
  await page.keyboard.press('Control+Enter');
  await resultBadge(page, 'completed').waitFor();
  assert.deepEqual(await json(outputs(page)), { n: 7 });

  // A module run opens with Enter.
  await moduleRow(page, 2).locator('summary').focus();
  await page.keyboard.press('Enter');
  await moduleRow(page, 2).locator('pre[data-field="input"]').waitFor();
  assert.deepEqual(await json(moduleRow(page, 2).locator('pre[data-field="input"]')), { n: 7 });

  // The form opens on its first field; Escape closes it.
  await view(page).getByRole('button', { name: 'New scenario' }).first().focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'sf-name');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
});

test('screenshots at desktop and phone sizes; no horizontal scroll on a phone', async (t) => {
  // A server of its own, so the pictures show a tidy, known set of scenarios.
  const own = await startServer();
  t.after(() => own.stop());
  const digest = await createScenario(own, 'Order digest', flow('Order digest', [
    { id: 1, module: 'scenario-service:StartSubscenario' },
    { id: 2, module: 'builtin:BasicFeeder', metadata: { designer: { name: 'Each item' } }, mapper: { array: '{{var.input.items}}' } },
    { id: 3, module: 'util:SetVariable2', metadata: { designer: { name: 'Format line' } }, mapper: { name: 'line', value: '{{2.value.qty}} × {{2.value.name}}' } },
    { id: 4, module: 'builtin:BasicAggregator', metadata: { designer: { name: 'Collect lines' } }, parameters: { feeder: 2 }, mapper: { value: '{{3.line}}' } },
    { id: 5, module: 'scenario-service:ReturnData', mapper: { customer: '{{upper(var.input.customer)}}', lines: '{{4.array}}', count: '{{length(4.array)}}' } },
  ]), { extra: { maxDuration: 300 } });
  await createScenario(own, 'Greeter', flow('Greeter', [
    { id: 1, module: 'scenario-service:StartSubscenario' },
    { id: 2, module: 'util:SetVariable2', metadata: { designer: { name: 'Build greeting' } }, mapper: { name: 'greeting', value: '{{upper("hello " + var.input.name)}}' } },
    { id: 3, module: 'scenario-service:ReturnData', mapper: { greeting: '{{2.greeting}}' } },
  ]));
  const parser = await createScenario(own, 'Payload parser', PARSER, { extra: { maxDuration: 60 } });
  await createScenario(own, 'Nightly sync', flow('Nightly sync', [
    { id: 1, module: 'util:SetVariable2', mapper: { name: 't', value: '{{now}}' } },
  ]), { paused: true, extra: { scheduling: { type: 'indefinitely', interval: 86400 } } });
  await createScenario(own, 'Sleeper', SLEEPER, { paused: true, extra: { maxDuration: 120 } });
  const items = [
    { name: 'green tea', qty: 2 }, { name: 'oat milk', qty: 1 }, { name: 'rye bread', qty: 3 },
  ];
  // Some history: a completed run, a failed one and its retry.
  await apiCall(own, 'POST', `/scenarios/${digest.id}/run`, { data: { customer: 'Grace', items: items.slice(0, 1) }, responsive: true });
  const { body: failed } = await apiCall(own, 'POST', `/scenarios/${parser.id}/run`, { data: { payload: '{oops' }, responsive: true });
  await apiCall(own, 'POST', `/scenarios/${parser.id}/executions/${failed.error.details.executionId}/retry`);

  const page = await openPage(t);
  await signIn(page, { target: own, scenario: digest.id });
  await runPanel(page).getByRole('heading', { name: 'Order digest', level: 2 }).waitFor();
  await run(page, JSON.stringify({ customer: 'Ada', items }, null, 2));
  await resultBadge(page, 'completed').waitFor();
  await moduleRows(page).nth(6).waitFor();
  // The iterator's bundles: module 3 ran once per item.
  assert.deepEqual(
    await moduleRows(page).evaluateAll((rows) => rows.map((r) => `${r.dataset.moduleId}/${r.querySelector('[data-field="bundle"]').textContent}`)),
    ['1/bundle 1', '2/bundle 1', '3/bundle 1', '3/bundle 2', '3/bundle 3', '4/bundle 1', '5/bundle 1']);
  await moduleRow(page, 3).first().locator('summary').click();
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-desktop-top.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-desktop-full.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-desktop-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  // The inspector with its module rows, at the top of the window.
  await inspector(page).evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 72));
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-desktop.png') });
  await assertNoHorizontalOverflow(page, 'on a desktop');

  // The failed run in the inspector.
  await choose(page, 'Payload parser');
  await execRows(page).nth(1).waitFor();
  await execRows(page).nth(1).getByRole('button').click();
  await detailBadge(page, 'error').waitFor();
  await moduleRow(page, 2).locator('summary').click();
  await detail(page).screenshot({ path: path.join(ARTIFACTS, 'scenarios-error-desktop.png') });

  // The form, with its example blueprint.
  await view(page).getByRole('button', { name: 'New scenario' }).first().click();
  await page.getByRole('dialog').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-form-desktop.png') });
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  await page.setViewportSize(PHONE);
  await choose(page, 'Order digest');
  await page.evaluate(() => window.scrollTo(0, 0));
  await assertNoHorizontalOverflow(page, 'on a phone');
  // The chosen tab is in sight even where the tab bar would scroll.
  const tab = await page.getByRole('tab', { name: 'Scenarios' }).boundingBox();
  assert.ok(tab.x >= 0 && tab.x + tab.width <= PHONE.width, `the Scenarios tab is on screen: ${JSON.stringify(tab)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-phone.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-phone-full.png'), fullPage: true });
  await execRows(page).first().getByRole('button').click();
  await moduleRows(page).nth(6).waitFor();
  await moduleRow(page, 5).locator('summary').click();
  await assertNoHorizontalOverflow(page, 'with a module run open');
  // (The sticky top bar would be drawn across a screenshot taller than the window.)
  await page.evaluate(() => { document.querySelector('.topbar').style.position = 'static'; });
  await inspector(page).screenshot({ path: path.join(ARTIFACTS, 'scenarios-inspector-phone.png') });
  await page.evaluate(() => { document.querySelector('.topbar').style.position = ''; });

  // Long words wrap inside their boxes.
  await choose(page, 'Greeter');
  await run(page, JSON.stringify({ name: 'x'.repeat(400) }));
  await resultBadge(page, 'completed').waitFor();
  await moduleRow(page, 2).locator('summary').click();
  await moduleRow(page, 2).locator('pre[data-field="output"]').waitFor();
  await assertNoHorizontalOverflow(page, 'with long outputs');

  await choose(page, 'Sleeper');
  await runPanel(page).getByRole('button', { name: 'Edit Sleeper' }).click();
  await page.getByRole('dialog').waitFor();
  await assertNoHorizontalOverflow(page, 'with the form open');
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenarios-form-phone.png') });
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.setViewportSize(DESKTOP);
});
