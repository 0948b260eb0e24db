// The Scenarios view: the scenarios with their active/paused switch, the
// run panel (a JSON `data` object, responsive or followed by polling, with
// Stop), the execution inspector (a scenario's executions, paginated and
// filtered by status; for one of them its summary and its module runs with
// their input, output and error; Retry) and the forms that create, edit and
// delete scenarios.

import {
  h, api, ApiError, badge, icon, notify, confirmDialog, replaceChildren,
  formatTime, formatFullTime, formatMillis, formatBytes, parseTime, SCENARIO_FINAL_STATUSES, resourceItems,
  CRON_HINT, scheduleInputs, nextRunText,
} from './core.js';
import { FlowEditor } from './builder.js';
import { FlowGraph } from './graph.js';
import { runStats } from './flow.js';

const PAGE_SIZE = 10;
const POLL_MS = 1000;
const LIST_POLL_MS = 2000;
const MAX_DURATION = 2400;
const RESPONSIVE_WAIT_S = 40;
const STATUSES = ['pending', 'running', 'completed', 'warning', 'error', 'stopped'];

/** A new scenario's blueprint: greets `name` in capitals. */
const EXAMPLE_BLUEPRINT = {
  name: 'Greeter',
  flow: [
    { id: 1, module: 'scenario-service:StartSubscenario' },
    {
      id: 2,
      module: 'util:SetVariable2',
      metadata: { designer: { name: 'Build greeting' } },
      mapper: { name: 'greeting', value: '{{upper("hello " + var.input.name)}}' },
    },
    { id: 3, module: 'scenario-service:ReturnData', mapper: { greeting: '{{2.greeting}}' } },
  ],
};

export default {
  id: 'scenarios',
  label: 'Scenarios',
  create: (shell) => new ScenariosView(shell),
};

/** Waits `ms`, or less if `signal` aborts. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

const enc = encodeURIComponent;
const path = {
  scenarios: () => '/scenarios',
  create: (teamId) => `/scenarios?teamId=${enc(teamId)}`,
  scenario: (id) => `/scenarios/${enc(id)}`,
  start: (id) => `/scenarios/${enc(id)}/start`,
  stop: (id) => `/scenarios/${enc(id)}/stop`,
  blueprint: (id) => `/scenarios/${enc(id)}/blueprint`,
  interface: (id) => `/scenarios/${enc(id)}/interface`,
  run: (id) => `/scenarios/${enc(id)}/run`,
  executions: (id, { limit, offset, status }) => {
    const query = new URLSearchParams({ 'pg[limit]': String(limit), 'pg[offset]': String(offset) });
    if (status) query.set('status', status);
    return `/scenarios/${enc(id)}/executions?${query}`;
  },
  execution: (id, eid) => `/scenarios/${enc(id)}/executions/${enc(eid)}`,
  details: (id, eid) => `/scenarios/${enc(id)}/executions/${enc(eid)}/details`,
  stopExecution: (id, eid) => `/scenarios/${enc(id)}/executions/${enc(eid)}/stop`,
  retry: (id, eid) => `/scenarios/${enc(id)}/executions/${enc(eid)}/retry`,
};

const isFinal = (status) => SCENARIO_FINAL_STATUSES.has(status);
const isRetryable = (status) => status === 'error' || status === 'stopped';
const is401 = (err) => err instanceof ApiError && err.status === 401;

/** A JSON value as indented text (shown with textContent, never as HTML). */
function pretty(value) {
  if (value === undefined) return '';
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

/** "40 min", "90 s" → "1 min 30 s". */
function formatSeconds(total) {
  const n = Number(total);
  if (!Number.isFinite(n)) return '—';
  if (n < 60) return `${n} s`;
  const minutes = Math.floor(n / 60);
  const seconds = n % 60;
  if (minutes >= 60 && seconds === 0 && minutes % 60 === 0) return `${minutes / 60} h`;
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

function schedulingText(scheduling) {
  const type = scheduling?.type;
  if (type === 'indefinitely') return `every ${formatSeconds(scheduling.interval ?? 0)}`;
  if (type === 'cron') return `cron ${scheduling.cron} (${scheduling.timezone || 'UTC'})`;
  return 'on demand';
}

/** The first characters of an execution id, enough to tell runs apart. */
const shortId = (id) => String(id || '').slice(0, 8);

/** Where the user's focus is in `root`: restored by `restoreFocus` after a re-render. */
function focusKey(root, attribute) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return null;
  const holder = active.closest(`[${attribute}]`);
  return holder ? { value: holder.getAttribute(attribute), role: active.dataset.role || '' } : null;
}

function restoreFocus(root, attribute, key) {
  if (!key) return;
  for (const holder of root.querySelectorAll(`[${attribute}]`)) {
    if (holder.getAttribute(attribute) !== key.value) continue;
    const target = key.role ? holder.querySelector(`[data-role="${key.role}"]`) : holder;
    target?.focus({ preventScroll: true });
    return;
  }
}

class ScenariosView {
  constructor(shell) {
    this.shell = shell;
    this.scenarios = [];
    this.loaded = false;
    this.selectedId = null;
    this.inputs = new Map();       // scenario id → the data text last used
    this.interfaces = new Map();   // scenario id → its interface
    this.runs = new Map();         // scenario id → its latest run started here
    this.toggling = new Set();     // scenario ids whose start/stop is under way
    this.listSeq = 0;
    this.exec = { filter: '', offset: 0, total: 0, items: [], seq: 0, timer: null };
    this.inspected = null;         // { id, execution, details, key }
    this.inspectSeq = 0;
    this.inspectTimer = null;
    this.openModules = new Set();  // indexes of the module runs shown open
    this.blueprints = new Map();   // scenario id → its blueprint, for the run graph
    this.graphNode = null;         // the module chosen in the run graph
    this.tick = null;
    this.visible = false;
    this.onHash = () => { if (this.visible) this.selectFromHash(); };
    window.addEventListener('hashchange', this.onHash);
    this.element = this.build();
  }

  // ------------------------------------------------------------ layout --

  build() {
    const newScenario = h('button', {
      type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) },
    }, icon('plus'), 'New scenario');

    this.list = h('ul', { class: 'scenario-list', 'aria-label': 'Scenarios' });
    this.listMessage = h('div', { class: 'grid-message' });
    this.listCount = h('span', { class: 'panel-count' });
    const refresh = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost btn-icon', 'aria-label': 'Refresh scenarios', title: 'Refresh scenarios',
      on: { click: () => this.refreshScenarios() },
    }, icon('refresh'));
    const listPanel = h('section', { class: 'panel scenario-list-panel', 'aria-labelledby': 'scenario-list-title' },
      h('header', { class: 'panel-head' },
        h('h2', { class: 'panel-title', id: 'scenario-list-title' }, 'All scenarios', this.listCount),
        h('div', { class: 'panel-head-actions' }, refresh)),
      this.listMessage, this.list);

    this.detailEmpty = h('div', { class: 'empty-panel scenario-empty' },
      icon('flow', 'empty-icon'),
      h('p', { text: 'Create a scenario to run it here and inspect its executions module by module.' }));
    this.runPanel = this.buildRunPanel();
    this.inspector = this.buildInspector();

    return h('section', { class: 'scenarios-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Scenarios' }),
          h('p', { class: 'view-lead', text: 'Blueprints of modules that map data from one to the next, run on demand or on a schedule.' })),
        newScenario),
      h('div', { class: 'scenarios-layout' },
        listPanel,
        h('div', { class: 'scenario-detail' }, this.detailEmpty, this.runPanel, this.inspector)));
  }

  buildRunPanel() {
    this.title = h('h2', { class: 'panel-title scenario-title', id: 'scenario-run-title' });
    this.subtitle = h('p', { class: 'scenario-subtitle' });
    this.editButton = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', on: { click: () => this.openForm(this.selected()) },
    }, icon('edit'), h('span', { class: 'btn-text', text: 'Edit' }));
    this.deleteButton = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost btn-danger-ghost', on: { click: () => this.remove(this.selected()) },
    }, icon('trash'), h('span', { class: 'btn-text', text: 'Delete' }));

    this.dataBox = h('textarea', {
      id: 'sr-data', name: 'data', rows: '4', class: 'mono', spellcheck: 'false', autocapitalize: 'off',
      autocomplete: 'off', 'aria-describedby': 'sr-data-hint',
      on: {
        input: () => { this.dataBox.removeAttribute('aria-invalid'); this.dataError.hidden = true; },
        keydown: (event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            this.runForm.requestSubmit();
          }
        },
      },
    });
    this.dataHint = h('p', { class: 'hint', id: 'sr-data-hint' });
    this.dataError = h('p', { class: 'alert alert-error input-error', id: 'sr-data-error', role: 'alert', hidden: true });
    this.responsiveBox = h('input', {
      id: 'sr-responsive', name: 'responsive', type: 'checkbox', checked: true, 'aria-describedby': 'sr-responsive-hint',
    });
    this.runSubmit = h('button', { type: 'submit', class: 'btn btn-primary btn-run' }, icon('play'), 'Run scenario');
    this.runForm = h('form', { class: 'scenario-run-form', novalidate: true, on: { submit: (e) => this.submitRun(e) } },
      h('div', { class: 'field' },
        h('label', { for: 'sr-data', text: 'Data (JSON object)' }),
        this.dataBox,
        this.dataHint),
      this.dataError,
      h('div', { class: 'run-row scenario-run-row' },
        h('div', { class: 'check' },
          this.responsiveBox,
          h('div', { class: 'check-text' },
            h('label', { for: 'sr-responsive', text: 'Responsive' }),
            h('p', { class: 'hint', id: 'sr-responsive-hint', text: `Wait up to ${RESPONSIVE_WAIT_S} s for the outputs; otherwise follow the execution.` }))),
        this.runSubmit));

    // The latest run started here.
    this.resultTitle = h('h3', { class: 'exec-title', text: 'Last run' });
    this.resultBadge = h('span', { class: 'run-badge', 'aria-live': 'polite' });
    this.stopButton = h('button', {
      type: 'button', class: 'btn btn-small btn-danger-ghost', hidden: true,
      on: { click: () => this.stopRun(this.shownRun()) },
    }, icon('stop'), 'Stop');
    this.resultNote = h('p', { class: 'result-note', hidden: true });
    this.resultMeta = h('dl', { class: 'meta run-meta' });
    this.resultError = h('div', { class: 'run-error-box', role: 'alert', hidden: true });
    this.outputsLabel = h('h4', { class: 'block-label', text: 'Outputs' });
    this.outputs = h('pre', { class: 'json-block run-outputs', tabindex: '0', 'aria-label': 'Outputs' });
    this.resultActions = h('div', { class: 'result-actions' });
    this.result = h('div', { class: 'scenario-result', hidden: true },
      h('div', { class: 'exec-head' },
        this.resultTitle,
        h('div', { class: 'panel-head-actions' }, this.resultBadge, this.stopButton)),
      this.resultNote, this.resultMeta, this.resultError, this.outputsLabel, this.outputs, this.resultActions);

    return h('section', { class: 'panel scenario-run-panel', 'aria-labelledby': 'scenario-run-title', hidden: true },
      h('header', { class: 'panel-head scenario-head' },
        h('div', { class: 'panel-head-text' }, this.title, this.subtitle),
        h('div', { class: 'panel-head-actions' }, this.editButton, this.deleteButton)),
      this.runForm, this.result);
  }

  buildInspector() {
    this.filterSelect = h('select', {
      id: 'sx-status', class: 'select',
      on: { change: () => { this.exec.filter = this.filterSelect.value; this.exec.offset = 0; this.refreshExecutions(); } },
    }, h('option', { value: '', text: 'All statuses' }), STATUSES.map((s) => h('option', { value: s, text: s })));
    const refresh = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost btn-icon', 'aria-label': 'Refresh executions', title: 'Refresh executions',
      on: { click: () => { this.refreshExecutions(); if (this.inspected) this.inspect(this.inspected.id); } },
    }, icon('refresh'));
    this.execMessage = h('p', { class: 'panel-message', hidden: true });
    this.execHead = h('div', { class: 'exec-table-head', 'aria-hidden': 'true', hidden: true },
      ['Status', 'Started', 'Duration', 'Operations', 'Execution'].map((text) => h('span', { text })));
    this.execList = h('ol', { class: 'exec-list', 'aria-label': 'Executions' });
    this.pagerText = h('span', { class: 'pager-text', 'aria-live': 'polite' });
    this.prevPage = h('button', {
      type: 'button', class: 'btn btn-small', 'aria-label': 'Newer executions',
      on: { click: () => this.page(-1) },
    }, icon('chevron-left'), 'Newer');
    this.nextPage = h('button', {
      type: 'button', class: 'btn btn-small', 'aria-label': 'Older executions',
      on: { click: () => this.page(1) },
    }, 'Older', icon('chevron-right'));
    this.pager = h('nav', { class: 'pager', 'aria-label': 'Pages of executions', hidden: true },
      this.pagerText, h('div', { class: 'pager-buttons' }, this.prevPage, this.nextPage));

    // The chosen execution.
    this.detailTitle = h('h3', { class: 'exec-title', id: 'exec-detail-title', tabindex: '-1' });
    this.detailBadge = h('span', { class: 'run-badge', 'aria-live': 'polite' });
    this.detailStop = h('button', {
      type: 'button', class: 'btn btn-small btn-danger-ghost', hidden: true,
      on: { click: () => this.stopInspected() },
    }, icon('stop'), 'Stop');
    this.retryButton = h('button', {
      type: 'button', class: 'btn btn-small', hidden: true,
      on: { click: () => this.retry(this.inspected?.id) },
    }, icon('repeat'), 'Retry');
    this.detailMeta = h('dl', { class: 'meta exec-meta' });
    this.detailError = h('div', { class: 'run-error-box', hidden: true });
    this.detailOutputsLabel = h('h4', { class: 'block-label', text: 'Outputs' });
    this.detailOutputs = h('pre', { class: 'json-block json-small exec-outputs', tabindex: '0', 'aria-label': 'Outputs of the execution' });
    this.flowGraph = new FlowGraph({ onSelect: (id) => this.showNode(id), label: 'The run’s flow: choose a module to see its input and output' });
    this.nodeDetail = h('div', { class: 'flow-node-detail', 'aria-live': 'polite' });
    this.flowBlock = h('div', { class: 'run-flow', hidden: true },
      h('h4', { class: 'block-label', text: 'Flow' }), this.flowGraph.element, this.nodeDetail);
    this.modulesCount = h('span', { class: 'modules-count' });
    this.modulesMessage = h('p', { class: 'panel-message', hidden: true });
    this.moduleList = h('ol', { class: 'module-list', 'aria-label': 'Module runs' });
    this.detail = h('section', { class: 'exec-detail', 'aria-labelledby': 'exec-detail-title', hidden: true },
      h('div', { class: 'exec-head' },
        this.detailTitle,
        h('div', { class: 'panel-head-actions' }, this.detailBadge, this.detailStop, this.retryButton)),
      this.detailMeta, this.detailError, this.detailOutputsLabel, this.detailOutputs,
      this.flowBlock,
      h('h4', { class: 'block-label modules-label' }, 'Module runs', this.modulesCount),
      this.modulesMessage, this.moduleList);

    return h('section', { class: 'panel inspector-panel', 'aria-labelledby': 'inspector-title', hidden: true },
      h('header', { class: 'panel-head' },
        h('h2', { class: 'panel-title', id: 'inspector-title', text: 'Executions' }),
        h('div', { class: 'panel-head-actions' },
          h('label', { class: 'visually-hidden', for: 'sx-status', text: 'Show executions with status' }),
          this.filterSelect, refresh)),
      this.execMessage, this.execHead, this.execList, this.pager, this.detail);
  }

  async show() {
    this.visible = true;
    const before = this.selectedId;
    await this.refreshScenarios();
    if (!this.visible) return;
    // The same scenario as before (a newly chosen one has just loaded them).
    if (before !== null && before === this.selectedId && this.selected()) {
      this.refreshExecutions();
      if (this.inspected) this.inspect(this.inspected.id);
    }
  }

  hide() {
    this.visible = false;
    clearTimeout(this.exec.timer);
    clearTimeout(this.inspectTimer);
  }

  destroy() {
    this.visible = false;
    window.removeEventListener('hashchange', this.onHash);
    for (const run of this.runs.values()) run.controller.abort();
    clearTimeout(this.exec.timer);
    clearTimeout(this.inspectTimer);
    clearInterval(this.tick);
  }

  // --------------------------------------------------------- scenarios --

  selected() {
    return this.selectedId === null ? null : this.byId(this.selectedId);
  }

  byId(id) {
    return this.scenarios.find((s) => s.id === id) || null;
  }

  async refreshScenarios() {
    const seq = ++this.listSeq;
    if (!this.loaded) this.setListMessage('loading', 'Loading scenarios…');
    try {
      const body = await api('GET', path.scenarios());
      if (seq !== this.listSeq) return;
      this.scenarios = Array.isArray(body?.scenarios) ? body.scenarios : [];
      this.loaded = true;
      this.renderList();
      this.afterListChange();
    } catch (err) {
      if (seq !== this.listSeq || is401(err)) return;
      this.setListMessage('error', `Could not load the scenarios: ${err.message}`, true);
    }
  }

  /** Keeps the selection valid: the hash's scenario, else the current one, else the first. */
  afterListChange() {
    if (!this.visible) return;
    const wanted = this.hashScenario();
    if (wanted !== null && this.byId(wanted)) return this.select(wanted);
    if (this.selectedId !== null && this.byId(this.selectedId)) return this.select(this.selectedId);
    if (this.scenarios.length > 0) return this.select(this.sorted()[0].id);
    this.deselect();
  }

  hashScenario() {
    const match = /^#\/scenarios\/(\d+)/.exec(location.hash);
    return match ? Number(match[1]) : null;
  }

  selectFromHash() {
    const wanted = this.hashScenario();
    if (wanted !== null && wanted !== this.selectedId && this.byId(wanted)) this.select(wanted);
  }

  setListMessage(kind, text, retry = false) {
    this.listMessage.hidden = false;
    this.listMessage.className = `grid-message grid-message-${kind}`;
    replaceChildren(this.listMessage,
      h('p', { text }),
      retry && h('button', { type: 'button', class: 'btn btn-small', text: 'Retry', on: { click: () => this.refreshScenarios() } }));
  }

  sorted() {
    return [...this.scenarios].sort((a, b) =>
      String(a.name).localeCompare(String(b.name), undefined, { sensitivity: 'base' }) || a.id - b.id);
  }

  renderList() {
    const focus = focusKey(this.list, 'data-scenario-id');
    const sorted = this.sorted();
    replaceChildren(this.list, sorted.map((scenario) => this.row(scenario)));
    this.listCount.textContent = sorted.length ? String(sorted.length) : '';
    if (sorted.length === 0) {
      this.listMessage.hidden = false;
      this.listMessage.className = 'grid-message grid-message-empty';
      replaceChildren(this.listMessage,
        icon('flow', 'empty-icon'),
        h('h2', { text: 'No scenarios yet' }),
        h('p', { text: 'A scenario is a blueprint: modules that each take the previous ones’ outputs, from a start module to the data it returns.' }),
        h('button', { type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) } },
          icon('plus'), 'Create your first scenario'));
    } else {
      this.listMessage.hidden = true;
    }
    restoreFocus(this.list, 'data-scenario-id', focus);
  }

  row(scenario) {
    const titleId = `scenario-name-${scenario.id}`;
    const selected = scenario.id === this.selectedId;
    const active = Boolean(scenario.isActive);
    const toggle = h('button', {
      type: 'button', role: 'switch', class: 'switch', 'aria-checked': String(active),
      'aria-label': `Active: ${scenario.name}`, title: active ? 'Active: click to pause' : 'Paused: click to activate',
      dataset: { role: 'toggle' },
      on: { click: () => this.toggle(scenario) },
    },
    h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })),
    h('span', { class: 'switch-text', 'aria-hidden': 'true', text: active ? 'Active' : 'Paused' }));
    return h('li', { class: 'scenario-item', dataset: { scenarioId: String(scenario.id) } },
      h('article', {
        class: ['scenario-row', selected ? 'scenario-row-selected' : '', active ? 'scenario-row-active' : 'scenario-row-paused'],
        dataset: { state: active ? 'active' : 'paused' },
        'aria-labelledby': titleId,
      },
      h('span', { class: 'scenario-icon', 'aria-hidden': 'true' }, icon('flow')),
      h('h3', { class: 'scenario-name', id: titleId },
        h('button', {
          type: 'button', class: 'scenario-open', 'aria-current': selected ? 'true' : null,
          dataset: { role: 'open' },
          on: { click: () => this.select(scenario.id, { reveal: true }) },
        }, scenario.name)),
      h('p', { class: 'scenario-ids' },
        h('span', { dataset: { field: 'id' }, text: `#${scenario.id}` }),
        h('span', { 'aria-hidden': 'true', text: '·' }),
        h('span', { dataset: { field: 'team' }, text: `team ${scenario.teamId}` })),
      h('ul', { class: 'chips scenario-chips', 'aria-label': 'Settings' },
        h('li', { class: 'chip', dataset: { field: 'scheduling' }, title: `Scheduling: ${schedulingText(scenario.scheduling)}` },
          icon(scenario.scheduling?.type === 'on-demand' || scenario.scheduling?.type === 'ondemand' ? 'play' : 'repeat'),
          (scenario.isActive && nextRunText(scenario.nextRun)) || schedulingText(scenario.scheduling)),
        h('li', { class: 'chip', dataset: { field: 'max-duration' }, title: 'Maximum duration of a run' },
          icon('clock'), h('span', { class: 'visually-hidden', text: 'max duration ' }), formatSeconds(scenario.maxDuration))),
      toggle));
  }

  /** POST …/start or …/stop. The switch keeps its focus (it is not disabled meanwhile). */
  async toggle(scenario) {
    if (this.toggling.has(scenario.id)) return;
    const activate = !scenario.isActive;
    this.toggling.add(scenario.id);
    const button = this.list.querySelector(`[data-scenario-id="${scenario.id}"] .switch`);
    button?.setAttribute('aria-busy', 'true');
    try {
      const body = await api('POST', activate ? path.start(scenario.id) : path.stop(scenario.id));
      this.replaceScenario(body.scenario);
      if (this.shownRun()?.error?.code === 'SCENARIO_INACTIVE' && scenario.id === this.selectedId) this.renderResult();
      notify(activate ? `“${scenario.name}” is active.` : `“${scenario.name}” is paused.`, 'success');
    } catch (err) {
      button?.removeAttribute('aria-busy');
      if (is401(err)) return;
      notify(`Could not ${activate ? 'activate' : 'pause'} “${scenario.name}”: ${err.message}`, 'error');
      if (err instanceof ApiError && err.status === 404) this.refreshScenarios();
    } finally {
      this.toggling.delete(scenario.id);
    }
  }

  replaceScenario(fresh) {
    if (!fresh || typeof fresh !== 'object') return;
    const index = this.scenarios.findIndex((s) => s.id === fresh.id);
    if (index === -1) this.scenarios.push(fresh);
    else this.scenarios[index] = fresh;
    this.renderList();
    if (fresh.id === this.selectedId) this.renderHead();
  }

  // ---------------------------------------------------------- selection --

  select(id, { reveal = false } = {}) {
    const scenario = this.byId(id);
    if (!scenario) return;
    const changed = this.selectedId !== id;
    if (changed && this.selectedId !== null) this.inputs.set(this.selectedId, this.dataBox.value);
    this.selectedId = id;
    for (const item of this.list.querySelectorAll('.scenario-item')) {
      const mine = Number(item.dataset.scenarioId) === id;
      item.querySelector('.scenario-row').classList.toggle('scenario-row-selected', mine);
      const open = item.querySelector('.scenario-open');
      if (mine) open.setAttribute('aria-current', 'true');
      else open.removeAttribute('aria-current');
    }
    if (changed) {
      this.dataBox.value = this.inputs.get(id) ?? '{}';
      this.dataBox.removeAttribute('aria-invalid');
      this.dataError.hidden = true;
      this.exec = { ...this.exec, offset: 0, total: 0, items: [] };
      clearTimeout(this.exec.timer);
      this.exec.seq += 1;
      replaceChildren(this.execList);
      this.execHead.hidden = true;
      this.pager.hidden = true;
      this.closeInspected();
      this.loadInterface(id);
      this.refreshExecutions();
    }
    this.detailEmpty.hidden = true;
    this.runPanel.hidden = false;
    this.inspector.hidden = false;
    this.renderHead();
    this.renderResult();
    const hash = `#/scenarios/${id}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    if (reveal) this.reveal(this.runPanel);
  }

  deselect() {
    this.selectedId = null;
    this.runPanel.hidden = true;
    this.inspector.hidden = true;
    this.detailEmpty.hidden = false;
    this.closeInspected();
    clearTimeout(this.exec.timer);
    clearInterval(this.tick);
    if (/^#\/scenarios\/\d/.test(location.hash)) history.replaceState(null, '', '#/scenarios');
  }

  /** Where `el` is below the fold (phones), brings it into view. */
  reveal(el) {
    const rect = el.getBoundingClientRect();
    if (rect.top > window.innerHeight * 0.6 || rect.bottom < 80) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      el.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
    }
  }

  renderHead() {
    const scenario = this.selected();
    if (!scenario) return;
    this.title.textContent = scenario.name;
    const active = Boolean(scenario.isActive);
    replaceChildren(this.subtitle,
      h('span', { class: ['state-pill', active ? 'state-active' : 'state-paused'], dataset: { state: active ? 'active' : 'paused' }, text: active ? 'Active' : 'Paused' }),
      h('span', { text: `#${scenario.id}` }),
      h('span', { text: `team ${scenario.teamId}` }),
      h('span', { text: schedulingText(scenario.scheduling) }),
      scenario.isActive && scenario.nextRun
        ? h('span', { dataset: { field: 'next-run' }, text: nextRunText(scenario.nextRun) })
        : null,
      h('span', { text: `max ${formatSeconds(scenario.maxDuration)}` }));
    this.editButton.setAttribute('aria-label', `Edit ${scenario.name}`);
    this.deleteButton.setAttribute('aria-label', `Delete ${scenario.name}`);
    this.renderDataHint();
  }

  async loadInterface(id) {
    try {
      const body = await api('GET', path.interface(id));
      this.interfaces.set(id, body?.interface || null);
      if (id === this.selectedId) this.renderDataHint();
    } catch { /* the hint stays generic */ }
  }

  renderDataHint() {
    const inputs = this.interfaces.get(this.selectedId)?.input;
    const tail = 'Ctrl+Enter runs it.';
    if (Array.isArray(inputs) && inputs.length > 0) {
      const described = inputs.map((field) => {
        const notes = [field.type || 'any'];
        if (field.required) notes.push('required');
        if (field.default !== undefined && field.default !== null) notes.push(`default ${JSON.stringify(field.default)}`);
        return `${field.name} (${notes.join(', ')})`;
      });
      this.dataHint.textContent = `Inputs: ${described.join('; ')}. ${tail}`;
    } else {
      this.dataHint.textContent = `Read by the blueprint as {{var.input.NAME}}. ${tail}`;
    }
  }

  // --------------------------------------------------------------- runs --

  shownRun() {
    return this.selectedId === null ? null : this.runs.get(this.selectedId) || null;
  }

  showDataError(message) {
    this.dataError.hidden = false;
    this.dataError.textContent = message;
    this.dataBox.setAttribute('aria-invalid', 'true');
    this.dataBox.focus();
  }

  newRun(scenario, fields) {
    const previous = this.runs.get(scenario.id);
    if (previous && !previous.finished) previous.controller.abort();
    const run = {
      scenarioId: scenario.id,
      id: null,
      responsive: false,
      waiting: false,
      status: 'pending',
      execution: null,
      outputs: null,
      stats: null,
      error: null,
      retryOf: null,
      finished: false,
      stopping: false,
      startedAt: Date.now(),
      controller: new AbortController(),
      ...fields,
    };
    this.runs.set(scenario.id, run);
    return run;
  }

  /** Checks `data` in the browser (a JSON object), then runs. */
  async submitRun(event) {
    event.preventDefault();
    const scenario = this.selected();
    if (!scenario) return;
    this.dataError.hidden = true;
    const text = this.dataBox.value.trim();
    let data = {};
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (err) {
        return this.showDataError(`The data is not valid JSON: ${err.message}. Nothing was sent.`);
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        const kind = data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
        return this.showDataError(`The data must be a JSON object, like {"name": "ada"}, not ${kind}. Nothing was sent.`);
      }
    }
    this.inputs.set(scenario.id, this.dataBox.value);
    const responsive = this.responsiveBox.checked;
    const run = this.newRun(scenario, { responsive, waiting: responsive, status: responsive ? 'running' : 'pending' });
    this.renderResult();
    this.runSubmit.disabled = true;
    let reply;
    try {
      reply = await api('POST', path.run(scenario.id), { body: { data, responsive }, signal: run.controller.signal });
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      run.waiting = false;
      run.finished = true;
      if (is401(err)) return;
      this.failRun(run, err);
      return;
    } finally {
      this.runSubmit.disabled = false;
    }
    run.waiting = false;
    run.id = reply?.executionId || null;
    if (reply && ('outputs' in reply || 'stats' in reply)) {
      // 200: finished, with its outputs and stats.
      run.status = 'completed';
      run.finished = true;
      run.outputs = reply.outputs ?? {};
      run.stats = reply.stats || null;
      this.renderResult();
      this.loadRunExecution(run);
    } else {
      // 202: queued (or a responsive run still going after 40 s): follow it.
      run.status = 'pending';
      this.renderResult();
      this.follow(run);
    }
    this.afterRunStarted(run);
  }

  /** A refused or failed run: the API's code, message and details. */
  failRun(run, err) {
    const details = err instanceof ApiError && err.details && typeof err.details === 'object' ? err.details : {};
    run.error = {
      status: err instanceof ApiError ? err.status : 0,
      code: err instanceof ApiError ? err.code : 'ERROR',
      message: err.message,
      moduleId: details.moduleId ?? null,
      moduleName: details.moduleName ?? null,
      error: typeof details.error === 'string' ? details.error : null,
    };
    run.id = typeof details.executionId === 'string' ? details.executionId : null;
    if (err instanceof ApiError && (err.code === 'EXECUTION_ERROR' || err.code === 'TIMEOUT')) {
      // The run happened and ended badly.
      run.status = /stopped/i.test(err.message) ? 'stopped' : 'error';
    } else {
      run.status = null;  // refused: no execution
    }
    this.renderResult();
    if (run.id) {
      this.loadRunExecution(run);
      this.afterRunStarted(run);
    } else if (run.status) {
      this.refreshExecutions();
    }
    if (err instanceof ApiError && err.status === 404) this.refreshScenarios();
  }

  /** The run is listed and shown in the inspector. */
  afterRunStarted(run) {
    if (run.scenarioId !== this.selectedId) return;
    if (this.exec.filter) {
      this.exec.filter = '';
      this.filterSelect.value = '';
    }
    this.exec.offset = 0;
    this.refreshExecutions();
    if (run.id) this.inspect(run.id);
  }

  /** Fills a finished run's summary (duration, status) from its execution. */
  async loadRunExecution(run) {
    if (!run.id) return;
    try {
      const body = await api('GET', path.execution(run.scenarioId, run.id));
      run.execution = body.execution;
      if (body.execution?.status) run.status = body.execution.status;
      if (this.shownRun() === run) this.renderResult();
    } catch { /* the reply's own figures stay */ }
  }

  /** Polls the execution about every second until its status is final. */
  async follow(run) {
    const { signal } = run.controller;
    while (!run.finished && !signal.aborted) {
      try {
        const body = await api('GET', path.execution(run.scenarioId, run.id), { signal });
        this.updateRun(run, body.execution);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
          run.finished = true;
          if (err.status === 404) {
            run.status = null;
            run.error = { status: 404, code: err.code, message: err.message };
            if (this.shownRun() === run) this.renderResult();
          }
          return;
        }
        // A network hiccup: try again at the next tick.
      }
      if (run.finished) return;
      await pause(POLL_MS, signal);
    }
  }

  updateRun(run, execution) {
    if (!execution || run.finished) return;
    run.execution = execution;
    run.status = execution.status;
    if (isFinal(execution.status)) {
      run.finished = true;
      run.stopping = false;
      run.outputs = execution.outputs ?? null;
      run.stats = { operations: execution.operations, dataTransfer: execution.dataTransfer };
      if (execution.error) {
        run.error = {
          code: execution.error.code, message: execution.error.message,
          moduleId: execution.error.moduleId ?? null, moduleName: execution.error.moduleName ?? null,
        };
      }
      run.controller.abort();
      if (run.scenarioId === this.selectedId) this.refreshExecutions();
    }
    if (this.shownRun() === run) this.renderResult();
  }

  async stopRun(run) {
    if (!run || !run.id || run.finished || run.stopping) return;
    run.stopping = true;
    this.renderResult();
    await this.stopExecution(run.scenarioId, run.id);
    run.stopping = false;
    if (this.shownRun() === run) this.renderResult();
  }

  /** POST …/stop; the reply is the execution, shown wherever it is. */
  async stopExecution(scenarioId, eid) {
    try {
      const body = await api('POST', path.stopExecution(scenarioId, eid));
      const execution = body?.execution;
      const run = this.runs.get(scenarioId);
      if (run && run.id === eid) this.updateRun(run, execution);
      if (this.inspected?.id === eid) this.inspect(eid);
      if (scenarioId === this.selectedId) this.refreshExecutions();
      return execution;
    } catch (err) {
      if (!is401(err)) notify(`Could not stop the execution: ${err.message}`, 'error');
      return null;
    }
  }

  renderResult() {
    const run = this.shownRun();
    clearInterval(this.tick);
    if (!run) {
      this.result.hidden = true;
      delete this.runPanel.dataset.status;
      return;
    }
    const execution = run.execution || {};
    this.result.hidden = false;
    this.runPanel.dataset.status = run.status || 'refused';
    this.resultTitle.textContent = run.retryOf ? 'Retry' : 'Last run';
    replaceChildren(this.resultBadge, run.status ? badge(run.status) : null);
    const live = Boolean(run.id) && !run.finished;
    this.stopButton.hidden = !live;
    this.stopButton.disabled = run.stopping;
    replaceChildren(this.stopButton, icon('stop'), run.stopping ? 'Stopping…' : 'Stop');

    let note = '';
    if (run.waiting) note = `Waiting for the outputs (up to ${RESPONSIVE_WAIT_S} s)…`;
    else if (live) note = run.status === 'pending' ? 'Queued: following the execution…' : 'Running: following the execution…';
    this.resultNote.hidden = !note;
    this.resultNote.textContent = note;

    const stats = run.stats || (run.execution ? { operations: execution.operations, dataTransfer: execution.dataTransfer } : null);
    const items = [];
    if (run.id) items.push(['Execution', run.id, 'execution-id', 'meta-id']);
    if (run.retryOf) items.push(['Retry of', shortId(run.retryOf), 'retry-of', 'meta-id']);
    if (run.id || run.waiting) items.push(['Duration', this.durationText(run), 'duration']);
    if (stats && run.finished) {
      items.push(['Operations', String(stats.operations ?? 0), 'operations']);
      items.push(['Data transfer', formatBytes(stats.dataTransfer ?? 0), 'data-transfer']);
    }
    this.resultMeta.hidden = items.length === 0;
    replaceChildren(this.resultMeta, items.map(([label, value, field, extra]) => h('div', { class: ['meta-item', extra] },
      h('dt', { text: label }),
      h('dd', { dataset: { field }, text: value }))));

    this.renderError(this.resultError, run.error, run.status === null);

    const outputs = run.outputs;
    const hasOutputs = run.finished && outputs !== null && outputs !== undefined && !(run.error && Object.keys(outputs).length === 0);
    this.outputsLabel.hidden = !hasOutputs;
    this.outputs.hidden = !hasOutputs;
    this.outputs.textContent = hasOutputs ? pretty(outputs) : '';

    const actions = [];
    if (run.error?.code === 'SCENARIO_INACTIVE') {
      const scenario = this.selected();
      if (scenario && !scenario.isActive) {
        actions.push(h('button', {
          type: 'button', class: 'btn btn-small btn-primary', on: { click: () => this.toggle(scenario) },
        }, icon('play'), 'Activate scenario'));
      }
    }
    if (run.id) {
      actions.push(h('button', {
        type: 'button', class: 'btn btn-small', on: { click: () => this.inspect(run.id, { reveal: true, focus: true }) },
      }, icon('search'), 'Inspect execution'));
    }
    this.resultActions.hidden = actions.length === 0;
    replaceChildren(this.resultActions, actions);

    if (live || run.waiting) this.tick = setInterval(() => this.updateElapsed(), 250);
  }

  /**
   * An error box: the code, the message, and for a module error the module
   * (id and name) and its own message.
   */
  renderError(box, error, refused = false) {
    box.hidden = !error;
    if (!error) { replaceChildren(box); return; }
    const facts = [];
    if (error.moduleId !== null && error.moduleId !== undefined) {
      facts.push(['Module', error.moduleName ? `${error.moduleId} · ${error.moduleName}` : String(error.moduleId), 'module']);
    }
    if (error.error && error.error !== error.message) facts.push(['Error', error.error, 'error']);
    box.className = ['run-error-box', refused ? 'run-error-refused' : ''].filter(Boolean).join(' ');
    replaceChildren(box,
      h('p', { class: 'run-error-head' },
        h('span', { class: 'error-code', dataset: { field: 'code' }, text: error.code || 'ERROR' }),
        h('span', { class: 'error-message', dataset: { field: 'message' }, text: error.message || '' })),
      facts.length ? h('dl', { class: 'error-facts' },
        facts.map(([label, value, field]) => h('div', { class: 'error-fact' },
          h('dt', { text: label }),
          h('dd', { dataset: { field }, text: value })))) : null);
  }

  durationText(run) {
    const execution = run.execution || {};
    if (run.finished) {
      const ms = typeof execution.duration === 'number' ? execution.duration : null;
      return formatMillis(ms) || '—';
    }
    if (run.waiting) return `${Math.max(0, (Date.now() - run.startedAt) / 1000).toFixed(1)} s…`;
    if (run.status === 'pending') return 'queued…';
    const started = parseTime(execution.started);
    return started ? `${Math.max(0, (Date.now() - started) / 1000).toFixed(1)} s…` : 'running…';
  }

  updateElapsed() {
    const run = this.shownRun();
    const field = this.resultMeta.querySelector('[data-field="duration"]');
    if (!run || !field) return;
    field.textContent = this.durationText(run);
  }

  // ---------------------------------------------------------- inspector --

  page(direction) {
    const next = this.exec.offset + direction * PAGE_SIZE;
    if (next < 0 || (direction > 0 && next >= this.exec.total)) return;
    this.exec.offset = next;
    this.refreshExecutions();
  }

  async refreshExecutions() {
    const id = this.selectedId;
    if (id === null) return;
    const seq = ++this.exec.seq;
    clearTimeout(this.exec.timer);
    const { filter, offset } = this.exec;
    try {
      const body = await api('GET', path.executions(id, { limit: PAGE_SIZE, offset, status: filter }));
      if (seq !== this.exec.seq || id !== this.selectedId) return;
      const items = Array.isArray(body?.executions) ? body.executions : [];
      const total = Number(body?.pg?.total ?? items.length);
      if (items.length === 0 && offset > 0 && total > 0) {
        // The page emptied (executions of a deleted scenario, a new filter): the last page.
        this.exec.offset = Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE;
        this.refreshExecutions();
        return;
      }
      this.exec.items = items;
      this.exec.total = total;
      this.renderExecutions();
      if (this.visible && items.some((item) => !isFinal(item.status))) {
        this.exec.timer = setTimeout(() => this.refreshExecutions(), LIST_POLL_MS);
      }
    } catch (err) {
      if (seq !== this.exec.seq || is401(err)) return;
      this.execMessage.hidden = false;
      this.execMessage.className = 'panel-message alert alert-error';
      this.execMessage.textContent = `Could not load the executions: ${err.message}`;
    }
  }

  renderExecutions() {
    const { items, total, offset, filter } = this.exec;
    const focus = focusKey(this.execList, 'data-execution-id');
    if (items.length === 0) {
      this.execMessage.hidden = false;
      this.execMessage.className = 'panel-message';
      this.execMessage.textContent = filter ? `No executions with status ${filter}.` : 'This scenario has not run yet.';
    } else {
      this.execMessage.hidden = true;
    }
    this.execHead.hidden = items.length === 0;
    replaceChildren(this.execList, items.map((item) => this.execRow(item)));
    restoreFocus(this.execList, 'data-execution-id', focus);
    this.pager.hidden = total <= PAGE_SIZE && offset === 0;
    this.pagerText.textContent = items.length ? `${offset + 1}–${offset + items.length} of ${total}` : `0 of ${total}`;
    this.prevPage.disabled = offset === 0;
    this.nextPage.disabled = offset + PAGE_SIZE >= total;
  }

  execRow(item) {
    const current = this.inspected?.id === item.id;
    const when = item.started || item.created;
    const duration = formatMillis(item.duration);
    return h('li', { class: 'exec-item', dataset: { executionId: item.id, status: item.status } },
      h('button', {
        type: 'button', class: ['exec-row', current ? 'exec-row-current' : ''], 'aria-current': current ? 'true' : null,
        dataset: { role: 'row' },
        on: { click: () => this.inspect(item.id, { reveal: true }) },
      },
      badge(item.status),
      h('span', { class: 'exec-started' },
        h('span', { class: 'visually-hidden', text: 'started ' }),
        h('time', { datetime: when || '', title: formatFullTime(when), text: when ? formatTime(when) : '—' })),
      h('span', { class: 'exec-duration' },
        h('span', { class: 'visually-hidden', text: 'duration ' }),
        duration || (isFinal(item.status) ? '—' : 'in progress')),
      h('span', { class: 'exec-ops' },
        `${item.operations ?? 0}`, h('span', { class: 'exec-ops-unit', text: item.operations === 1 ? ' op' : ' ops' })),
      h('span', { class: 'exec-id' },
        h('span', { class: 'visually-hidden', text: 'execution ' }),
        h('code', { title: item.id, text: shortId(item.id) }),
        item.retryOf ? h('span', { class: 'exec-retry', title: `Retry of ${item.retryOf}` }, icon('repeat'), h('span', { class: 'visually-hidden', text: ' retry' })) : null)));
  }

  closeInspected() {
    this.inspected = null;
    this.graphNode = null;
    this.inspectSeq += 1;
    clearTimeout(this.inspectTimer);
    this.openModules.clear();
    this.detail.hidden = true;
  }

  /** Shows an execution's summary and its module runs; polls them while it runs. */
  async inspect(eid, { reveal = false, focus = false } = {}) {
    const scenarioId = this.selectedId;
    if (!eid || scenarioId === null) return;
    const seq = ++this.inspectSeq;
    clearTimeout(this.inspectTimer);
    if (this.inspected?.id !== eid) {
      this.inspected = { id: eid, execution: null, details: null, key: '' };
      this.openModules.clear();
      this.detail.hidden = false;
      this.detailTitle.textContent = `Execution ${shortId(eid)}`;
      replaceChildren(this.detailBadge);
      replaceChildren(this.detailMeta);
      this.detailError.hidden = true;
      this.detailOutputsLabel.hidden = true;
      this.detailOutputs.hidden = true;
      this.detailStop.hidden = true;
      this.retryButton.hidden = true;
      this.modulesCount.textContent = '';
      replaceChildren(this.moduleList);
      this.modulesMessage.hidden = false;
      this.modulesMessage.textContent = 'Loading…';
    }
    for (const row of this.execList.querySelectorAll('.exec-item')) {
      const mine = row.dataset.executionId === eid;
      const button = row.querySelector('.exec-row');
      button.classList.toggle('exec-row-current', mine);
      if (mine) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    if (reveal) this.reveal(this.detail);
    if (focus) this.detailTitle.focus({ preventScroll: true });
    const wasRunning = Boolean(this.inspected.execution) && !isFinal(this.inspected.execution.status);
    try {
      const [summary, details] = await Promise.all([
        api('GET', path.execution(scenarioId, eid)),
        api('GET', path.details(scenarioId, eid)),
        this.loadBlueprint(scenarioId),
      ]);
      if (seq !== this.inspectSeq) return;
      const key = JSON.stringify([summary.execution, details.execution]);
      if (key !== this.inspected.key) {
        this.inspected = { id: eid, execution: summary.execution, details: details.execution, key };
        this.renderDetail();
      }
      const status = summary.execution?.status;
      if (!isFinal(status)) {
        if (this.visible) this.inspectTimer = setTimeout(() => this.inspect(eid), POLL_MS);
      } else if (wasRunning) {
        this.refreshExecutions();
      }
    } catch (err) {
      if (seq !== this.inspectSeq || is401(err)) return;
      this.modulesMessage.hidden = false;
      this.modulesMessage.textContent = err instanceof ApiError && err.status === 404
        ? 'This execution no longer exists.'
        : `Could not load the execution: ${err.message}`;
      if (!(err instanceof ApiError) && this.visible) this.inspectTimer = setTimeout(() => this.inspect(eid), POLL_MS * 3);
    }
  }

  /** The scenario's blueprint, for the run graph (remembered until it is edited). */
  async loadBlueprint(scenarioId) {
    if (this.blueprints.has(scenarioId)) return;
    try {
      const body = await api('GET', path.blueprint(scenarioId));
      this.blueprints.set(scenarioId, body?.response?.blueprint ?? null);
    } catch {
      // No graph then; the module runs below still show.
    }
  }

  /** The run graph: each module's status and bundle count. */
  renderFlow(details) {
    const blueprint = this.blueprints.get(this.selectedId);
    this.flowBlock.hidden = !blueprint?.flow?.length;
    if (this.flowBlock.hidden) return;
    this.runStats = runStats(details);
    this.flowGraph.render(blueprint, { stats: this.runStats, selectedId: this.graphNode });
    if (this.graphNode !== null) this.showNode(this.graphNode, { focus: false });
    else replaceChildren(this.nodeDetail, h('p', { class: 'hint', text: 'Choose a module to see what it received and produced.' }));
  }

  /** What one module of the run received and produced (its last bundle). */
  showNode(id, { focus = true } = {}) {
    this.graphNode = id;
    const stat = this.runStats?.get(id);
    const blueprint = this.blueprints.get(this.selectedId);
    if (focus) this.flowGraph.render(blueprint, { stats: this.runStats, selectedId: id });
    const block = (label, value) => h('div', { class: 'module-block' },
      h('h5', { class: 'block-label', text: label }),
      h('pre', { class: 'json-block json-small', tabindex: '0', dataset: { field: `node-${label.toLowerCase()}` }, text: pretty(value ?? null) }));
    replaceChildren(this.nodeDetail,
      h('p', { class: 'flow-node-title', dataset: { moduleId: String(id) } },
        h('strong', { text: `#${id}` }), ' ',
        stat ? [badge(stat.status), ` ${stat.count} bundle${stat.count === 1 ? '' : 's'}`] : 'did not run'),
      stat?.error ? block('Error', stat.error) : null,
      stat ? [block('Input', stat.input), block('Output', stat.output)] : null);
    if (focus) this.flowGraph.focus(id);
  }

  renderDetail() {
    const { execution: e, details: d } = this.inspected;
    if (!e) return;
    this.renderFlow(d);
    this.detail.hidden = false;
    this.detail.dataset.status = e.status;
    this.detailTitle.textContent = `Execution ${shortId(e.id)}`;
    this.detailTitle.title = e.id;
    replaceChildren(this.detailBadge, badge(e.status));
    this.detailStop.hidden = isFinal(e.status);
    this.retryButton.hidden = !isRetryable(e.status);
    this.retryButton.disabled = false;
    this.retryButton.setAttribute('aria-label', `Retry execution ${shortId(e.id)}`);

    const meta = (label, value, field, { title = null, extra = '' } = {}) => h('div', { class: ['meta-item', extra] },
      h('dt', { text: label }), h('dd', { dataset: { field }, title, text: value }));
    const items = [
      meta('Started', e.started ? formatTime(e.started) : '—', 'started', { title: formatFullTime(e.started) || null }),
      meta('Finished', e.finished ? formatTime(e.finished) : '—', 'finished', { title: formatFullTime(e.finished) || null }),
      meta('Duration', formatMillis(e.duration) || (isFinal(e.status) ? '—' : 'in progress'), 'duration'),
      meta('Operations', String(e.operations ?? 0), 'operations'),
      meta('Data transfer', formatBytes(e.dataTransfer ?? 0), 'data-transfer'),
      meta('Execution', e.id, 'execution-id', { extra: 'meta-id' }),
    ];
    if (e.retryOf) {
      items.push(h('div', { class: 'meta-item meta-id' },
        h('dt', { text: 'Retry of' }),
        h('dd', { dataset: { field: 'retry-of' } },
          h('button', {
            type: 'button', class: 'link-button', title: e.retryOf,
            'aria-label': `Inspect execution ${shortId(e.retryOf)}, the one retried`,
            on: { click: () => this.inspect(e.retryOf, { reveal: true, focus: true }) },
          }, shortId(e.retryOf)))));
    }
    replaceChildren(this.detailMeta, items);

    this.renderError(this.detailError, e.error ? {
      code: e.error.code, message: e.error.message, moduleId: e.error.moduleId ?? null, moduleName: e.error.moduleName ?? null,
    } : null);

    const hasOutputs = e.outputs !== null && e.outputs !== undefined && !(e.error && Object.keys(e.outputs).length === 0);
    this.detailOutputsLabel.hidden = !hasOutputs;
    this.detailOutputs.hidden = !hasOutputs;
    this.detailOutputs.textContent = hasOutputs ? pretty(e.outputs) : '';

    const modules = Array.isArray(d?.modules) ? d.modules : [];
    this.modulesCount.textContent = modules.length ? ` (${modules.length})` : '';
    if (modules.length === 0) {
      this.modulesMessage.hidden = false;
      this.modulesMessage.textContent = isFinal(e.status) ? 'No module ran.' : 'No module has finished yet.';
    } else if (d.modulesTruncated) {
      this.modulesMessage.hidden = false;
      this.modulesMessage.textContent = 'Only the first module runs were recorded.';
    } else {
      this.modulesMessage.hidden = true;
    }
    const focus = focusKey(this.moduleList, 'data-index');
    replaceChildren(this.moduleList, modules.map((m, index) => this.moduleRow(m, index)));
    restoreFocus(this.moduleList, 'data-index', focus);
  }

  moduleRow(m, index) {
    const block = (label, value, extra = '') => h('div', { class: ['module-block', extra ? 'module-block-error' : ''] },
      h('h5', { class: ['block-label', extra ? 'block-label-error' : ''], text: label }),
      h('pre', {
        class: ['json-block', 'json-small', extra], tabindex: '0', dataset: { field: label.toLowerCase() },
        'aria-label': `${label} of module ${m.id}`, text: value,
      }));
    const details = h('details', {
      class: 'module-details',
      open: this.openModules.has(index),
      on: {
        toggle: () => {
          if (details.open) this.openModules.add(index);
          else this.openModules.delete(index);
        },
      },
    },
    h('summary', { class: 'module-summary', dataset: { role: 'summary' } },
      h('span', { class: 'module-id', dataset: { field: 'module-id' } },
        h('span', { class: 'visually-hidden', text: 'module ' }), String(m.id)),
      h('span', { class: 'module-name' },
        h('span', { class: 'module-label', dataset: { field: 'name' }, text: m.name || m.module }),
        m.module && m.module !== m.name ? h('code', { class: 'module-type', dataset: { field: 'module' }, text: m.module }) : null),
      badge(m.status),
      h('span', { class: 'module-facts' },
        h('span', { class: 'module-duration', dataset: { field: 'duration' } },
          h('span', { class: 'visually-hidden', text: 'duration ' }), formatMillis(m.duration) || '—'),
        h('span', { class: 'module-bundle', dataset: { field: 'bundle' }, title: 'Bundle: the how-many-th bundle this module processed' },
          `bundle ${m.bundle ?? 1}`))),
    h('div', { class: 'module-body' },
      m.error ? block('Error', String(m.error), 'error-log') : null,
      m.resources ? h('dl', { class: 'meta module-resources', dataset: { field: 'resources' } },
        resourceItems(m.resources).map(([label, value, field]) => h('div', { class: 'meta-item' },
          h('dt', { text: label }), h('dd', { dataset: { field }, text: value })))) : null,
      block('Input', pretty(m.input ?? null)),
      block('Output', pretty(m.output ?? null))));
    return h('li', {
      class: ['module-run', `module-run-${m.status}`],
      dataset: { index: String(index), moduleId: String(m.id), status: String(m.status) },
    }, details);
  }

  async stopInspected() {
    const eid = this.inspected?.id;
    if (!eid) return;
    this.detailStop.disabled = true;
    replaceChildren(this.detailStop, icon('stop'), 'Stopping…');
    await this.stopExecution(this.selectedId, eid);
    this.detailStop.disabled = false;
    replaceChildren(this.detailStop, icon('stop'), 'Stop');
  }

  /** POST …/retry, then follows the new execution in the run panel and here. */
  async retry(eid) {
    const scenario = this.selected();
    if (!eid || !scenario) return;
    this.retryButton.disabled = true;
    try {
      const body = await api('POST', path.retry(scenario.id, eid));
      const run = this.newRun(scenario, { id: body.executionId, retryOf: eid, status: 'pending' });
      this.renderResult();
      this.follow(run);
      notify('Retrying: a new execution resumes at the module that failed.', 'success');
      this.afterRunStarted(run);
    } catch (err) {
      this.retryButton.disabled = false;
      if (!is401(err)) notify(`Could not retry: ${err.message}`, 'error');
    }
  }

  // ------------------------------------------------------------- forms --

  async openForm(scenario) {
    const editing = Boolean(scenario);
    let blueprintValue = EXAMPLE_BLUEPRINT;
    if (editing) {
      try {
        const body = await api('GET', path.blueprint(scenario.id));
        blueprintValue = body?.response?.blueprint ?? { flow: [] };
      } catch (err) {
        if (!is401(err)) notify(`Could not load the blueprint of “${scenario.name}”: ${err.message}`, 'error');
        return;
      }
    }
    const titleId = 'scenario-form-title';
    const field = (id, label, control, hint) => h('div', { class: 'field' },
      h('label', { for: id, text: label }),
      control,
      hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null);

    const lastTeam = this.scenarios.length ? this.sorted()[0].teamId : 1;
    const name = h('input', {
      id: 'sf-name', name: 'name', type: 'text', required: true, maxlength: '400', autocomplete: 'off',
      value: scenario?.name ?? '',
    });
    const team = h('input', {
      id: 'sf-team', name: 'teamId', type: 'number', required: true, step: '1', inputmode: 'numeric',
      value: String(scenario?.teamId ?? lastTeam), disabled: editing, 'aria-describedby': 'sf-team-hint',
    });
    const kind = h('select', { id: 'sf-scheduling', name: 'scheduling', class: 'select-field' },
      h('option', { value: 'on-demand', text: 'On demand' }),
      h('option', { value: 'indefinitely', text: 'Indefinitely, at an interval' }),
      h('option', { value: 'cron', text: 'On a schedule (cron)' }));
    kind.value = ['indefinitely', 'cron'].includes(scenario?.scheduling?.type) ? scenario.scheduling.type : 'on-demand';
    const cron = scheduleInputs('sf-schedule', scenario?.scheduling?.type === 'cron' ? scenario.scheduling : null);
    const cronField = h('div', { class: 'field-row' },
      field('sf-schedule-cron', 'Cron', cron.cron, CRON_HINT),
      field('sf-schedule-zone', 'Time zone', cron.zone),
      cron.zones);
    const interval = h('input', {
      id: 'sf-interval', name: 'interval', type: 'number', min: '1', step: '1', inputmode: 'numeric',
      value: String(scenario?.scheduling?.interval ?? 900), 'aria-describedby': 'sf-interval-hint',
    });
    const maxDuration = h('input', {
      id: 'sf-max', name: 'maxDuration', type: 'number', required: true, min: '1', max: String(MAX_DURATION), step: '1',
      inputmode: 'numeric', value: String(scenario?.maxDuration ?? MAX_DURATION), 'aria-describedby': 'sf-max-hint',
    });
    // References offer the fields the inspected run's modules output.
    const lastRun = editing && this.inspected?.details && this.selectedId === scenario.id ? this.inspected.details : null;
    const runOutputs = new Map([...runStats(lastRun).entries()].map(([id, stat]) => [id, stat.output]));
    const editor = new FlowEditor({ blueprint: blueprintValue, jsonId: 'sf-blueprint', runOutputs });
    const blueprint = editor.json;
    const intervalField = field('sf-interval', 'Interval (seconds)', interval, 'Runs at once when activated, then at this interval.');
    const error = h('p', { class: 'alert alert-error form-error', role: 'alert', hidden: true });
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
    const saveLabel = editing ? 'Save changes' : 'Create scenario';
    const save = h('button', { type: 'submit', class: 'btn btn-primary', text: saveLabel });
    const close = h('button', { type: 'button', class: 'btn btn-ghost btn-icon modal-close', 'aria-label': 'Close' }, icon('close'));

    const syncKind = () => {
      intervalField.hidden = kind.value !== 'indefinitely';
      cronField.hidden = kind.value !== 'cron';
    };
    kind.addEventListener('change', syncKind);
    syncKind();

    const form = h('form', { class: 'scenario-form', novalidate: true },
      h('header', { class: 'modal-head' },
        h('h2', { class: 'modal-title', id: titleId, text: editing ? `Edit “${scenario.name}”` : 'New scenario' }),
        close),
      h('div', { class: 'modal-body' },
        field('sf-name', 'Name', name),
        h('div', { class: 'field-row field-row-3' },
          field('sf-team', 'Team ID', team, editing ? 'Fixed once created.' : 'The team it belongs to.'),
          field('sf-scheduling', 'Scheduling', kind),
          field('sf-max', 'Max duration', maxDuration, `Seconds, 1 to ${MAX_DURATION}`)),
        intervalField,
        cronField,
        h('div', { class: 'field' }, h('span', { class: 'field-label', text: 'Flow' }), editor.element),
        field('sf-blueprint', 'Blueprint (JSON)', blueprint,
          'The same flow as JSON, kept in step with the graph: scenario-service:StartSubscenario first, {{var.input.NAME}} for the run’s data, {{ID.field}} for a module’s output, scenario-service:ReturnData for the outputs.'),
        editor.jsonError,
        error),
      h('footer', { class: 'modal-actions' }, cancel, save));
    const dialog = h('dialog', { class: 'modal modal-wide modal-scenario modal-builder', 'aria-labelledby': titleId }, form);

    const showError = (message, control) => {
      error.hidden = false;
      error.textContent = message;
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        control.focus();
      }
    };
    for (const control of [name, team, interval, maxDuration, blueprint, cron.cron, cron.zone]) {
      control.addEventListener('input', () => control.removeAttribute('aria-invalid'));
    }
    cancel.addEventListener('click', () => dialog.close());
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (!name.value.trim()) return showError('Name is required.', name);
      const teamId = Number(team.value);
      if (!editing && (team.value.trim() === '' || !Number.isInteger(teamId))) {
        return showError('Team ID must be a whole number.', team);
      }
      const scheduling = { type: kind.value };
      if (kind.value === 'indefinitely') {
        const seconds = Number(interval.value);
        if (interval.value.trim() === '' || !Number.isInteger(seconds) || seconds < 1) {
          return showError('Interval must be a whole number of seconds, at least 1.', interval);
        }
        scheduling.interval = seconds;
      }
      if (kind.value === 'cron') {
        const chosen = cron.read();
        if (!chosen) return showError('Enter a cron expression, e.g. 0 9 * * mon-fri.', cron.cron);
        Object.assign(scheduling, chosen);
      }
      const max = Number(maxDuration.value);
      if (maxDuration.value.trim() === '' || !Number.isInteger(max) || max < 1 || max > MAX_DURATION) {
        return showError(`Max duration must be a whole number of seconds from 1 to ${MAX_DURATION}.`, maxDuration);
      }
      let parsed;
      try {
        parsed = JSON.parse(blueprint.value);
      } catch (err) {
        return showError(`The blueprint is not valid JSON: ${err.message}. Nothing was sent.`, blueprint);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return showError('The blueprint must be a JSON object: {"name", "flow": [modules]}. Nothing was sent.', blueprint);
      }
      const payload = { name: name.value.trim(), scheduling, maxDuration: max, blueprint: parsed };
      save.disabled = true;
      save.textContent = 'Saving…';
      try {
        const body = editing
          ? await api('PATCH', path.scenario(scenario.id), { body: payload })
          : await api('POST', path.create(teamId), { body: payload });
        const saved = body.scenario;
        dialog.close();
        notify(editing ? `Saved “${saved.name}”.` : `Created “${saved.name}”. It is paused until you activate it.`, 'success');
        this.blueprints.delete(saved.id);
        this.replaceScenario(saved);
        this.select(saved.id, { reveal: !editing });
      } catch (err) {
        if (is401(err)) { dialog.close(); return; }
        const message = err.message;
        const target = /blueprint|module/i.test(message) ? blueprint
          : /interval/i.test(message) ? interval
            : /time zone/i.test(message) ? cron.zone
              : /cron/i.test(message) ? cron.cron
            : /maxDuration/i.test(message) ? maxDuration
              : /teamId/i.test(message) ? team
                : /name/i.test(message) ? name : null;
        showError(message, target);
        if (err instanceof ApiError && err.status === 404) this.refreshScenarios();
      } finally {
        save.disabled = false;
        save.textContent = saveLabel;
      }
    });

    document.body.append(dialog);
    dialog.showModal();
    name.focus();
  }

  async remove(scenario) {
    if (!scenario) return;
    const confirmed = await confirmDialog({
      title: `Delete “${scenario.name}”?`,
      message: 'The scenario is removed for everybody, with its schedule. This cannot be undone.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api('DELETE', path.scenario(scenario.id));
      notify(`Deleted “${scenario.name}”.`, 'success');
      const run = this.runs.get(scenario.id);
      if (run) run.controller.abort();
      this.runs.delete(scenario.id);
      this.scenarios = this.scenarios.filter((s) => s.id !== scenario.id);
      if (this.selectedId === scenario.id) {
        this.selectedId = null;
        this.closeInspected();
        if (/^#\/scenarios\/\d/.test(location.hash)) history.replaceState(null, '', '#/scenarios');
      }
      this.renderList();
      this.afterListChange();
      this.refreshScenarios();
    } catch (err) {
      if (!is401(err)) notify(`Could not delete “${scenario.name}”: ${err.message}`, 'error');
    }
  }
}
