// The Scenarios view's run panel: the data to run a scenario with (checked
// against its interface), responsive runs and runs followed by polling,
// Stop, and the last run's result. Methods of the view (scenarios.js).

import {
  h, api, ApiError, is401, badge, icon, notify, replaceChildren, formatMillis, formatBytes, parseTime, pause, metaItem,
} from './core.js';
import {
  POLL_MS, RESPONSIVE_WAIT_S, path, isFinal, pretty, shortId,
} from './scenario-common.js';

export class ScenarioRuns {
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
    replaceChildren(this.resultMeta, items.map(([label, value, field, extra]) => metaItem(label, value, { field, extra })));

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
}
