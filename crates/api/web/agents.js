// The Agents view: the agents as cards, the run panel (a JSON input, then
// the execution followed live over /executions/{id}/events: log lines as
// they come, the status badge, the final result or the error log), the
// recent executions, and the forms that create, edit and delete agents.

import {
  h, api, ApiError, is401, badge, icon, notify, confirmDialog, replaceChildren, readEventStream, formatTime, formatFullTime, formatDuration, parseTime, parseEnv, formatEnv, ENV_HINT, parseNetwork, formatNetwork, networkChip, NETWORK_HINT, AGENT_FINAL_STATUSES, resourceItems, loadRuntimes, runtimeLabel, pause, panelMessage, historyPanel, fillHistoryFilter, metaItem, formField, openFormDialog, cardTools,
} from './core.js';

const HISTORY_LIMIT = 20;
const MAX_TIMEOUT = 3600;
const DEFAULT_TIMEOUT = 600;
const DEFAULT_PRIORITY = 50;

const EXAMPLE_CODE = [
  'def run(input):',
  '    # input is the JSON object sent with the run.',
  "    name = input.get('name', 'world')",
  "    print('saying hello to', name)  # printed lines show in the live log",
  "    return {'greeting': f'Hello, {name}!'}",
  '',
].join('\n');

const EXAMPLE_JS = [
  'async function run(input) {',
  '  // input is the JSON object sent with the run.',
  "  const name = input.name ?? 'world';",
  "  console.log('saying hello to', name); // printed lines show in the live log",
  '  return { greeting: `Hello, ${name}!` };',
  '}',
  '',
].join('\n');

/** The starting code of a new agent in `runtime`. */
const exampleFor = (runtime) => (runtime === 'python' ? EXAMPLE_CODE : runtime === 'javascript' ? EXAMPLE_JS : '');

/** Every runtime but `command` runs code. */
const runsCode = (runtime) => runtime !== 'command';

export default {
  id: 'agents',
  label: 'Agents',
  create: (shell) => new AgentsView(shell),
};


const path = {
  agents: () => '/agents',
  agent: (id) => `/agents/${encodeURIComponent(id)}`,
  run: () => '/executions/run',
  execution: (id) => `/executions/${encodeURIComponent(id)}`,
  events: (id) => `/executions/${encodeURIComponent(id)}/events`,
  cancel: (id) => `/executions/${encodeURIComponent(id)}/cancel`,
  latest: (agentId) => `/executions?${new URLSearchParams({ agent_id: agentId, limit: '1' })}`,
  history: (agentId) => {
    const query = new URLSearchParams({ limit: String(HISTORY_LIMIT) });
    if (agentId) query.set('agent_id', agentId);
    return `/executions?${query}`;
  },
};

/** The run reply says QUEUED for what everything else calls PENDING. */
const statusOf = (word) => (word === 'QUEUED' ? 'PENDING' : word || 'PENDING');
const isFinal = (status) => AGENT_FINAL_STATUSES.has(status);

/** A JSON value as indented text (shown with textContent, never as HTML). */
function pretty(value) {
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

/** The square icon of an agent: "Py", "JS" or a runtime's initials; a prompt for a command. */
function agentIcon(agent, extraClass = '') {
  if (!runsCode(agent.runtime)) {
    return h('span', { class: ['agent-icon', 'agent-icon-command', extraClass], 'aria-hidden': 'true' }, icon('terminal'));
  }
  const letters = { python: 'Py', javascript: 'JS' }[agent.runtime]
    || (agent.runtime.slice(0, 1).toUpperCase() + agent.runtime.slice(1, 2));
  return h('span', { class: ['agent-icon', 'agent-icon-python', extraClass], 'aria-hidden': 'true' }, letters);
}

/**
 * What a card shows of the program: the command, or python's first line
 * that is not blank, a comment or an import; and how many more lines.
 */
function programPreview(agent) {
  if (!runsCode(agent.runtime)) return { text: agent.command || '', more: 0 };
  const lines = (agent.code || '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('//'));
  const index = Math.max(0, lines.findIndex((l) => !/^(import|from)\s/.test(l)));
  return { text: lines[index] || '', more: Math.max(0, lines.length - 1) };
}

class AgentsView {
  constructor(shell) {
    this.shell = shell;
    this.agents = [];
    this.loaded = false;
    this.selected = null;          // the agent the run panel is for
    this.runs = new Map();         // execution id → run
    this.lastRunOf = new Map();    // agent id → its latest run started here
    this.inputs = new Map();       // agent id → the input text last used
    this.historyFilter = '';
    this.historyOpen = new Set();  // execution ids whose details are open
    this.historySeq = 0;
    this.historyTimer = null;
    this.tick = null;
    this.logRun = null;            // the run whose lines the log shows
    this.element = this.build();
  }

  // ------------------------------------------------------------ layout --

  build() {
    this.grid = h('ul', { class: 'card-grid', 'aria-label': 'Agents' });
    this.gridMessage = h('div', { class: 'grid-message' });
    const newAgent = h('button', {
      type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) },
    }, icon('plus'), 'New agent');

    this.runPanel = this.buildRunPanel();
    this.historyPanel = this.buildHistoryPanel();

    // Wide screens: the agents on the left, the run panel beside them (it
    // stays in view while the list scrolls), the executions below. Narrow
    // ones: one column.
    return h('section', { class: 'agents-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Agents' }),
          h('p', { class: 'view-lead', text: 'Python functions and commands that take a JSON input and return a JSON result, queued by priority.' })),
        newAgent),
      h('div', { class: 'agents-layout' },
        h('div', { class: 'agents-list' }, this.gridMessage, this.grid),
        this.runPanel),
      this.historyPanel);
  }

  buildRunPanel() {
    this.runSubject = h('p', { class: 'run-subject', hidden: true });
    this.runEmpty = h('div', { class: 'empty-panel' },
      icon('bot', 'empty-icon'),
      h('p', { text: 'Choose Run on an agent to send it a JSON input and follow its execution live.' }));

    // The input form.
    this.inputBox = h('textarea', {
      id: 'ar-input', name: 'input', rows: '5', class: 'mono', spellcheck: 'false', autocapitalize: 'off',
      autocomplete: 'off', 'aria-describedby': 'ar-input-hint',
      on: {
        input: () => { this.inputBox.removeAttribute('aria-invalid'); this.inputError.hidden = true; },
        keydown: (event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            this.runForm.requestSubmit();
          }
        },
      },
    });
    this.inputError = h('p', { class: 'alert alert-error input-error', id: 'ar-input-error', role: 'alert', hidden: true });
    this.priorityBox = h('input', {
      id: 'ar-priority', name: 'priority', type: 'number', min: '0', max: '100', step: '1', inputmode: 'numeric',
      'aria-describedby': 'ar-priority-hint',
      on: { input: () => this.priorityBox.removeAttribute('aria-invalid') },
    });
    this.runSubmit = h('button', { type: 'submit', class: 'btn btn-primary btn-run' }, icon('play'), 'Run agent');
    this.runForm = h('form', { class: 'agent-run-form', novalidate: true, hidden: true, on: { submit: (e) => this.submitRun(e) } },
      h('div', { class: 'field' },
        h('label', { for: 'ar-input', text: 'Input (JSON object)' }),
        this.inputBox,
        h('p', { class: 'hint', id: 'ar-input-hint', text: 'Sent as the agent’s input. Ctrl+Enter runs it.' })),
      this.inputError,
      h('div', { class: 'run-row' },
        h('div', { class: 'field run-priority' },
          h('label', { for: 'ar-priority', text: 'Priority' }),
          this.priorityBox,
          h('p', { class: 'hint', id: 'ar-priority-hint', text: 'Optional, 0 to 100.' })),
        this.runSubmit));

    // The execution.
    this.execBadge = h('span', { class: 'run-badge', 'aria-live': 'polite' });
    this.cancelButton = h('button', {
      type: 'button', class: 'btn btn-small btn-danger-ghost', hidden: true,
      on: { click: () => this.cancel(this.shownRun()) },
    }, icon('stop'), 'Cancel');
    this.execMeta = h('dl', { class: 'meta run-meta' });
    this.log = h('pre', {
      class: 'output agent-log', tabindex: '0', role: 'log', 'aria-label': 'Agent log', 'aria-live': 'off',
    });
    this.resultLabel = h('h4', { class: 'block-label', text: 'Result' });
    this.result = h('pre', { class: 'json-block agent-result', tabindex: '0', 'aria-label': 'Result' });
    this.errorLabel = h('h4', { class: 'block-label block-label-error', text: 'Error log' });
    this.errorLog = h('pre', { class: 'json-block error-log agent-error', tabindex: '0', 'aria-label': 'Error log' });
    this.packagesLabel = h('h4', { class: 'block-label', id: 'agent-packages-title', text: 'Packages' });
    this.packagesList = h('ul', { class: 'chips agent-packages', 'aria-labelledby': 'agent-packages-title' });
    this.exec = h('div', { class: 'agent-exec', hidden: true },
      h('div', { class: 'exec-head' },
        h('h3', { class: 'exec-title', text: 'Execution' }),
        h('div', { class: 'panel-head-actions' }, this.execBadge, this.cancelButton)),
      this.execMeta,
      h('h4', { class: 'block-label', text: 'Log' }),
      this.log,
      this.resultLabel, this.result,
      this.errorLabel, this.errorLog,
      this.packagesLabel, this.packagesList);

    return h('section', { class: 'panel agent-run-panel', 'aria-labelledby': 'agent-run-title' },
      h('header', { class: 'panel-head' },
        h('div', { class: 'panel-head-text' },
          h('h2', { class: 'panel-title', id: 'agent-run-title', text: 'Run' }),
          this.runSubject)),
      this.runEmpty, this.runForm, this.exec);
  }

  buildHistoryPanel() {
    // Column titles, shown where the list is wide enough to be a table.
    this.historyHead = h('div', { class: 'agent-history-head', 'aria-hidden': 'true', hidden: true },
      ['Status', 'Agent', 'Created', 'Completed', 'Duration'].map((text) => h('span', { text })));
    const history = historyPanel({
      id: 'agent-history', title: 'Recent executions', filterLabel: 'Show executions of', allLabel: 'All agents',
      listLabel: 'Recent executions', extraClass: 'agent-history-panel', head: this.historyHead,
      onFilter: (value) => { this.historyFilter = value; this.refreshHistory(); },
      onRefresh: () => this.refreshHistory(),
    });
    this.historyList = history.list;
    this.historyMessage = history.message;
    this.historySelect = history.select;
    return history.panel;
  }

  show() {
    this.refreshAgents();
    this.refreshHistory();
  }

  hide() {
    clearTimeout(this.historyTimer);
  }

  destroy() {
    for (const run of this.runs.values()) run.controller.abort();
    clearTimeout(this.historyTimer);
    clearInterval(this.tick);
  }

  // ------------------------------------------------------------ agents --

  async refreshAgents() {
    if (!this.loaded) this.setGridMessage('loading', 'Loading agents…');
    try {
      const body = await api('GET', path.agents());
      this.agents = Array.isArray(body) ? body : [];
      this.loaded = true;
      this.renderAgents();
    } catch (err) {
      if (is401(err)) return;
      this.setGridMessage('error', `Could not load the agents: ${err.message}`, true);
    }
  }

  setGridMessage(kind, text, retry = false) {
    this.gridMessage.hidden = false;
    this.gridMessage.className = `grid-message grid-message-${kind}`;
    replaceChildren(this.gridMessage,
      h('p', { text }),
      retry && h('button', { type: 'button', class: 'btn btn-small', text: 'Retry', on: { click: () => this.refreshAgents() } }));
  }

  agentById(id) {
    return this.agents.find((a) => a.agent_id === id) || null;
  }

  renderAgents() {
    const sorted = [...this.agents].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
    replaceChildren(this.grid, sorted.map((agent) => this.card(agent)));
    if (sorted.length === 0) {
      this.gridMessage.hidden = false;
      this.gridMessage.className = 'grid-message grid-message-empty';
      replaceChildren(this.gridMessage,
        icon('bot', 'empty-icon'),
        h('h2', { text: 'No agents yet' }),
        h('p', { text: 'An agent is a Python run(input) function or a command that reads JSON on stdin. It runs in runbox’s sandbox, queued by priority.' }),
        h('button', { type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) } },
          icon('plus'), 'Create your first agent'));
    } else {
      this.gridMessage.hidden = true;
    }

    // The selected agent may have been renamed, changed or deleted.
    if (this.selected) {
      const fresh = this.agentById(this.selected.agent_id);
      if (fresh) this.selected = fresh;
      this.renderSubject();
    }
    for (const run of this.runs.values()) {
      const fresh = this.agentById(run.agent.agent_id);
      if (fresh) run.agent = fresh;
    }

    fillHistoryFilter(this.historySelect, 'All agents', sorted.map((a) => [a.agent_id, a.name]), () => 'deleted agent');
  }

  card(agent) {
    const titleId = `agent-title-${agent.agent_id}`;
    const last = this.lastRunOf.get(agent.agent_id);
    const preview = programPreview(agent);
    return h('li', { class: 'card-item' },
      h('article', {
        class: ['card', 'agent-card', this.selected?.agent_id === agent.agent_id ? 'agent-card-selected' : ''],
        dataset: { agentId: agent.agent_id }, 'aria-labelledby': titleId,
      },
      h('div', { class: 'card-top' },
        agentIcon(agent),
        h('div', { class: 'card-heading' },
          h('h3', { class: 'card-title', id: titleId, text: agent.name }),
          h('p', { class: ['card-desc', agent.description ? '' : 'card-desc-none'], text: agent.description || 'No description' })),
        agent.owner ? h('span', { class: 'card-owner', title: `Created by ${agent.owner}` },
          icon('user'), h('span', { class: 'visually-hidden', text: 'Created by ' }), h('span', { class: 'card-owner-name', text: agent.owner })) : null),
      h('ul', { class: 'chips', 'aria-label': 'Settings' },
        h('li', { class: ['chip', `chip-${agent.runtime}`], dataset: { field: 'runtime' } },
          icon(runsCode(agent.runtime) ? 'code' : 'terminal'), agent.runtime),
        h('li', { class: 'chip', dataset: { field: 'priority' }, title: 'Priority (0 to 100, higher runs first)' },
          icon('gauge'), `priority ${agent.priority}`),
        h('li', { class: 'chip', dataset: { field: 'timeout' }, title: 'Time limit' },
          icon('clock'), h('span', { class: 'visually-hidden', text: 'timeout ' }), `${agent.timeout} s`),
        networkChip(agent.network)),
      h('div', { class: ['card-command', runsCode(agent.runtime) ? 'card-code' : ''] },
        h('code', { title: runsCode(agent.runtime) ? agent.code : agent.command, text: preview.text }),
        preview.more ? h('span', { class: 'card-more', text: `+${preview.more} line${preview.more === 1 ? '' : 's'}` }) : null),
      h('div', { class: 'card-foot' },
        h('button', {
          type: 'button', class: 'btn btn-primary btn-run', 'aria-describedby': titleId,
          on: { click: () => this.select(agent, { focus: true }) },
        }, icon('play'), 'Run'),
        h('span', { class: 'card-last' }, last ? this.lastRunControl(last) : null),
        cardTools(agent.name, { edit: () => this.openForm(agent), remove: () => this.remove(agent) }))));
  }

  lastRunControl(run) {
    return h('button', {
      type: 'button', class: 'badge-button', title: 'Show this execution',
      'aria-label': `Show the last execution of ${run.agent.name}: ${run.status.replace(/_/g, ' ')}`,
      on: { click: () => this.select(run.agent, { focus: false }) },
    }, badge(run.status));
  }

  updateCard(agentId) {
    const article = this.grid.querySelector(`article[data-agent-id="${CSS.escape(agentId)}"]`);
    const run = this.lastRunOf.get(agentId);
    if (!article || !run) return;
    replaceChildren(article.querySelector('.card-last'), this.lastRunControl(run));
  }

  // --------------------------------------------------------- run panel --

  /** Opens the run panel for `agent`, with its last input and last execution. */
  select(agent, { focus }) {
    const changed = this.selected?.agent_id !== agent.agent_id;
    if (this.selected && changed) this.inputs.set(this.selected.agent_id, this.inputBox.value);
    this.selected = agent;
    for (const article of this.grid.querySelectorAll('article.agent-card')) {
      article.classList.toggle('agent-card-selected', article.dataset.agentId === agent.agent_id);
    }
    if (changed) {
      this.inputBox.value = this.inputs.get(agent.agent_id) ?? '{}';
      this.inputBox.removeAttribute('aria-invalid');
      this.priorityBox.value = '';
      this.priorityBox.removeAttribute('aria-invalid');
      this.inputError.hidden = true;
    }
    this.renderSubject();
    this.runEmpty.hidden = true;
    this.runForm.hidden = false;
    if (!this.lastRunOf.has(agent.agent_id)) this.loadLastRun(agent);
    this.renderRun();
    this.revealRunPanel();
    if (focus) this.inputBox.focus({ preventScroll: true });
  }

  /** Shows an agent's latest execution from before this page was opened. */
  async loadLastRun(agent) {
    let latest;
    try {
      const items = await api('GET', path.latest(agent.agent_id));
      latest = (Array.isArray(items) ? items : [])[0];
    } catch {
      return;
    }
    if (!latest || this.lastRunOf.has(agent.agent_id)) return;
    const run = {
      id: latest.execution_id, agent, status: statusOf(latest.status), data: latest,
      lines: [], finished: false, cancelling: false, controller: new AbortController(),
    };
    this.runs.set(run.id, run);
    this.lastRunOf.set(agent.agent_id, run);
    if (this.shownRun() === run) this.renderRun();
    this.updateCard(agent.agent_id);
    this.follow(run);
  }

  renderSubject() {
    const agent = this.selected;
    if (!agent) return;
    this.runSubject.hidden = false;
    replaceChildren(this.runSubject, agentIcon(agent, 'agent-icon-small'), h('span', { text: agent.name }));
    this.priorityBox.placeholder = `Agent’s: ${agent.priority}`;
  }

  /** Clears the panel (its agent was deleted). */
  deselect() {
    this.selected = null;
    this.runSubject.hidden = true;
    this.runForm.hidden = true;
    this.exec.hidden = true;
    this.logRun = null;
    this.runEmpty.hidden = false;
    delete this.runPanel.dataset.status;
    clearInterval(this.tick);
  }

  shownRun() {
    return this.selected ? this.lastRunOf.get(this.selected.agent_id) || null : null;
  }

  showInputError(message, control) {
    this.inputError.hidden = false;
    this.inputError.textContent = message;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  }

  /** Checks the input in the browser; nothing is sent unless it is a JSON object. */
  async submitRun(event) {
    event.preventDefault();
    const agent = this.selected;
    if (!agent) return;
    this.inputError.hidden = true;
    const text = this.inputBox.value.trim();
    let input = {};
    if (text) {
      try {
        input = JSON.parse(text);
      } catch (err) {
        return this.showInputError(`The input is not valid JSON: ${err.message}. Nothing was sent.`, this.inputBox);
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        const kind = input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`;
        return this.showInputError(`The input must be a JSON object, like {"n": 21}, not ${kind}. Nothing was sent.`, this.inputBox);
      }
    }
    let priority = null;
    if (this.priorityBox.value.trim() !== '') {
      priority = Number(this.priorityBox.value);
      if (!Number.isInteger(priority) || priority < 0 || priority > 100) {
        return this.showInputError('Priority must be a whole number from 0 to 100, or empty for the agent’s own.', this.priorityBox);
      }
    }
    this.inputs.set(agent.agent_id, this.inputBox.value);
    const body = { agent_id: agent.agent_id, input };
    if (priority !== null) body.priority = priority;

    this.runSubmit.disabled = true;
    let reply;
    try {
      reply = await api('POST', path.run(), { body });
    } catch (err) {
      if (!is401(err)) this.showInputError(`Could not run “${agent.name}”: ${err.message}`);
      if (err instanceof ApiError && err.status === 404) this.refreshAgents();
      return;
    } finally {
      this.runSubmit.disabled = false;
    }
    const run = {
      id: reply.execution_id,
      agent,
      status: statusOf(reply.status),
      data: {
        execution_id: reply.execution_id,
        agent_id: agent.agent_id,
        priority: priority ?? agent.priority,
        payload: input,
        final_result: null,
        error_log: null,
      },
      lines: [],
      finished: false,
      cancelling: false,
      controller: new AbortController(),
    };
    this.runs.set(run.id, run);
    this.lastRunOf.set(agent.agent_id, run);
    this.renderRun();
    this.updateCard(agent.agent_id);
    this.refreshHistory();
    this.follow(run);
  }

  /**
   * Follows the execution's event stream: `log` lines and `status`
   * objects, until the terminal status. Should the stream end early (the
   * server restarted, a proxy cut it), asks for the status and reconnects;
   * the server replays the whole log on each connection.
   */
  async follow(run) {
    const { signal } = run.controller;
    let attempt = 0;
    while (!run.finished && !signal.aborted) {
      try {
        const response = await api('GET', path.events(run.id), { raw: true, signal });
        let first = true;
        await readEventStream(response, ({ event, data }) => {
          if (run.finished) return;
          if (first) {
            first = false;
            if (attempt > 0) this.resetLog(run);
          }
          if (event === 'log') this.appendLine(run, data);
          else if (event === 'status') {
            let execution = null;
            try { execution = JSON.parse(data); } catch { /* the poll below catches up */ }
            if (execution) this.update(run, execution);
          }
        });
      } catch (err) {
        if (signal.aborted) return;
        if (is401(err)) return;
      }
      if (run.finished || signal.aborted) return;
      try {
        this.update(run, await api('GET', path.execution(run.id), { signal }));
      } catch (err) {
        if (signal.aborted || (err instanceof ApiError && (err.status === 401 || err.status === 404))) return;
      }
      attempt += 1;
      await pause(Math.min(5000, 400 * attempt), signal);
    }
  }

  update(run, execution) {
    if (run.finished) return;
    run.data = { ...run.data, ...execution };
    const status = statusOf(execution.status);
    if (isFinal(status)) {
      run.status = status;
      run.finished = true;
      run.cancelling = false;
      run.controller.abort();
      this.refreshHistory();
    } else if (status !== run.status) {
      run.status = status;
      if (status === 'CANCEL_REQUESTED') run.cancelling = false;
    }
    if (this.shownRun() === run) this.renderRun();
    this.updateCard(run.agent.agent_id);
  }

  resetLog(run) {
    run.lines = [];
    if (this.logRun === run) this.log.textContent = '';
  }

  appendLine(run, line) {
    run.lines.push(line);
    if (this.logRun !== run || this.shownRun() !== run) return;
    const out = this.log;
    const atBottom = out.scrollHeight - out.scrollTop - out.clientHeight < 24;
    out.classList.remove('output-empty');
    out.append(document.createTextNode(`${line}\n`));
    if (atBottom) out.scrollTop = out.scrollHeight;
  }

  async cancel(run) {
    if (!run || run.finished || run.cancelling || run.status === 'CANCEL_REQUESTED') return;
    run.cancelling = true;
    this.renderRun();
    try {
      await api('POST', path.cancel(run.id));
      // A pending execution is canceled at once: show it without waiting.
      this.update(run, await api('GET', path.execution(run.id)));
    } catch (err) {
      run.cancelling = false;
      if (this.shownRun() === run) this.renderRun();
      if (err instanceof ApiError && (err.status === 401 || err.status === 409)) return;
      notify(`Could not cancel: ${err.message}`, 'error');
    }
  }

  renderRun() {
    const run = this.shownRun();
    clearInterval(this.tick);
    if (!run) {
      this.exec.hidden = true;
      this.logRun = null;
      delete this.runPanel.dataset.status;
      return;
    }
    const data = run.data || {};
    this.exec.hidden = false;
    this.runPanel.dataset.status = run.status;
    replaceChildren(this.execBadge, badge(run.status));
    const live = !run.finished;
    this.cancelButton.hidden = !live;
    const stopping = run.cancelling || run.status === 'CANCEL_REQUESTED';
    this.cancelButton.disabled = stopping;
    replaceChildren(this.cancelButton, icon('stop'), stopping ? 'Canceling…' : 'Cancel');

    const used = data.resources;
    replaceChildren(this.execMeta, [
      ['Priority', data.priority ?? '—', 'priority'],
      ['Started', data.started_at ? formatTime(data.started_at) : '—', 'started'],
      ['Duration', this.durationText(run), 'duration'],
      ...resourceItems(used),
    ].map(([label, value, field]) => metaItem(label, value, { field }))
      .concat(metaItem('Execution', run.id, { field: 'execution-id', extra: 'meta-id' })));

    if (this.logRun !== run) {
      this.log.textContent = run.lines.map((l) => `${l}\n`).join('');
      this.logRun = run;
    }
    this.log.dataset.placeholder = run.finished ? '(no output)' : run.status === 'PENDING' ? 'Queued, waiting for a worker…' : 'Waiting for output…';
    this.log.classList.toggle('output-empty', run.lines.length === 0);

    const hasResult = run.finished && data.final_result !== null && data.final_result !== undefined;
    this.resultLabel.hidden = !hasResult;
    this.result.hidden = !hasResult;
    this.result.textContent = hasResult ? pretty(data.final_result) : '';
    const hasError = run.finished && Boolean(data.error_log);
    this.errorLabel.hidden = !hasError;
    this.errorLog.hidden = !hasError;
    this.errorLog.textContent = hasError ? data.error_log : '';
    // The environment the run imported from, as installed (name==version).
    const packages = Array.isArray(data.packages) ? data.packages : [];
    this.packagesLabel.hidden = packages.length === 0;
    this.packagesList.hidden = packages.length === 0;
    replaceChildren(this.packagesList, packages.map((pkg) => h('li', { class: 'chip mono', dataset: { field: 'package' }, text: pkg })));

    if (live) this.tick = setInterval(() => this.updateElapsed(), 250);
  }

  durationText(run) {
    const data = run.data || {};
    if (run.finished) return formatDuration(data.started_at, data.completed_at) || '—';
    if (run.status === 'PENDING') return 'queued…';
    const started = parseTime(data.started_at);
    return started ? `${Math.max(0, (Date.now() - started) / 1000).toFixed(1)} s…` : 'running…';
  }

  updateElapsed() {
    const run = this.shownRun();
    const field = this.execMeta.querySelector('[data-field="duration"]');
    if (!run || !field) return;
    field.textContent = this.durationText(run);
  }

  /** Where the panel is below the cards (not beside them), bring it into view. */
  revealRunPanel() {
    const rect = this.runPanel.getBoundingClientRect();
    if (rect.top > window.innerHeight * 0.45 || rect.bottom < 120) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      this.runPanel.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
    }
  }

  // ----------------------------------------------------------- history --

  async refreshHistory() {
    const seq = ++this.historySeq;
    clearTimeout(this.historyTimer);
    try {
      const items = await api('GET', path.history(this.historyFilter));
      if (seq !== this.historySeq) return;
      const list = Array.isArray(items) ? items : [];
      this.renderHistory(list);
      // Executions still going (perhaps started elsewhere): look again soon.
      if (list.some((item) => !isFinal(item.status))) {
        this.historyTimer = setTimeout(() => this.refreshHistory(), 2500);
      }
    } catch (err) {
      if (seq !== this.historySeq || is401(err)) return;
      panelMessage(this.historyMessage, `Could not load the executions: ${err.message}`, { error: true });
    }
  }

  renderHistory(items) {
    panelMessage(this.historyMessage, items.length ? null
      : this.historyFilter ? 'This agent has not run yet.' : 'No executions yet.');
    this.historyHead.hidden = items.length === 0;
    replaceChildren(this.historyList, items.map((item) => this.historyItem(item)));
  }

  historyItem(item) {
    const agent = this.agentById(item.agent_id);
    const name = agent ? agent.name : 'deleted agent';
    const duration = formatDuration(item.started_at, item.completed_at);
    const block = (label, text, extra = '') => [
      h('h4', { class: ['block-label', extra === 'error-log' ? 'block-label-error' : ''], text: label }),
      h('pre', { class: ['json-block', 'json-small', extra], tabindex: '0', 'aria-label': `${label} of ${name}`, text }),
    ];
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
    h('summary', { class: 'history-summary agent-history-summary' },
      badge(statusOf(item.status)),
      h('span', { class: 'history-name' },
        agent ? agentIcon(agent, 'agent-icon-small') : null,
        h('span', { class: ['history-label', agent ? '' : 'history-deleted'], text: name }),
        h('span', { class: 'history-priority', title: 'Priority' },
          h('span', { class: 'visually-hidden', text: 'priority ' }), `P${item.priority}`)),
      h('span', { class: 'history-created' },
        h('span', { class: 'visually-hidden', text: 'created ' }),
        h('time', { datetime: item.created_at || '', title: `Created ${formatFullTime(item.created_at)}`, text: formatTime(item.created_at) })),
      h('span', { class: 'history-completed' },
        h('span', { class: 'visually-hidden', text: 'completed ' }),
        item.completed_at
          ? h('time', { datetime: item.completed_at, title: `Completed ${formatFullTime(item.completed_at)}`, text: formatTime(item.completed_at) })
          : '—'),
      h('span', { class: 'history-duration' },
        h('span', { class: 'visually-hidden', text: 'duration ' }),
        duration || (isFinal(statusOf(item.status)) ? '—' : 'in progress'))),
    h('div', { class: 'history-body' },
      h('dl', { class: 'meta' },
        metaItem('Created', formatTime(item.created_at), { title: formatFullTime(item.created_at) }),
        metaItem('Started', item.started_at ? formatTime(item.started_at) : '—', { title: formatFullTime(item.started_at) }),
        metaItem('Completed', item.completed_at ? formatTime(item.completed_at) : '—', { title: formatFullTime(item.completed_at) }),
        metaItem('Priority', String(item.priority)),
        metaItem('Execution', item.execution_id, { extra: 'meta-id' })),
      block('Input', pretty(item.payload ?? {})),
      item.final_result !== null && item.final_result !== undefined ? block('Result', pretty(item.final_result)) : null,
      item.error_log ? block('Error log', item.error_log, 'error-log') : null));
    return h('li', { class: 'history-item', dataset: { executionId: item.execution_id, status: statusOf(item.status) } }, details);
  }

  // ------------------------------------------------------------- forms --

  async openForm(agent) {
    const runtimes = await loadRuntimes();
    const editing = Boolean(agent);

    const name = h('input', { id: 'af-name', name: 'name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', value: agent?.name ?? '' });
    const description = h('textarea', { id: 'af-description', name: 'description', rows: '2', maxlength: '2000', value: agent?.description ?? '' });
    const names = [...new Set([...runtimes.map((r) => r.name), 'command', agent?.runtime].filter(Boolean))];
    const runtime = h('select', { id: 'af-runtime', name: 'runtime', class: 'select-field' },
      names.map((name) => h('option', { value: name, text: runtimeLabel(name) })));
    runtime.value = agent?.runtime ?? 'python';
    const priority = h('input', {
      id: 'af-priority', name: 'priority', type: 'number', required: true, min: '0', max: '100', step: '1', inputmode: 'numeric',
      value: String(agent?.priority ?? DEFAULT_PRIORITY), 'aria-describedby': 'af-priority-hint',
    });
    const timeout = h('input', {
      id: 'af-timeout', name: 'timeout', type: 'number', required: true, min: '1', max: String(MAX_TIMEOUT), step: '1', inputmode: 'numeric',
      value: String(agent?.timeout ?? DEFAULT_TIMEOUT), 'aria-describedby': 'af-timeout-hint',
    });
    const code = h('textarea', {
      id: 'af-code', name: 'code', rows: '8', wrap: 'off', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', value: agent ? (agent.code ?? '') : EXAMPLE_CODE, 'aria-describedby': 'af-code-hint',
    });
    const command = h('textarea', {
      id: 'af-command', name: 'command', rows: '3', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'jq \'{count: (.items | length)}\'', value: agent?.command ?? '', 'aria-describedby': 'af-command-hint',
    });
    const env = h('textarea', {
      id: 'af-env', name: 'env', rows: '2', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'GREETING=hello', value: formatEnv(agent?.env), 'aria-describedby': 'af-env-hint',
    });
    const network = h('textarea', {
      id: 'af-network', name: 'network', rows: '2', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      class: 'mono', placeholder: 'api.github.com', value: formatNetwork(agent?.network), 'aria-describedby': 'af-network-hint',
    });
    const codeHint = () => (runtime.value === 'python' || runtime.value === 'javascript'
      ? 'Defines run(input) and returns a JSON object. Printed lines show in the live log.'
      : 'Reads the input JSON on stdin and prints a JSON object on stdout.');
    const codeField = formField('af-code', 'Code', code, codeHint());
    const commandField = formField('af-command', 'Command', command, 'Runs as /bin/sh -c COMMAND in the sandbox: reads the input JSON on stdin, prints a JSON object.');

    let shownExample = agent ? null : EXAMPLE_CODE;
    const syncRuntime = () => {
      const usesCode = runsCode(runtime.value);
      codeField.hidden = !usesCode;
      commandField.hidden = usesCode;
      codeField.querySelector('.hint').textContent = codeHint();
      // A new agent's example follows the language, until it is edited.
      if (shownExample !== null && code.value === shownExample) {
        shownExample = exampleFor(runtime.value);
        code.value = shownExample;
      }
    };
    runtime.addEventListener('change', syncRuntime);
    syncRuntime();

    openFormDialog({
      title: editing ? `Edit “${agent.name}”` : 'New agent',
      formClass: 'agent-form',
      dialogClass: 'modal modal-wide',
      saveLabel: editing ? 'Save changes' : 'Create agent',
      body: [
        formField('af-name', 'Name', name),
        formField('af-description', 'Description', description),
        h('div', { class: 'field-row field-row-3' },
          formField('af-runtime', 'Runtime', runtime),
          formField('af-priority', 'Priority', priority, '0 to 100'),
          formField('af-timeout', 'Timeout (seconds)', timeout, `1 to ${MAX_TIMEOUT}`)),
        codeField,
        commandField,
        formField('af-env', 'Environment', env, ENV_HINT),
        formField('af-network', 'Network', network, NETWORK_HINT),
      ],
      controls: [name, description, priority, timeout, code, command, env, network],
      focus: name,
      submit: (showError) => {
        if (!name.value.trim()) return showError('Name is required.', name);
        const usesCode = runsCode(runtime.value);
        if (usesCode && !code.value.trim()) return showError(`Code is required for a ${runtimeLabel(runtime.value)} agent.`, code);
        if (!usesCode && !command.value.trim()) return showError('Command is required for a command agent.', command);
        const prio = Number(priority.value);
        if (priority.value.trim() === '' || !Number.isInteger(prio) || prio < 0 || prio > 100) {
          return showError('Priority must be a whole number from 0 to 100.', priority);
        }
        const seconds = Number(timeout.value);
        if (timeout.value.trim() === '' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT) {
          return showError(`Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT}.`, timeout);
        }
        let envObject;
        try { envObject = parseEnv(env.value); } catch (err) { return showError(err.message, env); }
        const payload = {
          name: name.value.trim(),
          description: description.value.trim() || null,
          runtime: runtime.value,
          priority: prio,
          timeout: seconds,
          env: envObject,
          network: parseNetwork(network.value),
        };
        if (usesCode) payload.code = code.value;
        else payload.command = command.value;
        return () => (editing
          ? api('PATCH', path.agent(agent.agent_id), { body: payload })
          : api('POST', path.agents(), { body: payload }));
      },
      saved: async (reply) => {
        notify(editing ? `Saved “${reply.name}”.` : `Created “${reply.name}”.`, 'success');
        await this.refreshAgents();
        this.refreshHistory();
      },
      failed: (err) => {
        const usesCode = runsCode(runtime.value);
        return /network/i.test(err.message) ? network
          : /command/i.test(err.message) && !usesCode ? command
            : /code|run\(input\)/i.test(err.message) && usesCode ? code : null;
      },
    });
  }

  async remove(agent) {
    const confirmed = await confirmDialog({
      title: `Delete “${agent.name}”?`,
      message: 'The agent is removed for everybody. Its past executions stay in the list.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api('DELETE', path.agent(agent.agent_id));
      notify(`Deleted “${agent.name}”.`, 'success');
      if (this.selected?.agent_id === agent.agent_id) this.deselect();
      await this.refreshAgents();
      this.refreshHistory();
    } catch (err) {
      if (!is401(err)) notify(`Could not delete “${agent.name}”: ${err.message}`, 'error');
    }
  }
}
