// Make's official TypeScript SDK (@makehq/sdk), unchanged but for the
// protocol and the host, driving a live runbox through Make's API paths
// (`/api/v2/scenarios/...`, `/logs`): every scenarios and executions call
// a Make user makes must succeed and return what the SDK's types say.
//
// Run: (cd tests/make-sdk && npm ci) && node --test tests/make-sdk/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Make, MakeError } from '@makehq/sdk';
import { KEY, startServer } from '../support/server.mjs';

let server;
let make;

before(async () => {
  server = await startServer({ env: { RUNBOX_HTTP_ALLOW: '127.0.0.1', RUNBOX_WEBHOOK_SECRET: 'whsec_' + Buffer.from('make-sdk-test-secret-32-bytes!!!').toString('base64') } });
  make = new Make(KEY, new URL(server.url).host);
  make.protocol = 'http';
});

after(async () => {
  await server?.stop();
});

const GREETER = {
  name: 'Greeter',
  flow: [
    { id: 1, module: 'scenario-service:StartSubscenario' },
    { id: 2, module: 'util:SetVariable2', mapper: { name: 'greeting', value: '{{var.input.greeting}}, {{var.input.who}}{{var.input.mark}}' } },
    { id: 3, module: 'scenario-service:ReturnData', mapper: { text: '{{2.greeting}}' } },
  ],
  // What Make's blueprints carry; the SDK moves it into `metadata`.
  interface: {
    input: [{ name: 'who', type: 'text', required: true }, { name: 'greeting', type: 'text', default: 'Hello' }],
    output: [{ name: 'text', type: 'text' }],
  },
};

/** A local receiver for `callbackUrl`: resolves with the first POST. */
async function callbackReceiver() {
  let deliver;
  const received = new Promise((resolve) => { deliver = resolve; });
  const http = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      res.writeHead(200).end('ok');
      deliver({ headers: req.headers, body: JSON.parse(body) });
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${http.address().port}/done`, received, close: () => http.close() };
}

async function until(what, check) {
  for (let i = 0; i < 200; i += 1) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the scenarios and executions of Make’s SDK work against runbox', async () => {
  // create: a string scheduling and a string blueprint, the interface as metadata.
  const created = await make.scenarios.create(
    { teamId: 7, scheduling: JSON.stringify({ type: 'on-demand' }), blueprint: JSON.stringify(GREETER) },
    { confirmed: true, cols: ['*'] },
  );
  assert.equal(typeof created.id, 'number');
  assert.equal(created.name, 'Greeter');
  assert.equal(created.teamId, 7);
  assert.equal(created.isActive, false);
  assert.deepEqual(created.scheduling, { type: 'on-demand' });
  assert.deepEqual(created.usedPackages, ['scenario-service', 'util']);
  const id = created.id;

  const got = await make.scenarios.get(id, { cols: ['*'] });
  assert.equal(got.id, id);
  assert.equal(typeof got.created, 'string');
  const listed = await make.scenarios.list(7, { cols: ['*'], pg: { limit: 10 } });
  assert.ok(listed.some((s) => s.id === id), JSON.stringify(listed));
  assert.equal((await make.scenarios.list(8)).length, 0, 'another team has none');

  const iface = await make.scenarios.getInterface(id);
  assert.deepEqual(iface.input.map((f) => f.name), ['who', 'greeting']);
  assert.deepEqual(iface.output, [{ name: 'text', type: 'text' }]);
  const changed = await make.scenarios.setInterface(id, {
    interface: {
      input: [...GREETER.interface.input, { name: 'mark', type: 'text', default: '!' }],
      output: GREETER.interface.output,
    },
  });
  assert.deepEqual(changed.input.map((f) => f.name), ['who', 'greeting', 'mark']);
  const blueprint = await make.blueprints.get(id);
  assert.deepEqual(blueprint.flow.map((m) => m.id), [1, 2, 3]);
  assert.deepEqual(blueprint.interface.input.map((f) => f.name), ['who', 'greeting', 'mark']);

  // An inactive scenario does not run; the SDK surfaces the error.
  await assert.rejects(make.scenarios.run(id, { who: 'Ada' }), (err) => err instanceof MakeError && err.statusCode === 400 && /inactive/i.test(err.message));
  assert.equal(await make.scenarios.activate(id), true);

  // Responsive (the SDK's default): the outputs and Make's status number.
  const responsive = await make.scenarios.run(id, { who: 'Ada' });
  assert.match(responsive.executionId, /^[0-9a-f]{32}$/);
  assert.equal(responsive.status, 1);
  assert.deepEqual(responsive.outputs, { text: 'Hello, Ada!' });

  // Async with a callbackUrl: the result is POSTed there, signed.
  const receiver = await callbackReceiver();
  try {
    const queued = await make.scenarios.run(id, { who: 'Bob', greeting: 'Hi' }, { responsive: false, callbackUrl: receiver.url });
    assert.match(queued.executionId, /^[0-9a-f]{32}$/);
    assert.equal(queued.outputs, undefined);
    const delivery = await receiver.received;
    assert.deepEqual(delivery.body, { executionId: queued.executionId, status: 'completed', outputs: { text: 'Hi, Bob!' }, error: null });
    assert.match(delivery.headers['webhook-signature'] || '', /^v1,/, JSON.stringify(delivery.headers));

    // executions: list and get through /logs, getDetail through /executions.
    const logs = await until('two logs', async () => {
      const list = await make.executions.list(id, { pg: { limit: 10 } });
      return list.length === 2 && list.every((l) => l.status === 1) ? list : null;
    });
    assert.deepEqual(new Set(logs.map((l) => l.id)), new Set([responsive.executionId, queued.executionId]));
    for (const log of logs) {
      assert.equal(log.imtId, log.id);
      assert.equal(log.type, 'manual');
      assert.equal(typeof log.duration, 'number');
      assert.equal(typeof log.operations, 'number');
      assert.equal(typeof log.transfer, 'number');
      assert.ok(!Number.isNaN(Date.parse(log.timestamp)), log.timestamp);
    }
    const one = await make.executions.get(id, queued.executionId);
    assert.equal(one.id, queued.executionId);
    assert.equal(one.status, 1);
    const detail = await make.executions.getDetail(id, queued.executionId);
    assert.equal(detail.status, 'SUCCESS');
    assert.deepEqual(detail.outputs, { text: 'Hi, Bob!' });
    assert.equal(detail.error, undefined);
  } finally {
    receiver.close();
  }

  // update: a new name and a string scheduling; the SDK's empty metadata
  // leaves the interface as it was.
  const updated = await make.scenarios.update(id, { name: 'Greeter v2', scheduling: JSON.stringify({ type: 'indefinitely', interval: 3600 }) }, { confirmed: true });
  assert.equal(updated.name, 'Greeter v2');
  assert.deepEqual(updated.scheduling, { type: 'indefinitely', interval: 3600 });
  assert.deepEqual((await make.scenarios.getInterface(id)).input.map((f) => f.name), ['who', 'greeting', 'mark']);

  assert.equal(await make.scenarios.deactivate(id), true);
  assert.equal((await make.scenarios.get(id)).isActive, false);
  await make.scenarios.delete(id);
  await assert.rejects(make.scenarios.get(id), (err) => err instanceof MakeError && err.statusCode === 404);
});

test('a failed run reads as Make says: status 3, getDetail ERROR naming the module', async () => {
  const scenario = await make.scenarios.create({
    teamId: 7,
    scheduling: { type: 'on-demand' },
    blueprint: {
      name: 'Broken',
      flow: [
        { id: 1, module: 'scenario-service:StartSubscenario' },
        { id: 2, module: 'json:ParseJSON', mapper: { json: 'not json' } },
      ],
    },
  });
  await make.scenarios.activate(scenario.id);
  await assert.rejects(make.scenarios.run(scenario.id, {}), (err) => err instanceof MakeError && err.statusCode === 500);
  const [log] = await until('the failed log', async () => {
    const list = await make.executions.list(scenario.id);
    return list.length === 1 && list[0].status !== 0 ? list : null;
  });
  assert.equal(log.status, 3);
  const detail = await make.executions.getDetail(scenario.id, log.id);
  assert.equal(detail.status, 'ERROR');
  assert.equal(typeof detail.error.message, 'string');
  assert.deepEqual(detail.error.causeModule, { name: 'json:ParseJSON', appName: 'json' });
  await make.scenarios.delete(scenario.id);
});

test('a hook made with Make’s SDK starts the scenario bound to it by gateway:CustomWebHook', async () => {
  const hook = await make.hooks.create({
    name: 'Orders',
    teamId: 7,
    typeName: 'gateway-webhook',
    data: { method: true, headers: true, stringify: false },
  });
  assert.equal(typeof hook.id, 'number');
  assert.equal(hook.name, 'Orders');
  assert.equal(hook.teamId, 7);
  assert.equal(hook.typeName, 'gateway-webhook');
  assert.match(hook.url, /^\/hooks\/[A-Za-z0-9_-]{32,}$/);
  assert.equal(hook.udid, hook.url.slice('/hooks/'.length));
  assert.deepEqual((await make.hooks.get(hook.id)).url, hook.url);
  assert.ok((await make.hooks.list(7)).some((h) => h.id === hook.id));
  assert.equal((await make.hooks.list(8)).length, 0, 'another team has none');

  const scenario = await make.scenarios.create({
    teamId: 7,
    scheduling: { type: 'on-demand' },
    blueprint: {
      name: 'On order',
      flow: [
        { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: { hook: hook.id, maxResults: 1 } },
        { id: 2, module: 'gateway:WebhookRespond', version: 1, mapper: { status: 200, body: 'got {{1.item}} x{{1.qty}}' } },
      ],
    },
  });
  assert.equal((await make.hooks.get(hook.id)).scenarioId, scenario.id);
  assert.equal(await make.scenarios.activate(scenario.id), true);

  // The hook's URL takes a request without any key.
  const response = await fetch(new URL(hook.url, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'tea', qty: 2 }),
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'got tea x2');

  const [log] = await until('the hook’s run', async () => {
    const list = await make.executions.list(scenario.id);
    return list.length === 1 && list[0].status === 1 ? list : null;
  });
  assert.equal(log.type, 'auto');
  const detail = await make.executions.getDetail(scenario.id, log.id);
  assert.equal(detail.status, 'SUCCESS');

  await make.scenarios.delete(scenario.id);
  await make.hooks.delete(hook.id);
  await assert.rejects(make.hooks.get(hook.id), (err) => err instanceof MakeError && err.statusCode === 404);
});
