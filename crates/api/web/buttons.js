// The Buttons view: a grid of buttons to run, the live output of a run
// (streamed from /api/v1/execute/{id}/stream), the history of recent runs,
// and the forms that create, edit and delete buttons.

import {
  h, api, ApiError, is401, badge, icon, notify, confirmDialog, replaceChildren, readEventStream, formatTime, formatFullTime, formatDuration, parseTime, parseEnv, formatEnv, parseNetwork, formatNetwork, networkChip, NETWORK_HINT, FINAL_STATUSES, resourceItems, ENV_HINT, CRON_HINT, scheduleInputs, nextRunText, pause, panelMessage, historyPanel, fillHistoryFilter, metaItem, formField, openFormDialog, cardTools,
} from './core.js';

const HISTORY_LIMIT = 20;
const MAX_TIMEOUT = 300;

export default {
  id: 'buttons',
  label: 'Buttons',
  create: (shell) => new ButtonsView(shell),
};


const path = {
  buttons: () => '/api/v1/buttons',
  button: (id) => `/api/v1/buttons/${encodeURIComponent(id)}`,
  execute: (id) => `/api/v1/execute/${encodeURIComponent(id)}?wait=0`,
  status: (id) => `/api/v1/execute/${encodeURIComponent(id)}/status`,
  stream: (id) => `/api/v1/execute/${encodeURIComponent(id)}/stream`,
  cancel: (id) => `/api/v1/execute/${encodeURIComponent(id)}/cancel`,
  history: (buttonId) => {
    const query = new URLSearchParams({ limit: String(HISTORY_LIMIT) });
    if (buttonId) query.set('button_id', buttonId);
    return `/api/v1/executions?${query}`;
  },
};

/** The card's icon: the button's own (usually an emoji), else its initial. */
function buttonIcon(button, extraClass = '') {
  const text = (button.icon || '').trim();
  const initial = [...(button.name || '?').trim()][0] || '?';
  return h('span', {
    class: ['button-icon', text ? '' : 'button-icon-initial', extraClass],
    'aria-hidden': 'true',
    text: text || initial.toUpperCase(),
  });
}

/** A card's chip with a scheduled button's next run (its cron in the title). */
function scheduleChip(button) {
  if (!button.schedule) return null;
  const { cron, timezone } = button.schedule;
  return h('li', { class: 'chip', dataset: { field: 'schedule' }, title: `Schedule: ${cron} (${timezone})` },
    icon('repeat'), h('span', { class: 'visually-hidden', text: 'scheduled, ' }),
    nextRunText(button.next_run) || cron);
}

class ButtonsView {
  constructor(shell) {
    this.shell = shell;
    this.buttons = [];
    this.loaded = false;
    this.runs = new Map();          // execution id → run
    this.lastRunOf = new Map();     // button id → run
    this.activeRun = null;
    this.historyFilter = '';
    this.historyOpen = new Set();   // execution ids whose details are open
    this.historySeq = 0;
    this.historyTimer = null;
    this.tick = null;
    this.element = this.build();
  }

  // ------------------------------------------------------------ layout --

  build() {
    this.grid = h('ul', { class: 'card-grid', 'aria-label': 'Buttons' });
    this.gridMessage = h('div', { class: 'grid-message' });
    const newButton = h('button', {
      type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) },
    }, icon('plus'), 'New button');

    // Live output of the selected run.
    this.runTitle = h('h2', { class: 'panel-title', id: 'run-title', text: 'Output' });
    this.runSubject = h('p', { class: 'run-subject', hidden: true });
    this.runBadge = h('span', { class: 'run-badge', 'aria-live': 'polite' });
    this.cancelButton = h('button', {
      type: 'button', class: 'btn btn-small btn-danger-ghost', hidden: true,
      on: { click: () => this.cancel(this.activeRun) },
    }, icon('stop'), 'Cancel');
    this.runMeta = h('dl', { class: 'meta run-meta', hidden: true });
    this.runError = h('p', { class: 'alert alert-error run-error', role: 'alert', hidden: true });
    this.output = h('pre', {
      class: 'output', tabindex: '0', role: 'log', 'aria-label': 'Command output', 'aria-live': 'off', hidden: true,
    });
    this.runEmpty = h('div', { class: 'empty-panel' },
      icon('terminal', 'empty-icon'),
      h('p', { text: 'Run a button to see its output here, live.' }));
    this.runPanel = h('section', { class: 'panel run-panel', 'aria-labelledby': 'run-title' },
      h('header', { class: 'panel-head' },
        h('div', { class: 'panel-head-text' }, this.runTitle, this.runSubject),
        h('div', { class: 'panel-head-actions' }, this.runBadge, this.cancelButton)),
      this.runMeta, this.runError, this.output, this.runEmpty);

    // History.
    const history = historyPanel({
      id: 'history', title: 'Recent runs', filterLabel: 'Show runs of', allLabel: 'All buttons', listLabel: 'Recent runs',
      onFilter: (value) => { this.historyFilter = value; this.refreshHistory(); },
      onRefresh: () => this.refreshHistory(),
    });
    this.historyPanel = history.panel;
    this.historyList = history.list;
    this.historyMessage = history.message;
    this.historySelect = history.select;

    return h('section', { class: 'buttons-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Buttons' }),
          h('p', { class: 'view-lead', text: 'Shell commands you run with one click, each in its own sandbox.' })),
        newButton),
      this.gridMessage,
      this.grid,
      h('div', { class: 'split' }, this.runPanel, this.historyPanel));
  }

  show() {
    this.refreshButtons();
    this.refreshHistory();
  }

  hide() {}

  destroy() {
    for (const run of this.runs.values()) run.controller.abort();
    clearTimeout(this.historyTimer);
    clearInterval(this.tick);
  }

  // ----------------------------------------------------------- buttons --

  async refreshButtons() {
    if (!this.loaded) this.setGridMessage('loading', 'Loading buttons…');
    try {
      const body = await api('GET', path.buttons());
      this.buttons = Array.isArray(body.data) ? body.data : [];
      this.loaded = true;
      this.renderButtons();
    } catch (err) {
      if (is401(err)) return;
      this.setGridMessage('error', `Could not load the buttons: ${err.message}`, true);
    }
  }

  setGridMessage(kind, text, retry = false) {
    this.gridMessage.hidden = false;
    this.gridMessage.className = `grid-message grid-message-${kind}`;
    replaceChildren(this.gridMessage,
      h('p', { text }),
      retry && h('button', { type: 'button', class: 'btn btn-small', text: 'Retry', on: { click: () => this.refreshButtons() } }));
  }

  renderButtons() {
    const sorted = [...this.buttons].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
    replaceChildren(this.grid, sorted.map((button) => this.card(button)));
    if (sorted.length === 0) {
      this.gridMessage.hidden = false;
      this.gridMessage.className = 'grid-message grid-message-empty';
      replaceChildren(this.gridMessage,
        icon('terminal', 'empty-icon'),
        h('h2', { text: 'No buttons yet' }),
        h('p', { text: 'A button runs a shell command in runbox’s sandbox: no network, its own files, hard limits.' }),
        h('button', { type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) } },
          icon('plus'), 'Create your first button'));
    } else {
      this.gridMessage.hidden = true;
    }
    // The history filter lists the buttons by name.
    fillHistoryFilter(this.historySelect, 'All buttons', sorted.map((b) => [b.id, b.name]), (id) => id);
  }

  card(button) {
    const titleId = `button-title-${button.id}`;
    const last = this.lastRunOf.get(button.id);
    const runButton = h('button', {
      type: 'button', class: 'btn btn-primary btn-run', 'aria-describedby': titleId,
      on: { click: () => this.run(button) },
    }, icon('play'), 'Run');
    return h('li', { class: 'card-item' },
      h('article', { class: 'card button-card', dataset: { buttonId: button.id }, 'aria-labelledby': titleId },
        h('div', { class: 'card-top' },
          buttonIcon(button),
          h('div', { class: 'card-heading' },
            h('h3', { class: 'card-title', id: titleId, text: button.name }),
            h('p', { class: ['card-desc', button.description ? '' : 'card-desc-none'], text: button.description || 'No description' }))),
        h('div', { class: 'card-command' },
          h('code', { title: button.command, text: button.command }),
          h('span', { class: 'card-timeout', title: 'Time limit' },
            icon('clock'), h('span', { class: 'visually-hidden', text: 'Time limit: ' }), `${button.timeout} s`)),
        button.network?.length || button.schedule
          ? h('ul', { class: 'chips', 'aria-label': 'Settings' }, networkChip(button.network), scheduleChip(button))
          : null,
        h('div', { class: 'card-foot' },
          runButton,
          h('span', { class: 'card-last' }, last ? this.lastRunControl(last) : null),
          cardTools(button.name, { edit: () => this.openForm(button), remove: () => this.remove(button) }))));
  }

  /** The card's badge of its last run here: a button that shows that run. */
  lastRunControl(run) {
    return h('button', {
      type: 'button', class: 'badge-button', title: 'Show this run',
      'aria-label': `Show the last run of ${run.button.name}: ${run.status}`,
      on: { click: () => { this.select(run); this.revealRunPanel(); } },
    }, badge(run.status));
  }

  // -------------------------------------------------------------- runs --

  async run(button) {
    let data;
    try {
      const body = await api('POST', path.execute(button.id));
      data = body.data;
    } catch (err) {
      if (err instanceof ApiError && err.data && err.data.execution_id) {
        data = err.data;
      } else {
        if (is401(err)) return;
        this.showRunFailure(button, err.message);
        return;
      }
    }
    const run = {
      id: data.execution_id,
      button,
      status: data.status,
      data,
      text: '',
      finished: false,
      cancelling: false,
      controller: new AbortController(),
    };
    this.runs.set(run.id, run);
    this.lastRunOf.set(button.id, run);
    this.select(run);
    this.updateCard(button.id);
    this.revealRunPanel();
    this.refreshHistory();
    if (FINAL_STATUSES.has(run.status)) {
      this.finish(run, data);
      return;
    }
    this.watch(run);
    this.stream(run);
  }

  /** Reads the SSE stream: `output` chunks as they come, then one `status`. */
  async stream(run) {
    try {
      const response = await api('GET', path.stream(run.id), { raw: true, signal: run.controller.signal });
      await readEventStream(response, ({ event, data }) => {
        if (run.finished) return;
        if (event === 'output') {
          if (run.status === 'pending') {
            this.setStatus(run, 'running');
            run.wake?.(); // ask for the start time now
          }
          this.appendOutput(run, data);
        } else if (event === 'status') {
          try { this.finish(run, JSON.parse(data)); } catch { /* the status poll will finish it */ }
        }
      });
    } catch {
      // Aborted, or the stream broke: the status poll carries on.
    }
  }

  /**
   * Polls the status while the run is not over: it tells pending from
   * running (and the start time) and finishes the run should the stream
   * break.
   */
  async watch(run) {
    const { signal } = run.controller;
    // A pause that output arriving can cut short (run.wake).
    const nap = (ms) => new Promise((resolve) => {
      const done = () => { clearTimeout(timer); run.wake = null; resolve(); };
      const timer = setTimeout(done, ms);
      run.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
    await nap(250);
    while (!run.finished && !signal.aborted) {
      try {
        const body = await api('GET', path.status(run.id), { signal });
        const data = body.data;
        if (run.finished) return;
        if (FINAL_STATUSES.has(data.status)) {
          // Give the stream a moment to deliver its status event first.
          await pause(1500, signal);
          if (!run.finished && !signal.aborted) this.finish(run, data);
          return;
        }
        run.data = { ...run.data, ...data, output: null };
        // The stream may already have shown output: never back to pending.
        const status = run.status === 'running' && data.status === 'pending' ? 'running' : data.status;
        if (status !== run.status) this.setStatus(run, status);
        else if (this.activeRun === run) this.renderRun();
      } catch (err) {
        if (signal.aborted || (err instanceof ApiError && (err.status === 401 || err.status === 404))) return;
      }
      await nap(run.status === 'pending' || !run.data?.started_at ? 700 : 1500);
    }
  }

  async cancel(run) {
    if (!run || run.finished || run.cancelling) return;
    run.cancelling = true;
    this.renderRun();
    try {
      const body = await api('POST', path.cancel(run.id));
      this.finish(run, body.data);
    } catch (err) {
      if (!is401(err)) notify(`Could not cancel: ${err.message}`, 'error');
    } finally {
      run.cancelling = false;
      if (this.activeRun === run) this.renderRun();
    }
  }

  setStatus(run, status) {
    if (run.status === status) return;
    run.status = status;
    if (this.activeRun === run) this.renderRun();
    this.updateCard(run.button.id);
  }

  finish(run, data) {
    if (run.finished) return;
    run.finished = true;
    run.data = data;
    run.status = data.status;
    // The final output is authoritative (the stream cannot carry a lone CR).
    if (typeof data.output === 'string' && data.output !== run.text) {
      run.text = data.output;
      if (this.activeRun === run) this.output.textContent = run.text;
    }
    run.controller.abort();
    if (this.activeRun === run) this.renderRun();
    this.updateCard(run.button.id);
    this.refreshHistory();
  }

  appendOutput(run, chunk) {
    run.text += chunk;
    if (this.activeRun !== run) return;
    const out = this.output;
    const atBottom = out.scrollHeight - out.scrollTop - out.clientHeight < 24;
    out.append(document.createTextNode(chunk));
    if (atBottom) out.scrollTop = out.scrollHeight;
    this.runEmpty.hidden = true;
    out.hidden = false;
  }

  select(run) {
    this.activeRun = run;
    this.output.textContent = run.text;
    this.renderRun();
  }

  showRunFailure(button, message) {
    this.activeRun = null;
    clearInterval(this.tick);
    this.runSubject.hidden = false;
    replaceChildren(this.runSubject, buttonIcon(button, 'button-icon-small'), button.name);
    replaceChildren(this.runBadge);
    this.cancelButton.hidden = true;
    this.runMeta.hidden = true;
    this.output.hidden = true;
    this.runEmpty.hidden = true;
    this.runError.hidden = false;
    this.runError.textContent = `Could not run “${button.name}”: ${message}`;
    this.revealRunPanel();
  }

  renderRun() {
    const run = this.activeRun;
    if (!run) return;
    const data = run.data || {};
    this.runPanel.dataset.status = run.status;
    this.runSubject.hidden = false;
    replaceChildren(this.runSubject, buttonIcon(run.button, 'button-icon-small'), run.button.name);
    replaceChildren(this.runBadge, badge(run.status));
    const live = !run.finished && !FINAL_STATUSES.has(run.status);
    this.cancelButton.hidden = !live;
    this.cancelButton.disabled = run.cancelling;
    replaceChildren(this.cancelButton, icon('stop'), run.cancelling ? 'Canceling…' : 'Cancel');

    const items = [];
    items.push(['Exit code', data.exit_code ?? '—', 'exit-code']);
    items.push(['Duration', this.durationText(run), 'duration']);
    items.push(['Started', data.started_at ? formatTime(data.started_at) : '—', 'started']);
    if (data.truncated) items.push(['Output', 'truncated at 1 MiB', 'truncated']);
    items.push(...resourceItems(data.resources));
    this.runMeta.hidden = false;
    replaceChildren(this.runMeta, items.map(([label, value, field]) =>
      metaItem(label, value, { field, extra: field === 'truncated' ? 'meta-warn' : '' })));

    this.runError.hidden = !data.error;
    this.runError.textContent = data.error || '';
    this.runEmpty.hidden = true;
    this.output.hidden = false;
    this.output.classList.toggle('output-empty', run.finished && run.text === '');
    if (run.finished && run.text === '') this.output.textContent = '';
    this.output.dataset.placeholder = run.finished ? '(no output)' : 'Waiting for output…';

    clearInterval(this.tick);
    if (live) this.tick = setInterval(() => this.updateElapsed(), 250);
  }

  durationText(run) {
    const data = run.data || {};
    if (run.finished) return formatDuration(data.started_at, data.completed_at) || '—';
    if (run.status === 'pending') return 'waiting…';
    if (!data.started_at) return 'running…';
    const started = parseTime(data.started_at);
    return started ? `${Math.max(0, (Date.now() - started) / 1000).toFixed(1)} s…` : '—';
  }

  updateElapsed() {
    const run = this.activeRun;
    const field = this.runMeta.querySelector('[data-field="duration"]');
    if (!run || !field) return;
    field.textContent = this.durationText(run);
  }

  updateCard(buttonId) {
    const article = this.grid.querySelector(`article[data-button-id="${CSS.escape(buttonId)}"]`);
    const run = this.lastRunOf.get(buttonId);
    if (!article || !run) return;
    replaceChildren(article.querySelector('.card-last'), this.lastRunControl(run));
  }

  /** On a phone the panel is below the grid: bring it into view. */
  revealRunPanel() {
    const rect = this.runPanel.getBoundingClientRect();
    if (rect.top > window.innerHeight - 120 || rect.bottom < 0) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      this.runPanel.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
    }
  }

  // ----------------------------------------------------------- history --

  async refreshHistory() {
    const seq = ++this.historySeq;
    clearTimeout(this.historyTimer);
    try {
      const body = await api('GET', path.history(this.historyFilter));
      if (seq !== this.historySeq) return;
      const items = Array.isArray(body.data) ? body.data : [];
      this.renderHistory(items);
      // Runs still going (perhaps started elsewhere): look again soon.
      if (items.some((item) => !FINAL_STATUSES.has(item.status))) {
        this.historyTimer = setTimeout(() => this.refreshHistory(), 2500);
      }
    } catch (err) {
      if (seq !== this.historySeq || is401(err)) return;
      panelMessage(this.historyMessage, `Could not load the history: ${err.message}`, { error: true });
    }
  }

  renderHistory(items) {
    panelMessage(this.historyMessage, items.length ? null
      : this.historyFilter ? 'This button has not run yet.' : 'No runs yet.');
    replaceChildren(this.historyList, items.map((item) => this.historyItem(item)));
  }

  historyItem(item) {
    const button = this.buttons.find((b) => b.id === item.button_id);
    const name = button ? button.name : (item.button_id || 'deleted button');
    const duration = formatDuration(item.started_at, item.completed_at);
    const details = h('details', {
      class: 'history-details',
      open: this.historyOpen.has(item.execution_id),
      on: {
        toggle: () => {
          if (details.open) this.historyOpen.add(item.execution_id);
          else this.historyOpen.delete(item.execution_id);
        },
      },
    },
    h('summary', { class: 'history-summary' },
      badge(item.status),
      h('span', { class: 'history-name' }, button ? buttonIcon(button, 'button-icon-small') : null, h('span', { text: name })),
      h('span', { class: 'history-when' },
        h('time', { datetime: item.started_at || '', title: formatFullTime(item.started_at), text: item.started_at ? formatTime(item.started_at) : 'not started' }),
        duration ? h('span', { class: 'history-duration', text: duration }) : null)),
    h('div', { class: 'history-body' },
      h('dl', { class: 'meta' },
        metaItem('Exit code', item.exit_code ?? '—'),
        metaItem('Finished', item.completed_at ? formatTime(item.completed_at) : '—', { title: formatFullTime(item.completed_at) }),
        item.truncated ? metaItem('Output', 'truncated', { extra: 'meta-warn' }) : null,
        metaItem('Execution', item.execution_id, { extra: 'meta-id' })),
      item.error ? h('p', { class: 'alert alert-error', text: item.error }) : null,
      h('pre', { class: ['output', 'output-small', item.output ? '' : 'output-empty'], tabindex: '0', 'aria-label': `Output of ${name}`, dataset: { placeholder: '(no output)' }, text: item.output || '' })));
    return h('li', { class: 'history-item', dataset: { executionId: item.execution_id, status: item.status } }, details);
  }

  // ------------------------------------------------------------- forms --

  openForm(button) {
    const editing = Boolean(button);

    const name = h('input', { id: 'bf-name', name: 'name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', value: button?.name ?? '' });
    const iconInput = h('input', { id: 'bf-icon', name: 'icon', type: 'text', maxlength: '64', autocomplete: 'off', placeholder: 'e.g. 🚀', value: button?.icon ?? '' });
    const timeout = h('input', {
      id: 'bf-timeout', name: 'timeout', type: 'number', required: true, min: '1', max: String(MAX_TIMEOUT), step: '1', inputmode: 'numeric',
      value: String(button?.timeout ?? 60), 'aria-describedby': 'bf-timeout-hint',
    });
    const description = h('textarea', { id: 'bf-description', name: 'description', rows: '2', maxlength: '2000', value: button?.description ?? '' });
    const command = h('textarea', {
      id: 'bf-command', name: 'command', rows: '4', required: true, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'echo "Hello from runbox"', value: button?.command ?? '', 'aria-describedby': 'bf-command-hint',
    });
    const env = h('textarea', {
      id: 'bf-env', name: 'env', rows: '3', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'GREETING=hello', value: formatEnv(button?.env), 'aria-describedby': 'bf-env-hint',
    });
    const network = h('textarea', {
      id: 'bf-network', name: 'network', rows: '2', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'api.github.com', value: formatNetwork(button?.network), 'aria-describedby': 'bf-network-hint',
    });
    const schedule = scheduleInputs('bf-schedule', button?.schedule);
    openFormDialog({
      title: editing ? `Edit “${button.name}”` : 'New button',
      formClass: 'button-form',
      saveLabel: editing ? 'Save changes' : 'Create button',
      body: [
        formField('bf-name', 'Name', name),
        h('div', { class: 'field-row' },
          formField('bf-icon', 'Icon', iconInput),
          formField('bf-timeout', 'Timeout (seconds)', timeout, `1 to ${MAX_TIMEOUT}`)),
        formField('bf-description', 'Description', description),
        formField('bf-command', 'Command', command, 'Runs as /bin/sh -c COMMAND in the sandbox.'),
        formField('bf-env', 'Environment', env, ENV_HINT),
        formField('bf-network', 'Network', network, NETWORK_HINT),
        h('div', { class: 'field-row' },
          formField('bf-schedule-cron', 'Schedule (cron)', schedule.cron, CRON_HINT),
          formField('bf-schedule-zone', 'Time zone', schedule.zone)),
        schedule.zones,
      ],
      controls: [name, iconInput, timeout, description, command, env, network, schedule.cron, schedule.zone],
      focus: name,
      submit: (showError) => {
        if (!name.value.trim()) return showError('Name is required.', name);
        if (!command.value.trim()) return showError('Command is required.', command);
        const seconds = Number(timeout.value);
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT) {
          return showError(`Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT}.`, timeout);
        }
        let envObject;
        try { envObject = parseEnv(env.value); } catch (err) { return showError(err.message, env); }
        const payload = {
          name: name.value.trim(),
          command: command.value,
          description: description.value.trim() || null,
          icon: iconInput.value.trim() || null,
          timeout: seconds,
          env: envObject,
          network: parseNetwork(network.value),
          schedule: schedule.read(),
        };
        return () => (editing
          ? api('PATCH', path.button(button.id), { body: payload })
          : api('POST', path.buttons(), { body: payload }));
      },
      saved: async (body) => {
        notify(editing ? `Saved “${body.data.name}”.` : `Created “${body.data.name}”.`, 'success');
        // Keep runs of this button pointing at its new name.
        for (const run of this.runs.values()) if (run.button.id === body.data.id) run.button = body.data;
        if (this.activeRun && this.activeRun.button.id === body.data.id) this.renderRun();
        await this.refreshButtons();
        this.refreshHistory();
      },
      failed: (err) => (err.code === 'INVALID_COMMAND' ? command
        : /network/i.test(err.message) ? network
          : /time zone/i.test(err.message) ? schedule.zone
            : /schedule|cron/i.test(err.message) ? schedule.cron
              : /env/i.test(err.message) ? env : null),
    });
  }

  async remove(button) {
    const confirmed = await confirmDialog({
      title: `Delete “${button.name}”?`,
      message: 'The button is removed for everybody. Its past runs stay in the history.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api('DELETE', path.button(button.id));
      notify(`Deleted “${button.name}”.`, 'success');
      await this.refreshButtons();
      this.refreshHistory();
    } catch (err) {
      if (!is401(err)) notify(`Could not delete “${button.name}”: ${err.message}`, 'error');
    }
  }
}
