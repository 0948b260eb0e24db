// The Scenarios view's execution inspector: a scenario's executions,
// paginated and filtered by status; for one of them its summary, the run's
// graph (each module's status and bundle count; a click shows its input
// and output) and its module runs; Stop and Retry. Methods of the view
// (scenarios.js).

import {
  h, api, ApiError, is401, badge, icon, notify, replaceChildren, formatTime, formatFullTime, formatMillis, formatBytes, resourceItems, refreshButton, panelMessage, metaItem,
} from './core.js';
import { FlowGraph } from './graph.js';
import { runStats } from './flow.js';
import {
  PAGE_SIZE, POLL_MS, LIST_POLL_MS, STATUSES, path, isFinal, isRetryable, pretty, shortId, focusKey, restoreFocus,
} from './scenario-common.js';

export class ScenarioInspector {
  buildInspector() {
    this.filterSelect = h('select', {
      id: 'sx-status', class: 'select',
      on: { change: () => { this.exec.filter = this.filterSelect.value; this.exec.offset = 0; this.refreshExecutions(); } },
    }, h('option', { value: '', text: 'All statuses' }), STATUSES.map((s) => h('option', { value: s, text: s })));
    const refresh = refreshButton('Refresh executions', () => { this.refreshExecutions(); if (this.inspected) this.inspect(this.inspected.id); });
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
      panelMessage(this.execMessage, `Could not load the executions: ${err.message}`, { error: true });
    }
  }

  renderExecutions() {
    const { items, total, offset, filter } = this.exec;
    const focus = focusKey(this.execList, 'data-execution-id');
    panelMessage(this.execMessage, items.length ? null
      : filter ? `No executions with status ${filter}.` : 'This scenario has not run yet.');
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

    const items = [
      metaItem('Started', e.started ? formatTime(e.started) : '—', { field: 'started', title: formatFullTime(e.started) }),
      metaItem('Finished', e.finished ? formatTime(e.finished) : '—', { field: 'finished', title: formatFullTime(e.finished) }),
      metaItem('Duration', formatMillis(e.duration) || (isFinal(e.status) ? '—' : 'in progress'), { field: 'duration' }),
      metaItem('Operations', String(e.operations ?? 0), { field: 'operations' }),
      metaItem('Data transfer', formatBytes(e.dataTransfer ?? 0), { field: 'data-transfer' }),
      metaItem('Execution', e.id, { field: 'execution-id', extra: 'meta-id' }),
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
        resourceItems(m.resources).map(([label, value, field]) => metaItem(label, value, { field }))) : null,
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
}
