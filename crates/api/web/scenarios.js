// The Scenarios view: the scenarios with their active/paused switch, the
// run panel (a JSON `data` object, responsive or followed by polling, with
// Stop), the execution inspector (a scenario's executions, paginated and
// filtered by status; for one of them its summary and its module runs with
// their input, output and error; Retry) and the forms that create, edit and
// delete scenarios.


import {
  h, api, ApiError, is401, icon, notify, replaceChildren, nextRunText, refreshButton,
} from './core.js';
import {
  path, formatSeconds, schedulingText, focusKey, restoreFocus,
} from './scenario-common.js';
import { ScenarioRuns } from './scenario-runs.js';
import { ScenarioInspector } from './scenario-inspector.js';
import { ScenarioForms } from './scenario-form.js';

export default {
  id: 'scenarios',
  label: 'Scenarios',
  create: (shell) => new ScenariosView(shell),
};

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
    const refresh = refreshButton('Refresh scenarios', () => this.refreshScenarios());
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
}

// The view's parts, each in a file of its own, are methods of the view.
for (const part of [ScenarioRuns, ScenarioInspector, ScenarioForms]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name !== 'constructor') {
      Object.defineProperty(ScenariosView.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
    }
  }
}
