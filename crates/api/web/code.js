// The Run code view: try a snippet in any language this server runs
// (Python, JavaScript, the operator's runtimes): pick the language, write
// the code, run it, read its stdout, stderr, exit code and result.

import {
  h, api, ApiError, icon, replaceChildren, formatMillis, loadRuntimes, runtimeLabel,
} from './core.js';

export default {
  id: 'code',
  label: 'Run code',
  create: () => new CodeView(),
};

const EXAMPLES = {
  python: "import platform\nprint('Hello from Python', platform.python_version())\nreturn {'answer': 6 * 7}",
  javascript: "console.log('Hello from Node', process.version);\nconst answer = await Promise.resolve(6 * 7);\nreturn { answer };",
};
const MAX_TIMEOUT = 300;

function pretty(value) {
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

class CodeView {
  constructor() {
    this.drafts = new Map(); // language → the code last written in it
    this.element = this.build();
  }

  build() {
    this.language = h('select', { id: 'code-language', class: 'select-field', on: { change: () => this.switchLanguage() } });
    this.version = h('p', { class: 'hint', id: 'code-language-hint' });
    this.timeout = h('input', {
      id: 'code-timeout', type: 'number', min: '1', max: String(MAX_TIMEOUT), step: '1', inputmode: 'numeric', value: '30',
    });
    this.editor = h('textarea', {
      id: 'code-editor', class: 'mono code-editor', rows: '12', wrap: 'off', spellcheck: 'false', autocapitalize: 'off',
      autocomplete: 'off', 'aria-describedby': 'code-editor-hint',
      on: {
        keydown: (event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.run(); }
        },
      },
    });
    this.runButton = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('play'), 'Run');
    this.form = h('form', { class: 'panel code-form', novalidate: true, on: { submit: (event) => { event.preventDefault(); this.run(); } } },
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'code-language', text: 'Language' }), this.language, this.version),
        h('div', { class: 'field' }, h('label', { for: 'code-timeout', text: 'Timeout (seconds)' }), this.timeout)),
      h('div', { class: 'field' },
        h('label', { for: 'code-editor', text: 'Code' }),
        this.editor,
        h('p', { class: 'hint', id: 'code-editor-hint', text: 'A top-level return sets the result (Python, JavaScript). Ctrl+Enter runs.' })),
      h('div', { class: 'form-actions' }, this.runButton));

    this.status = h('p', { class: 'code-status', role: 'status', 'aria-live': 'polite' });
    this.result = h('pre', { class: 'output output-small code-result', tabindex: '0', 'aria-label': 'Result', hidden: true });
    this.stdout = h('pre', { class: 'output code-stdout', tabindex: '0', 'aria-label': 'Standard output', hidden: true });
    this.stderr = h('pre', { class: 'output code-stderr', tabindex: '0', 'aria-label': 'Standard error', hidden: true });
    this.labels = {
      result: h('h3', { class: 'block-label', text: 'Result', hidden: true }),
      stdout: h('h3', { class: 'block-label', text: 'Output', hidden: true }),
      stderr: h('h3', { class: 'block-label', text: 'Errors', hidden: true }),
    };
    this.outputPanel = h('section', { class: 'panel code-output', 'aria-labelledby': 'code-output-title' },
      h('header', { class: 'panel-head' }, h('h2', { class: 'panel-title', id: 'code-output-title', text: 'Run' })),
      this.status,
      this.labels.result, this.result,
      this.labels.stdout, this.stdout,
      this.labels.stderr, this.stderr);

    return h('section', { class: 'code-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Run code' }),
          h('p', { class: 'view-lead', text: 'Try a snippet in the sandbox, in any language this server runs.' }))),
      h('div', { class: 'split' }, this.form, this.outputPanel));
  }

  async show() {
    if (this.runtimes) return;
    this.runtimes = await loadRuntimes();
    replaceChildren(this.language, this.runtimes.map((runtime) => h('option', { value: runtime.name, text: runtimeLabel(runtime.name) })));
    this.language.value = 'python';
    this.current = null;
    this.switchLanguage();
    this.status.textContent = 'Write some code and run it.';
  }

  hide() {}

  destroy() {}

  switchLanguage() {
    if (this.current) this.drafts.set(this.current, this.editor.value);
    const name = this.language.value;
    this.current = name;
    this.editor.value = this.drafts.get(name) ?? EXAMPLES[name] ?? '';
    const runtime = this.runtimes?.find((r) => r.name === name);
    this.version.textContent = runtime?.version || '';
  }

  async run() {
    const language = this.language.value;
    const seconds = Number(this.timeout.value);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT) {
      this.timeout.setAttribute('aria-invalid', 'true');
      this.timeout.focus();
      this.status.textContent = `Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT}.`;
      return;
    }
    this.timeout.removeAttribute('aria-invalid');
    this.runButton.disabled = true;
    this.status.textContent = `Running ${runtimeLabel(language)}…`;
    let body;
    try {
      body = await api('POST', `/v1/code/execute/${encodeURIComponent(language)}`, { body: { code: this.editor.value, timeout: seconds } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      // A failed run's envelope (400, 408) has its error and output at top level.
      const failed = err instanceof ApiError ? err.body : null;
      this.render({
        ok: false,
        status: failed?.error || err.message,
        result: undefined,
        stdout: failed?.stdout,
        stderr: failed?.stderr,
      });
      return;
    } finally {
      this.runButton.disabled = false;
    }
    const response = body.response || {};
    this.render({
      ok: true,
      status: `Finished in ${formatMillis((body.run_time ?? 0) * 1000)} · exit code ${response.exit_code}`,
      result: response.result,
      stdout: response.stdout,
      stderr: response.stderr,
    });
  }

  render({ ok, status, result, stdout, stderr }) {
    this.status.textContent = status;
    this.status.className = ['code-status', ok ? '' : 'code-status-error'].join(' ').trim();
    const show = (key, element, text) => {
      const has = typeof text === 'string' && text !== '';
      element.hidden = !has;
      this.labels[key].hidden = !has;
      element.textContent = has ? text : '';
    };
    show('result', this.result, result === undefined || result === null ? '' : pretty(result));
    show('stdout', this.stdout, stdout);
    show('stderr', this.stderr, stderr);
  }
}
