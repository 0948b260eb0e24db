// Starting the real runbox server for the JavaScript tests (the browser
// tests and the tests of Make's own SDK): a throw-away data directory, an
// ephemeral port, the admin key KEY, and calls to its API.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const BIN = path.resolve(REPO, process.env.RUNBOX_BIN || 'target/debug/runbox');
export const KEY = 'browser-test-admin-key-0123456789';

// ------------------------------------------------------------- server ----

/** Process groups of the servers started here and not yet stopped. */
const running = new Set();

function killGroup(pid) {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* the group is gone already */ }
}

// Should a test file end without stopping its servers (a crash, a timeout),
// they do not outlive it.
process.on('exit', () => { for (const pid of running) killGroup(pid); });

/**
 * Starts `runbox serve` on a free port with a throw-away data directory
 * and the admin key KEY; resolves once it prints its address. `env` adds
 * variables (RUNBOX_* from the caller's environment are not passed on).
 */
export async function startServer({ env: extra = {} } = {}) {
  if (!existsSync(BIN)) throw new Error(`runbox binary not found at ${BIN} (build it, or set RUNBOX_BIN)`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'runbox-browser-data-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RUNBOX_')));
  env.RUNBOX_API_KEY = KEY;
  env.RUST_LOG = env.RUST_LOG || 'warn';
  Object.assign(env, extra);
  // Its own process group, so that stop() can also end whatever the server
  // leaves behind (see `stop`).
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  running.add(child.pid);
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runbox did not start in 30 s:\n${log}`)), 30_000);
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.length > 200_000) log = log.slice(-100_000);
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`runbox exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
  return {
    url,
    log: () => log,
    /**
     * SIGTERM, then once it has exited, SIGKILL to anything still in its
     * process group: the pre-started ("warm") Python sandboxes may outlive
     * the server, holding its stderr open (and this process with it).
     */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      killGroup(child.pid);
      running.delete(child.pid);
      child.stderr.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A call to the API from the test itself (for setting up and checking). */
export async function apiCall(server, method, route, body, key = KEY) {
  const response = await fetch(server.url + route, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: response.status, body: parsed };
}

