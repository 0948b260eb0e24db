// The Scenarios view's forms: create and edit a scenario (name, team,
// scheduling, time limit, and its flow in the builder), delete one.
// Methods of the view (scenarios.js).

import {
  h, api, ApiError, is401, notify, confirmDialog, CRON_HINT, scheduleInputs, formField, openFormDialog,
} from './core.js';
import { FlowEditor } from './builder.js';
import { runStats } from './flow.js';
import {
  MAX_DURATION, EXAMPLE_BLUEPRINT, path,
} from './scenario-common.js';

export class ScenarioForms {
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
      formField('sf-schedule-cron', 'Cron', cron.cron, CRON_HINT),
      formField('sf-schedule-zone', 'Time zone', cron.zone),
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
    const intervalField = formField('sf-interval', 'Interval (seconds)', interval, 'Runs at once when activated, then at this interval.');

    const syncKind = () => {
      intervalField.hidden = kind.value !== 'indefinitely';
      cronField.hidden = kind.value !== 'cron';
    };
    kind.addEventListener('change', syncKind);
    syncKind();

    openFormDialog({
      title: editing ? `Edit “${scenario.name}”` : 'New scenario',
      formClass: 'scenario-form',
      dialogClass: 'modal modal-wide modal-scenario modal-builder',
      saveLabel: editing ? 'Save changes' : 'Create scenario',
      body: [
        formField('sf-name', 'Name', name),
        h('div', { class: 'field-row field-row-3' },
          formField('sf-team', 'Team ID', team, editing ? 'Fixed once created.' : 'The team it belongs to.'),
          formField('sf-scheduling', 'Scheduling', kind),
          formField('sf-max', 'Max duration', maxDuration, `Seconds, 1 to ${MAX_DURATION}`)),
        intervalField,
        cronField,
        h('div', { class: 'field' }, h('span', { class: 'field-label', text: 'Flow' }), editor.element),
        formField('sf-blueprint', 'Blueprint (JSON)', blueprint,
          'The same flow as JSON, kept in step with the graph: scenario-service:StartSubscenario first, {{var.input.NAME}} for the run’s data, {{ID.field}} for a module’s output, scenario-service:ReturnData for the outputs.'),
        editor.jsonError,
      ],
      controls: [name, team, interval, maxDuration, blueprint, cron.cron, cron.zone],
      focus: name,
      submit: (showError) => {
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
        return () => (editing
          ? api('PATCH', path.scenario(scenario.id), { body: payload })
          : api('POST', path.create(teamId), { body: payload }));
      },
      saved: (body) => {
        const saved = body.scenario;
        notify(editing ? `Saved “${saved.name}”.` : `Created “${saved.name}”. It is paused until you activate it.`, 'success');
        this.blueprints.delete(saved.id);
        this.replaceScenario(saved);
        this.select(saved.id, { reveal: !editing });
      },
      failed: (err) => {
        if (err instanceof ApiError && err.status === 404) this.refreshScenarios();
        const message = err.message;
        return /blueprint|module/i.test(message) ? blueprint
          : /interval/i.test(message) ? interval
            : /time zone/i.test(message) ? cron.zone
              : /cron/i.test(message) ? cron.cron
                : /maxDuration/i.test(message) ? maxDuration
                  : /teamId/i.test(message) ? team
                    : /name/i.test(message) ? name : null;
      },
    });
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
