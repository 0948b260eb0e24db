// Real-browser tests of the dashboard's Agents view (`#/agents`): agents
// created, edited and deleted through its form, runs followed live over
// Server-Sent Events (log lines, status badge, result or error log), the
// JSON input checked in the browser, cancel, the recent executions, and
// screenshots at desktop and phone sizes in tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  KEY, ARTIFACTS, DESKTOP, PHONE, startServer, apiCall, launchBrowser, openPage as open,
  assertNoHorizontalOverflow, MAKE_WHEEL,
} from './helpers.mjs';

const DOUBLER = "def run(input): print('got', input['n']); return {'double': input['n'] * 2}";

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

const openPage = (t, options) => open(browser, t, options);

// -------------------------------------------------------------- helpers ----

async function createAgent(target, agent, key = KEY) {
  const { status, body } = await apiCall(target, 'POST', '/agents', agent, key);
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

/** Signs in on `#/agents`; the Agents view opens directly. */
async function signIn(page, { key = KEY, target = server } = {}) {
  await page.goto(`${target.url}/#/agents`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
}

const view = (page) => page.locator('#view-agents');
const card = (page, name) =>
  view(page).locator('article.agent-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
const runPanel = (page) => view(page).locator('section.agent-run-panel');
const execBadge = (page, status) => runPanel(page).locator(`.run-badge .badge[data-status="${status}"]`);
const log = (page) => runPanel(page).locator('pre.agent-log');
const result = (page) => runPanel(page).locator('pre.agent-result');
const errorLog = (page) => runPanel(page).locator('pre.agent-error');
const inputBox = (page) => runPanel(page).getByLabel('Input (JSON object)');
const history = (page) => view(page).locator('section.agent-history-panel');

/** Fills the agent form: labels → values (Runtime is a select). */
async function fillForm(page, fields) {
  const dialog = page.getByRole('dialog');
  for (const [label, value] of Object.entries(fields)) {
    const control = dialog.getByLabel(label, { exact: true });
    if (label === 'Runtime') await control.selectOption(value);
    else await control.fill(String(value));
  }
  return dialog;
}

async function createInForm(page, fields) {
  await view(page).getByRole('button', { name: 'New agent' }).first().click();
  const dialog = await fillForm(page, fields);
  await dialog.getByRole('button', { name: 'Create agent' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card(page, fields.Name).waitFor();
}

/** Opens the run panel of `name`, types the input, runs. */
async function run(page, name, input, { priority } = {}) {
  await card(page, name).getByRole('button', { name: 'Run', exact: true }).click();
  await runPanel(page).locator('.run-subject', { hasText: name }).waitFor();
  await inputBox(page).fill(input);
  await runPanel(page).getByLabel('Priority').fill(priority === undefined ? '' : String(priority));
  await runPanel(page).getByRole('button', { name: 'Run agent' }).click();
}

/** Records every status the run badge shows, in order, in window.__statuses. */
async function recordStatuses(page) {
  await page.evaluate(() => {
    window.__statuses = [];
    const target = document.querySelector('section.agent-run-panel .run-badge');
    const note = () => {
      const status = target.querySelector('.badge')?.dataset.status;
      if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
    };
    window.__statusObserver?.disconnect();
    window.__statusObserver = new MutationObserver(note);
    window.__statusObserver.observe(target, { childList: true, subtree: true });
  });
}

/** Counts the page's requests to POST /executions/run. */
function countRuns(page) {
  const counter = { count: 0 };
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/executions/run') counter.count += 1;
  });
  return counter;
}

// ---------------------------------------------------------------- tests ----

test('agents.js is served with the same strict headers', async () => {
  const response = await fetch(`${server.url}/assets/agents.js`);
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('content-type').startsWith('text/javascript'));
  assert.doesNotMatch(response.headers.get('content-security-policy') || '', /unsafe-inline|unsafe-eval/);
  const source = await response.text();
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'text only, never HTML');
});

test('the Agents tab sits next to Buttons and has its own route', async (t) => {
  const page = await openPage(t);
  await page.goto(`${server.url}/`);
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
  const tabs = await page.getByRole('tab').allTextContents();
  assert.deepEqual(tabs.slice(0, 2), ['Buttons', 'Agents']);

  await page.getByRole('tab', { name: 'Agents' }).click();
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/agents');
  assert.equal(await page.getByRole('tab', { name: 'Agents' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.title(), 'Agents · runbox');

  // Arrow keys move between tabs; a reload keeps the route.
  await page.getByRole('tab', { name: 'Agents' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('heading', { name: 'Buttons', level: 1 }).waitFor();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
});

test('create a python agent, run it live: log line, COMPLETED and the result', async (t) => {
  const page = await openPage(t);
  await signIn(page);

  // A new agent's form starts with a small python example.
  await view(page).getByRole('button', { name: 'New agent' }).first().click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.getByLabel('Runtime').inputValue(), 'python');
  assert.match(await dialog.getByLabel('Code', { exact: true }).inputValue(), /^def run\(input\):/);
  assert.ok(!(await dialog.getByLabel('Command', { exact: true }).isVisible()), 'no command for python');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });

  await createInForm(page, {
    Name: 'Doubler',
    Description: 'Doubles n and says what it got',
    Priority: 60,
    'Timeout (seconds)': 30,
    Code: DOUBLER,
  });
  const doubler = card(page, 'Doubler');
  assert.equal(await doubler.locator('.card-desc').textContent(), 'Doubles n and says what it got');
  assert.equal(await doubler.locator('[data-field="runtime"]').textContent(), 'python');
  assert.equal(await doubler.locator('[data-field="priority"]').textContent(), 'priority 60');
  assert.equal(await doubler.locator('[data-field="timeout"]').textContent(), 'timeout 30 s');

  await doubler.getByRole('button', { name: 'Run', exact: true }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ar-input', 'Run focuses the input');
  await recordStatuses(page);
  await inputBox(page).fill('{"n": 21}');
  await runPanel(page).getByRole('button', { name: 'Run agent' }).click();

  await log(page).filter({ hasText: 'got 21' }).waitFor();
  await execBadge(page, 'COMPLETED').waitFor();
  assert.equal(await execBadge(page, 'COMPLETED').textContent(), 'COMPLETED');
  assert.equal(await log(page).textContent(), 'got 21\n');
  assert.match(await result(page).textContent(), /"double": 42/);
  assert.deepEqual(JSON.parse(await result(page).textContent()), { double: 42 });
  assert.ok(!(await errorLog(page).isVisible()), 'no error log');
  assert.ok(!(await runPanel(page).getByRole('button', { name: 'Cancel' }).isVisible()), 'no Cancel once finished');
  assert.equal(await runPanel(page).locator('dd[data-field="priority"]').textContent(), '60');
  assert.match(await runPanel(page).locator('dd[data-field="duration"]').textContent(), /^\d+(\.\d+)? (ms|s)$/);

  const statuses = await page.evaluate(() => window.__statuses);
  assert.equal(statuses.at(-1), 'COMPLETED', JSON.stringify(statuses));
  const order = ['PENDING', 'RUNNING', 'COMPLETED'];
  assert.ok(statuses.every((s, i) => order.includes(s) && (i === 0 || order.indexOf(s) > order.indexOf(statuses[i - 1]))),
    `the badge went forward through PENDING → RUNNING → COMPLETED: ${JSON.stringify(statuses)}`);

  // The card shows the last execution; the recent executions list it.
  await doubler.locator('.card-last .badge[data-status="COMPLETED"]').waitFor();
  const row = history(page).locator('.history-item[data-status="COMPLETED"]').filter({ hasText: 'Doubler' }).first();
  await row.waitFor();
  assert.equal(await row.locator('.history-priority').textContent(), 'priority P60');
  await row.locator('summary').click();
  const blocks = row.locator('pre.json-block');
  assert.deepEqual(JSON.parse(await blocks.nth(0).textContent()), { n: 21 });
  assert.deepEqual(JSON.parse(await blocks.nth(1).textContent()), { double: 42 });

  // A priority override is used for that execution only.
  await run(page, 'Doubler', '{"n": 5}', { priority: 95 });
  await execBadge(page, 'COMPLETED').waitFor();
  await result(page).filter({ hasText: '"double": 10' }).waitFor();
  assert.equal(await runPanel(page).locator('dd[data-field="priority"]').textContent(), '95');
  await history(page).locator('.history-item .history-priority', { hasText: 'P95' }).waitFor();

  // The history filter shows one agent's executions.
  await createAgent(server, { name: 'Other', runtime: 'command', command: 'cat' });
  await page.getByRole('tab', { name: 'Buttons' }).click();
  await page.getByRole('tab', { name: 'Agents' }).click();
  await card(page, 'Other').waitFor();
  await run(page, 'Other', '{}');
  await execBadge(page, 'COMPLETED').waitFor();
  await history(page).locator('.history-item').filter({ hasText: 'Other' }).first().waitFor();
  await history(page).getByLabel('Show executions of').selectOption({ label: 'Doubler' });
  await history(page).locator('.history-item').filter({ hasText: 'Other' }).first().waitFor({ state: 'detached' });
  assert.equal(await history(page).locator('.history-item').count(), 2);
});

test('invalid JSON input is refused in the browser and nothing is sent', async (t) => {
  await createAgent(server, { name: 'Picky', runtime: 'python', code: DOUBLER });
  const page = await openPage(t);
  const runs = countRuns(page);
  await signIn(page);
  await card(page, 'Picky').getByRole('button', { name: 'Run', exact: true }).click();
  const error = runPanel(page).locator('.input-error');
  const submit = runPanel(page).getByRole('button', { name: 'Run agent' });

  await inputBox(page).fill('{"n": 21');
  await submit.click();
  await error.waitFor();
  assert.match(await error.textContent(), /not valid JSON/);
  assert.match(await error.textContent(), /Nothing was sent/);
  assert.equal(await inputBox(page).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ar-input', 'focus goes back to the input');

  await inputBox(page).fill('[1, 2]');
  await submit.click();
  await error.filter({ hasText: 'must be a JSON object' }).waitFor();
  await inputBox(page).fill('"text"');
  await submit.click();
  await error.filter({ hasText: 'not a string' }).waitFor();

  await inputBox(page).fill('{"n": 1}');
  assert.ok(!(await error.isVisible()), 'typing clears the message');
  await runPanel(page).getByLabel('Priority').fill('101');
  await submit.click();
  await error.filter({ hasText: 'Priority must be' }).waitFor();

  await page.waitForTimeout(300);
  assert.equal(runs.count, 0, 'no request was sent');
  assert.ok(!(await runPanel(page).locator('.agent-exec').isVisible()), 'no execution shown');

  // Fixed, it runs.
  await runPanel(page).getByLabel('Priority').fill('');
  await submit.click();
  await execBadge(page, 'COMPLETED').waitFor();
  assert.equal(runs.count, 1);
});

test('a command agent reads its input on stdin: cat echoes it', async (t) => {
  const page = await openPage(t);
  await signIn(page);
  await view(page).getByRole('button', { name: 'New agent' }).first().click();
  const dialog = await fillForm(page, { Name: 'Echo', Runtime: 'command' });
  assert.ok(!(await dialog.getByLabel('Code', { exact: true }).isVisible()), 'no code for a command');
  await fillForm(page, { Command: 'cat' });
  await dialog.getByRole('button', { name: 'Create agent' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card(page, 'Echo').waitFor();
  assert.equal(await card(page, 'Echo').locator('[data-field="runtime"]').textContent(), 'command');
  assert.equal(await card(page, 'Echo').locator('.card-command code').textContent(), 'cat');

  const input = { hello: 'world', list: [1, 2, 3], nested: { ok: true } };
  await run(page, 'Echo', JSON.stringify(input, null, 2));
  await execBadge(page, 'COMPLETED').waitFor();
  assert.deepEqual(JSON.parse(await result(page).textContent()), input);
  assert.deepEqual(JSON.parse(await log(page).textContent()), input, 'its stdout is the log');
});

test('a failing agent shows FAILED and its error log', async (t) => {
  await createAgent(server, { name: 'Grumpy', runtime: 'python', code: "def run(input):\n    raise ValueError('nope')\n" });
  const page = await openPage(t);
  await signIn(page);
  await run(page, 'Grumpy', '{}');
  await execBadge(page, 'FAILED').waitFor();
  assert.equal(await execBadge(page, 'FAILED').textContent(), 'FAILED');
  const text = await errorLog(page).textContent();
  assert.match(text, /ValueError: nope/);
  assert.match(text, /Traceback/);
  assert.ok(!(await result(page).isVisible()), 'no result');
  const row = history(page).locator('.history-item[data-status="FAILED"]').filter({ hasText: 'Grumpy' }).first();
  await row.locator('summary').click();
  await row.locator('pre.error-log', { hasText: 'ValueError: nope' }).waitFor();
});

test('a long-running agent is canceled from the UI', async (t) => {
  await createAgent(server, { name: 'Sleeper', runtime: 'command', command: 'echo dozing; sleep 30', timeout: 120 });
  const page = await openPage(t);
  await signIn(page);
  await recordStatuses(page);
  await run(page, 'Sleeper', '{}');
  await execBadge(page, 'RUNNING').waitFor();
  await log(page).filter({ hasText: 'dozing' }).waitFor();
  const cancel = runPanel(page).getByRole('button', { name: 'Cancel' });
  assert.ok(await cancel.isVisible(), 'Cancel is offered while running');
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'agents-running-desktop.png') });
  const started = Date.now();
  await cancel.click();
  await execBadge(page, 'CANCELED').waitFor({ timeout: 15_000 });
  assert.ok(Date.now() - started < 15_000);
  assert.ok(!(await cancel.isVisible()), 'no Cancel once canceled');
  const statuses = await page.evaluate(() => window.__statuses);
  assert.equal(statuses.at(-1), 'CANCELED', JSON.stringify(statuses));
  assert.ok(!statuses.includes('COMPLETED') && !statuses.includes('FAILED'), JSON.stringify(statuses));
  const { body } = await apiCall(server, 'GET', `/executions/${await runPanel(page).locator('dd[data-field="execution-id"]').textContent()}`);
  assert.equal(body.status, 'CANCELED');
  await history(page).locator('.history-item[data-status="CANCELED"]').filter({ hasText: 'Sleeper' }).first().waitFor();
});

test('a pending execution is canceled at once', async (t) => {
  // One execution at a time for this user: the second one waits.
  const own = await startServer({ env: { RUNBOX_MAX_CONCURRENT_PER_USER: '1' } });
  t.after(() => own.stop());
  const blocker = await createAgent(own, { name: 'Blocker', runtime: 'command', command: 'sleep 30' });
  await createAgent(own, { name: 'Queued', runtime: 'command', command: 'cat' });
  const { body: first } = await apiCall(own, 'POST', '/executions/run', { agent_id: blocker.agent_id });
  const page = await openPage(t);
  await signIn(page, { target: own });
  await run(page, 'Queued', '{"x": 1}');
  await execBadge(page, 'PENDING').waitFor();
  assert.equal(await log(page).getAttribute('data-placeholder'), 'Queued, waiting for a worker…');
  await runPanel(page).getByRole('button', { name: 'Cancel' }).click();
  await execBadge(page, 'CANCELED').waitFor();
  await apiCall(own, 'POST', `/executions/${first.execution_id}/cancel`);
});

test('edit and delete an agent; the API’s refusals show in the form', async (t) => {
  const agent = await createAgent(server, { name: 'Mutable', description: 'Before', runtime: 'python', code: DOUBLER, priority: 10, timeout: 5 });
  const page = await openPage(t);
  await signIn(page);
  await card(page, 'Mutable').getByRole('button', { name: 'Edit Mutable' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit “Mutable”' });
  assert.equal(await dialog.getByLabel('Code', { exact: true }).inputValue(), DOUBLER);
  assert.equal(await dialog.getByLabel('Priority').inputValue(), '10');
  assert.equal(await dialog.getByLabel('Timeout (seconds)').inputValue(), '5');

  // Checked in the browser first, then by the API (its `detail` shows).
  await fillForm(page, { Priority: 101 });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('.form-error', { hasText: 'Priority must be' }).waitFor();
  await fillForm(page, { Priority: 80, 'Timeout (seconds)': 3601 });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('.form-error', { hasText: 'Timeout must be' }).waitFor();
  await fillForm(page, { 'Timeout (seconds)': 45, Runtime: 'command', Command: 'reboot' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('.form-error', { hasText: /invalid command/i }).waitFor();
  assert.equal(await dialog.getByLabel('Command', { exact: true }).getAttribute('aria-invalid'), 'true');

  await fillForm(page, { Runtime: 'python', Name: 'Mutated', Description: 'After' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card(page, 'Mutated').waitFor();
  assert.equal(await card(page, 'Mutable').count(), 0);
  assert.equal(await card(page, 'Mutated').locator('.card-desc').textContent(), 'After');
  assert.equal(await card(page, 'Mutated').locator('[data-field="priority"]').textContent(), 'priority 80');
  const { body: saved } = await apiCall(server, 'GET', `/agents/${agent.agent_id}`);
  assert.equal(saved.name, 'Mutated');
  assert.equal(saved.runtime, 'python');
  assert.equal(saved.code, DOUBLER);
  assert.equal(saved.timeout, 45);

  // Delete, after confirming (cancelling keeps it).
  await card(page, 'Mutated').getByRole('button', { name: 'Delete Mutated' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete “Mutated”?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await card(page, 'Mutated').count(), 1);
  await card(page, 'Mutated').getByRole('button', { name: 'Delete Mutated' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await card(page, 'Mutated').waitFor({ state: 'detached' });
  assert.equal((await apiCall(server, 'GET', `/agents/${agent.agent_id}`)).status, 404);
});

test('only the owner or an admin may change an agent: the refusal shows in the form', async (t) => {
  const { status, body: user } = await apiCall(server, 'POST', '/admin/api-keys', { user: 'bob', admin: false });
  assert.equal(status, 201, JSON.stringify(user));
  await createAgent(server, { name: 'Admin’s agent', runtime: 'command', command: 'cat' });
  const page = await openPage(t);
  await signIn(page, { key: user.key });
  await card(page, 'Admin’s agent').getByRole('button', { name: 'Edit Admin’s agent' }).click();
  const dialog = page.getByRole('dialog');
  await fillForm(page, { Description: 'bob was here' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('.form-error', { hasText: 'only the owner or an admin' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // But bob may run it, and sees only his own executions.
  await run(page, 'Admin’s agent', '{"from": "bob"}');
  await execBadge(page, 'COMPLETED').waitFor();
  await history(page).locator('.history-item').first().waitFor();
  assert.equal(await history(page).locator('.history-item').count(), 1);
});

test('names, logs and results are text, never HTML', async (t) => {
  const nasty = '<img src=x id=injected>';
  await createAgent(server, {
    name: nasty,
    description: '<b id=bold>not bold</b>',
    runtime: 'python',
    code: `def run(input):\n    print('${nasty}')\n    return {'html': input['html']}\n`,
  });
  const page = await openPage(t);
  await signIn(page);
  await run(page, nasty, JSON.stringify({ html: '<script id=s>alert(1)</script>' }));
  await execBadge(page, 'COMPLETED').waitFor();
  assert.equal(await log(page).textContent(), `${nasty}\n`);
  assert.match(await result(page).textContent(), /<script id=s>alert\(1\)<\/script>/);
  assert.equal(await card(page, nasty).locator('.card-desc').textContent(), '<b id=bold>not bold</b>');
  assert.equal(await page.locator('#injected, #bold, #s').count(), 0, 'no element was created from data');
});

test('the Agents view works from the keyboard', async (t) => {
  await createAgent(server, { name: 'Keys', runtime: 'python', code: "def run(input):\n    return {'typed': input.get('k')}\n" });
  const page = await openPage(t);
  await page.goto(`${server.url}/#/agents`);
  await page.keyboard.type(KEY);
  await page.keyboard.press('Enter');
  await card(page, 'Keys').waitFor();

  await card(page, 'Keys').getByRole('button', { name: 'Run', exact: true }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ar-input');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('{"k": "board"}');
  await page.keyboard.press('Control+Enter');
  await execBadge(page, 'COMPLETED').waitFor();
  assert.deepEqual(JSON.parse(await result(page).textContent()), { typed: 'board' });

  // The form opens on its first field, Escape closes it.
  await view(page).getByRole('button', { name: 'New agent' }).first().focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'af-name');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
});

test('screenshots at desktop and phone sizes; no horizontal scroll on a phone', async (t) => {
  // A server of its own, so the pictures show a tidy, known set of agents.
  const own = await startServer();
  t.after(() => own.stop());
  await createAgent(own, {
    name: 'Doubler', description: 'Doubles n and says what it got.', runtime: 'python', code: DOUBLER, priority: 60, timeout: 30,
  });
  await createAgent(own, {
    name: 'Summarizer',
    description: 'Counts the words of a text and picks the longest ones.',
    runtime: 'python',
    code: [
      'import re, time',
      '',
      'def run(input):',
      "    words = re.findall(r\"[\\w']+\", input.get('text', ''))",
      "    print('read', len(words), 'words')",
      '    time.sleep(0.2)',
      "    longest = sorted(set(words), key=len, reverse=True)[:3]",
      "    print('longest:', ', '.join(longest))",
      "    return {'words': len(words), 'longest': longest}",
      '',
    ].join('\n'),
    priority: 80,
    timeout: 60,
  });
  await createAgent(own, { name: 'JSON echo', description: 'Returns its input as it is.', runtime: 'command', command: 'cat', priority: 50, timeout: 10 });
  await createAgent(own, {
    name: 'Validator', description: 'Refuses an input without an email.', runtime: 'python',
    code: "def run(input):\n    if 'email' not in input:\n        raise ValueError('email is required')\n    return {'ok': True}\n",
    priority: 40, timeout: 10,
  });
  await createAgent(own, { name: 'Nightly report', description: 'A long job, canceled here.', runtime: 'command', command: 'echo building report; sleep 30', priority: 20, timeout: 600 });
  await createAgent(own, { name: 'Weather', description: 'The seed’s example agent.', runtime: 'python', code: "def run(input):\n    print('thinking about', input.get('question'))\n    return {'answer': 'Today is sunny with 25C', 'confidence': 0.95}\n", timeout: 20 });

  const page = await openPage(t);
  await signIn(page, { target: own });
  await run(page, 'Nightly report', '{}');
  await execBadge(page, 'RUNNING').waitFor();
  await runPanel(page).getByRole('button', { name: 'Cancel' }).click();
  await execBadge(page, 'CANCELED').waitFor();
  await run(page, 'Validator', '{"name": "Ada"}');
  await execBadge(page, 'FAILED').waitFor();
  await run(page, 'JSON echo', '{"hello": "world"}');
  await execBadge(page, 'COMPLETED').waitFor();
  await run(page, 'Doubler', '{"n": 21}');
  await execBadge(page, 'COMPLETED').waitFor();
  await run(page, 'Summarizer', JSON.stringify({ text: 'runbox runs agents in a sandbox, queued by priority, and streams their output' }, null, 2));
  await execBadge(page, 'COMPLETED').waitFor();
  await history(page).locator('.history-item').nth(4).waitFor();
  await history(page).locator('.history-item').first().locator('summary').click();
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-desktop.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-desktop-full.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-desktop-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });

  await page.setViewportSize(PHONE);
  await page.evaluate(() => window.scrollTo(0, 0));
  await assertNoHorizontalOverflow(page, 'on a phone');
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-phone.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-phone-full.png'), fullPage: true });

  await run(page, 'Validator', '{"name": "Ada"}');
  await execBadge(page, 'FAILED').waitFor();
  await assertNoHorizontalOverflow(page, 'after a failed run');
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'agents-run-phone.png') });
  await history(page).screenshot({ path: path.join(ARTIFACTS, 'agents-history-phone.png') });

  await card(page, 'Summarizer').getByRole('button', { name: 'Edit Summarizer' }).click();
  await page.getByRole('dialog').waitFor();
  await assertNoHorizontalOverflow(page, 'with the form open');
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-form-phone.png') });
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.setViewportSize(DESKTOP);
});

test('network in the form and on the card; the last run’s packages on the agent’s panel', async (t) => {
  // A wheel of its own, served from a find-links directory: no index, no internet.
  const wheels = mkdtempSync(path.join(tmpdir(), 'runbox-browser-wheels-'));
  chmodSync(wheels, 0o755); // the installer runs as an unprivileged user
  t.after(() => rmSync(wheels, { recursive: true, force: true }));
  const spec = { name: 'greetpkg', version: '1.2.0', requires: [], source: "def hello(who):\n    return 'hello ' + who\n", dir: wheels };
  execFileSync('python3', [MAKE_WHEEL, JSON.stringify(spec)]);
  const env = { RUNBOX_PACKAGES_FIND_LINKS: wheels, RUNBOX_PACKAGES_NO_INDEX: 'true', RUNBOX_NETWORK_ALLOW: 'api.example.com, *.example.org:8443' };
  if (process.env.RUNBOX_TEST_UV) env.RUNBOX_PACKAGES_UV = process.env.RUNBOX_TEST_UV;
  const own = await startServer({ env });
  t.after(() => own.stop());
  const code = [
    '# /// script',
    '# dependencies = ["greetpkg>=1"]',
    '# ///',
    'import greetpkg',
    '',
    'def run(input):',
    "    return {'greeting': greetpkg.hello(input['who'])}",
    '',
  ].join('\n');
  const agent = await createAgent(own, { name: 'Greeter', description: 'Uses a package.', runtime: 'python', code, timeout: 120 });
  // Run before the page opens: the panel must find the last run itself.
  const { status, body } = await apiCall(own, 'POST', '/executions/run', { agent_id: agent.agent_id, input: { who: 'Ada' } });
  assert.equal(status, 202, JSON.stringify(body));
  for (let i = 0; ; i += 1) {
    const { body: execution } = await apiCall(own, 'GET', `/executions/${body.execution_id}`);
    if (execution.status === 'COMPLETED') break;
    assert.ok(!['FAILED', 'CANCELED'].includes(execution.status) && i < 600, JSON.stringify(execution));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const page = await openPage(t);
  await signIn(page, { target: own });
  await card(page, 'Greeter').getByRole('button', { name: 'Run', exact: true }).click();
  await execBadge(page, 'COMPLETED').waitFor();
  await runPanel(page).locator('[data-field="package"]', { hasText: 'greetpkg==1.2.0' }).waitFor();
  await result(page).filter({ hasText: 'hello Ada' }).waitFor();
  await page.mouse.move(0, 0);
  await runPanel(page).screenshot({ path: path.join(ARTIFACTS, 'agents-packages-panel.png') });

  // The network field: refused outside the operator's list, saved inside it.
  await card(page, 'Greeter').getByRole('button', { name: 'Edit Greeter' }).click();
  let dialog = await fillForm(page, { Network: 'api.elsewhere.com' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.locator('.form-error', { hasText: /network/i }).waitFor();
  assert.equal(await dialog.getByLabel('Network', { exact: true }).getAttribute('aria-invalid'), 'true');
  await fillForm(page, { Network: 'api.example.com\nhooks.example.org:8443' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'detached' });
  const chip = card(page, 'Greeter').locator('[data-field="network"]');
  await chip.filter({ hasText: '2 destinations' }).waitFor();
  assert.equal(await chip.getAttribute('title'), 'Network: api.example.com, hooks.example.org:8443');
  const { body: saved } = await apiCall(own, 'GET', `/agents/${agent.agent_id}`);
  assert.deepEqual(saved.network, ['api.example.com', 'hooks.example.org:8443']);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'agents-packages-desktop.png') });

  await card(page, 'Greeter').getByRole('button', { name: 'Edit Greeter' }).click();
  dialog = page.getByRole('dialog');
  assert.equal(await dialog.getByLabel('Network', { exact: true }).inputValue(), 'api.example.com\nhooks.example.org:8443');
  await dialog.screenshot({ path: path.join(ARTIFACTS, 'agents-form-network.png') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
});
