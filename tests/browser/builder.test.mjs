// Real-browser tests of the scenario builder: a 6-module scenario with an
// iterator and a router built entirely through the graph and the module
// forms (references inserted by clicking an earlier module's field), its
// JSON view kept in step both ways, then run, and each module's status,
// bundle count and output read from the run's graph; the graph works from
// the keyboard and shows read-only at phone width. Screenshots in
// tests/browser/artifacts/.
//
// Run: (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ARTIFACTS, PHONE, DESKTOP, apiCall, openPage as open, assertNoHorizontalOverflow, sharedServerAndBrowser, signInTo,
} from './helpers.mjs';

const shared = sharedServerAndBrowser({ before, after });
const openPage = (t, options) => open(shared.browser, t, options);

const node = (scope, id) => scope.locator(`.flow-node[data-module-id="${id}"]`);

/** Chooses the module to add in the palette, and adds it after the selected one. */
async function addAfter(dialog, label) {
  await dialog.getByLabel('Module to add').selectOption({ label });
  await dialog.getByRole('button', { name: 'Add after selected' }).click();
}

/** Clicks a module in the graph and waits for its form. */
async function select(dialog, id) {
  await node(dialog, id).click();
  await dialog.locator('.flow-form-title', { hasText: `#${id} ·` }).waitFor();
}

test('a scenario with an iterator and a router is built in the graph, runs, and its graph shows what each module did', async (t) => {
  const page = await openPage(t);
  await signInTo(page, shared.server, 'scenarios', 'Scenarios');
  await page.getByRole('button', { name: 'New scenario' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New scenario' });
  await dialog.getByLabel('Name', { exact: true }).fill('Builder demo');

  // The example's modules 2 and 3 go; Start stays.
  for (const id of [3, 2]) {
    await select(dialog, id);
    await dialog.getByRole('button', { name: 'Delete module' }).click();
    await node(dialog, id).waitFor({ state: 'detached' });
  }

  // 2: an iterator over the run's items.
  await select(dialog, 1);
  await addAfter(dialog, 'Iterator');
  await dialog.locator('.flow-form-title', { hasText: '#2 · Iterator' }).waitFor();
  await dialog.getByLabel('Array').fill('{{var.input.items}}');

  // 3: a router with two routes.
  await addAfter(dialog, 'Router');
  await dialog.locator('.flow-form-title', { hasText: '#3 · Router' }).waitFor();

  // 4, in route 1: big values, kept by a filter; the value by reference.
  await dialog.getByLabel('Module to add').selectOption({ label: 'Set variable' });
  await dialog.getByRole('button', { name: 'Add to route 1' }).click();
  await dialog.locator('.flow-form-title', { hasText: '#4 · Set variable' }).waitFor();
  await dialog.locator('#fb-mapper-name').fill('big');
  await dialog.locator('#fb-mapper-value').click();
  await dialog.getByRole('button', { name: 'Insert 2.value' }).click();
  assert.equal(await dialog.locator('#fb-mapper-value').inputValue(), '{{2.value}}');
  await dialog.getByRole('button', { name: 'Add a condition' }).click();
  await dialog.getByLabel('Condition 1.1: value').click();
  await dialog.getByRole('button', { name: 'Insert 2.value' }).click();
  await dialog.getByLabel('Condition 1.1: operator').selectOption('number:greater');
  await dialog.getByLabel('Condition 1.1: compared with').fill('2');

  // 5, in route 2: JavaScript times ten, for the small values.
  await select(dialog, 3);
  await dialog.getByLabel('Module to add').selectOption({ label: 'JavaScript' });
  await dialog.getByRole('button', { name: 'Add to route 2' }).click();
  await dialog.locator('.flow-form-title', { hasText: '#5 · JavaScript' }).waitFor();
  await dialog.locator('#fb-mapper-code').fill('return input * 10');
  await dialog.locator('#fb-mapper-input').click();
  await dialog.getByRole('button', { name: 'Insert 2.value' }).click();
  await dialog.getByRole('button', { name: 'Add a condition' }).click();
  await dialog.getByLabel('Condition 1.1: value').fill('{{2.value}}');
  await dialog.getByLabel('Condition 1.1: operator').selectOption('number:lessorequal');
  await dialog.getByLabel('Condition 1.1: compared with').fill('2');

  const y = async (id) => (await node(dialog, id).getAttribute('transform')).match(/ (\d+)\)/)[1];

  // 6, after 5: its result, referenced.
  await addAfter(dialog, 'Set variable');
  await dialog.locator('.flow-form-title', { hasText: '#6 · Set variable' }).waitFor();
  await dialog.locator('#fb-mapper-name').fill('small');
  await dialog.locator('#fb-mapper-value').click();
  await dialog.getByRole('button', { name: 'Insert 5.result' }).click();
  // 5 drops a bundle it fails on rather than failing the run.
  await select(dialog, 5);
  await dialog.getByLabel('When this module fails').selectOption('builtin:Ignore');

  // The graph: six modules and 5's error handler, the routes fanning out
  // below one another, the handler under its module.
  assert.equal(await dialog.locator('.flow-node').count(), 7);
  assert.ok(Number(await y(7)) > Number(await y(5)), 'the error handler hangs under its module');
  assert.notEqual(await y(4), await y(5), 'route 2 is drawn below route 1');
  assert.equal(await y(5), await y(6), 'a route runs left to right');
  await dialog.screenshot({ path: path.join(ARTIFACTS, 'builder-desktop.png') });

  // Reordering within a route: 6 before 5, then back.
  const json = dialog.getByLabel('Blueprint (JSON)');
  const route2Ids = async () => JSON.parse(await json.inputValue()).flow[2].routes[1].flow.map((m) => m.id);
  await select(dialog, 6);
  await dialog.getByRole('button', { name: 'Move earlier' }).click();
  assert.deepEqual(await route2Ids(), [6, 5]);
  const x = async (id) => Number((await node(dialog, id).getAttribute('transform')).match(/\((\d+)/)[1]);
  assert.ok(await x(6) < await x(5), 'the graph draws the new order');
  await dialog.getByRole('button', { name: 'Move later' }).click();
  assert.deepEqual(await route2Ids(), [5, 6]);

  // The JSON view says the same, and an edit there reaches the form.
  const written = JSON.parse(await json.inputValue());
  assert.deepEqual(written.flow.map((m) => m.id), [1, 2, 3]);
  assert.equal(written.flow[1].mapper.array, '{{var.input.items}}');
  const [route1, route2] = written.flow[2].routes;
  assert.deepEqual(route1.flow.map((m) => m.id), [4]);
  assert.deepEqual(route1.flow[0].filter.conditions, [[{ a: '{{2.value}}', o: 'number:greater', b: '2' }]]);
  assert.deepEqual(route2.flow.map((m) => m.id), [5, 6]);
  assert.deepEqual(route2.flow[0].onerror, [{ id: 7, module: 'builtin:Ignore' }]);
  assert.equal(route2.flow[1].mapper.value, '{{5.result}}');
  route1.flow[0].mapper.name = 'large';
  await json.fill(JSON.stringify(written, null, 2));
  await select(dialog, 4);
  assert.equal(await dialog.locator('#fb-mapper-name').inputValue(), 'large');
  assert.deepEqual(JSON.parse(await json.inputValue()), written, 'the JSON round-trips through the builder');

  await dialog.getByRole('button', { name: 'Create scenario' }).click();
  await dialog.waitFor({ state: 'detached' });

  // Run it with four items.
  const { body } = await apiCall(shared.server, 'GET', '/scenarios');
  const scenario = body.scenarios.find((s) => s.name === 'Builder demo');
  await apiCall(shared.server, 'POST', `/scenarios/${scenario.id}/start`);
  const ran = await apiCall(shared.server, 'POST', `/scenarios/${scenario.id}/run`, { data: { items: [1, 2, 3, 4] }, responsive: true });
  assert.equal(ran.status, 200, JSON.stringify(ran.body));
  await page.goto(`${shared.server.url}/#/scenarios/${scenario.id}`);
  await page.reload();
  const inspector = page.locator('section.inspector-panel');
  await inspector.locator('li.exec-item').first().locator('.exec-row').click();
  const graph = inspector.locator('.run-flow');
  await node(graph, 6).waitFor();
  const count = async (id) => node(graph, id).locator('[data-field="count"] text').textContent();
  assert.equal(await node(graph, 2).getAttribute('data-status'), 'completed');
  assert.equal(await count(4), '2', 'items 3 and 4 took route 1');
  assert.equal(await count(5), '2', 'items 1 and 2 took route 2');
  assert.equal(await count(6), '2');
  await node(graph, 6).click();
  const output = inspector.locator('[data-field="node-output"]');
  assert.deepEqual(JSON.parse(await output.textContent()), { small: 20 });
  // From the keyboard: the module before it, then Enter.
  await node(graph, 6).focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  assert.deepEqual(JSON.parse(await output.textContent()), { result: 20, stdout: '', stderr: '', exit_code: 0 });
  await inspector.locator('.run-flow').screenshot({ path: path.join(ARTIFACTS, 'builder-run-graph.png') });

  // At phone width the graph shows, read-only.
  await page.setViewportSize(PHONE);
  await assertNoHorizontalOverflow(page, 'on the run graph at phone width');
  await page.screenshot({ path: path.join(ARTIFACTS, 'builder-run-phone.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.getByRole('button', { name: `Edit ${scenario.name}` }).click();
  const edit = page.getByRole('dialog');
  await node(edit, 6).waitFor();
  await page.setViewportSize(PHONE);
  assert.ok(await edit.locator('.flow-form').isHidden(), 'no module form at phone width');
  assert.ok(await edit.locator('.flow-palette').isHidden(), 'no palette at phone width');
  await page.screenshot({ path: path.join(ARTIFACTS, 'builder-phone.png') });
});
