// runbox's JavaScript runner (Node.js, CommonJS).
//
// Runs /runbox/code.js as the body of an async function, so a top-level
// `return VALUE` sets the result and `await` works; `require` gives Node's
// built-in modules. Modes (argv[2]): `script` (plain code), `input` (the
// code sees `input`, read from /runbox/input.json), `agent` (the code
// defines `run(input)`, async or not, whose value is the result). The
// outcome — `{result, error}` — goes as one JSON document to its own
// channel, fd 3, never mixed with the program's stdout. An uncaught error
// prints its stack on stderr and exits 1, `error` being its first line
// (`TypeError: x is not a function`).
'use strict';

const fs = require('fs');

const RESULT_FD = 3;
const mode = process.argv[2] || 'script';
let reported = false;

function report(result, error) {
  if (reported) return;
  reported = true;
  let text;
  try {
    text = JSON.stringify({ result: result === undefined ? null : result, error });
  } catch {
    // A value JSON cannot encode (a BigInt, a cycle) is shown as text.
    text = JSON.stringify({ result: describe(result), error });
  }
  try { fs.writeSync(RESULT_FD, text); } catch { /* the channel is gone: the run is over */ }
}

function describe(value) {
  try { return require('util').inspect(value, { depth: 4 }); } catch { return String(value); }
}

function firstLine(error) {
  if (error instanceof Error) {
    const head = `${error.name || 'Error'}: ${error.message}`;
    return head.split('\n')[0];
  }
  return `Uncaught ${describe(error)}`.split('\n')[0];
}

// The code's own body starts on the third line of the function Node builds.
const BODY_LINE_OFFSET = 2;

/**
 * The error as `node` would print it for the user's file: its message,
 * then only the frames in the code (as code.js:LINE:COLUMN), not the
 * runner's nor Node's own.
 */
function userStack(error) {
  if (!(error instanceof Error) || !error.stack) return `Uncaught ${describe(error)}`;
  const lines = error.stack.split('\n');
  let first = lines.findIndex((line) => /^\s+at /.test(line));
  if (first === -1) first = lines.length;
  const frames = lines.slice(first).flatMap((line) => {
    const at = /<anonymous>:(\d+):(\d+)\)?$/.exec(line);
    if (!at || !line.includes('/runbox/runner.js')) return [];
    const name = /^\s+at (\S+) \(eval at/.exec(line);
    const where = `code.js:${Number(at[1]) - BODY_LINE_OFFSET}:${at[2]}`;
    return [name && name[1] !== 'eval' ? `    at ${name[1]} (${where})` : `    at ${where}`];
  });
  return [...lines.slice(0, first), ...frames].join('\n');
}

function fail(error) {
  process.stderr.write(`${userStack(error)}\n`);
  report(null, firstLine(error));
  process.exitCode = 1;
}

process.on('uncaughtException', (error) => { fail(error); process.exit(1); });
process.on('unhandledRejection', (error) => { fail(error); process.exit(1); });

// process.exit(n) from the code ends the run with that code and no result.
const exit = process.exit.bind(process);
process.exit = (code) => {
  if (!reported) report(null, code ? `Process exited with code ${code}` : null);
  exit(code);
};

async function main() {
  const code = fs.readFileSync('/runbox/code.js', 'utf8');
  const input = mode === 'script' ? null : JSON.parse(fs.readFileSync('/runbox/input.json', 'utf8'));
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const body = mode === 'agent'
    ? `${code}\n;if (typeof run !== 'function') throw new TypeError('the agent code must define run(input)');\nreturn await run(input);`
    : code;
  let fn;
  try {
    fn = new AsyncFunction('input', 'require', 'module', 'exports', '__filename', '__dirname', body);
  } catch (error) {
    fail(error);
    return;
  }
  const module = { exports: {} };
  let result;
  try {
    result = await fn(input, require, module, module.exports, '/work/code.js', '/work');
  } catch (error) {
    fail(error);
    return;
  }
  report(result, null);
}

main();
