// The scenario builder: the blueprint as a graph to click (graph.js), a
// palette to add any module runbox runs, a form per module (its mapper's
// fields, a filter, an error handler; references to earlier modules'
// output fields inserted with a click), reorder and delete, and the
// blueprint's JSON, kept in sync both ways: an edit in the form rewrites
// the JSON, a valid edit of the JSON redraws the graph and the form.

import { h, icon, replaceChildren } from './core.js';
import {
  MODULES, GROUPS, OPERATORS, ERROR_HANDLERS, moduleInfo, moduleName, newModule, insertModule,
  moveModule, deleteModule, findModule, earlierModules, outputFields, nextId,
} from './flow.js';
import { FlowGraph } from './graph.js';

const clone = (value) => JSON.parse(JSON.stringify(value));
const pretty = (value) => JSON.stringify(value, null, 2);

/** A number when the text is one, else the text (an IML template, say). */
function numberOrText(text) {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

/** JSON when the text is JSON, else the text (an IML template, say). */
function jsonOrText(text) {
  try { return JSON.parse(text); } catch { return text; }
}

const showValue = (value) => (value === undefined || value === null ? ''
  : typeof value === 'string' ? value : JSON.stringify(value));

export class FlowEditor {
  /**
   * `blueprint`: the starting blueprint; `jsonId`: the id of the JSON
   * textarea (its label is the caller's); `runOutputs`: module id → the
   * output of its last run, for references.
   */
  constructor({ blueprint, jsonId, runOutputs = new Map() }) {
    this.blueprint = clone(blueprint);
    this.blueprint.flow = Array.isArray(this.blueprint.flow) ? this.blueprint.flow : [];
    this.runOutputs = runOutputs;
    this.selectedId = this.blueprint.flow[0]?.id ?? null;
    this.lastField = null;
    this.graph = new FlowGraph({ onSelect: (id) => this.select(id), label: 'Scenario flow: choose a module to edit it' });
    this.json = h('textarea', {
      id: jsonId, name: 'blueprint', rows: '10', wrap: 'off', spellcheck: 'false', autocapitalize: 'off',
      autocomplete: 'off', class: 'mono blueprint-box', 'aria-describedby': `${jsonId}-hint`,
      on: { input: () => this.fromJson() },
    });
    this.jsonError = h('p', { class: 'hint flow-json-error', role: 'status' });
    this.addType = h('select', { id: 'fb-type', class: 'select-field', 'aria-label': 'Module to add' },
      GROUPS.map((group) => h('optgroup', { label: group },
        Object.entries(MODULES).filter(([, info]) => info.group === group)
          .map(([type, info]) => h('option', { value: type, text: info.label })))));
    this.addType.value = 'util:SetVariable2';
    const addButton = h('button', {
      type: 'button', class: 'btn btn-small', on: { click: () => this.add() },
    }, icon('plus'), 'Add after selected');
    this.form = h('div', { class: 'flow-form', 'aria-live': 'polite' });
    this.element = h('div', { class: 'flow-editor' },
      h('div', { class: 'flow-palette', role: 'group', 'aria-label': 'Add a module' },
        h('label', { class: 'visually-hidden', for: 'fb-type', text: 'Module to add' }),
        this.addType, addButton),
      h('div', { class: 'flow-work' }, this.graph.element, this.form));
    this.render();
  }

  /** The blueprint as it stands. */
  value() {
    return clone(this.blueprint);
  }

  /** The blueprint changed in the form or the graph. */
  changed({ keepForm = false } = {}) {
    if (document.activeElement !== this.json) this.json.value = pretty(this.blueprint);
    this.json.removeAttribute('aria-invalid');
    this.jsonError.textContent = '';
    this.graph.render(this.blueprint, { selectedId: this.selectedId });
    if (!keepForm) this.renderForm();
  }

  render() {
    this.json.value = pretty(this.blueprint);
    this.graph.render(this.blueprint, { selectedId: this.selectedId });
    this.renderForm();
  }

  fromJson() {
    let parsed;
    try {
      parsed = JSON.parse(this.json.value);
    } catch (err) {
      this.jsonError.textContent = `Not valid JSON yet (${err.message}): the graph shows the last valid blueprint.`;
      return;
    }
    if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.flow)) {
      this.jsonError.textContent = 'A blueprint is an object with a "flow" list: the graph shows the last valid one.';
      return;
    }
    this.jsonError.textContent = '';
    this.blueprint = parsed;
    if (!findModule(this.blueprint, this.selectedId)) this.selectedId = this.blueprint.flow[0]?.id ?? null;
    this.graph.render(this.blueprint, { selectedId: this.selectedId });
    this.renderForm();
  }

  select(id) {
    this.selectedId = id;
    this.graph.render(this.blueprint, { selectedId: id });
    this.renderForm();
    this.form.querySelector('input, textarea, select')?.focus();
  }

  add(into = null) {
    const module = newModule(this.blueprint, this.addType.value);
    if (into) insertModule(this.blueprint, module, into);
    else insertModule(this.blueprint, module, { afterId: this.selectedId });
    this.selectedId = module.id;
    this.changed();
    this.graph.focus(module.id);
  }

  // --------------------------------------------------------------- form --

  renderForm() {
    const found = this.selectedId === null ? null : findModule(this.blueprint, this.selectedId);
    if (!found) {
      replaceChildren(this.form, h('p', { class: 'hint', text: 'Add a module, or choose one in the graph to edit it.' }));
      return;
    }
    const { module } = found;
    const info = moduleInfo(module.module);
    const section = (title, ...children) => h('fieldset', { class: 'flow-section' }, h('legend', { text: title }), ...children);
    const name = this.input('fb-name', 'Module name', module.metadata?.designer?.name ?? '', (text) => {
      module.metadata = module.metadata || {};
      module.metadata.designer = { ...(module.metadata.designer || {}), name: text };
      if (!text) delete module.metadata.designer.name;
    });
    replaceChildren(this.form,
      h('div', { class: 'flow-form-head' },
        h('h3', { class: 'flow-form-title', text: `#${module.id} · ${info.label}` }),
        h('code', { class: 'module-type', text: module.module })),
      name,
      info.fields.map((field) => this.field(module, field)),
      info.router ? this.routesControl(module) : null,
      info.trigger || info.router || info.directive ? null : section('Filter', this.filterControl(module)),
      info.trigger || info.directive ? null : section('Error handler', this.errorControl(module)),
      info.directive ? h('p', { class: 'hint', text: 'An error handler: choose another in its module’s form.' }) : this.references(module),
      h('div', { class: 'flow-form-actions' },
        h('button', { type: 'button', class: 'btn btn-small', on: { click: () => this.move(module.id, -1) } }, icon('chevron-left'), 'Move earlier'),
        h('button', { type: 'button', class: 'btn btn-small', on: { click: () => this.move(module.id, 1) } }, 'Move later', icon('chevron-right')),
        h('button', {
          type: 'button', class: 'btn btn-small btn-danger-ghost', on: { click: () => this.remove(module.id) },
        }, icon('trash'), 'Delete module')));
  }

  /** A labelled text input whose every edit goes to `write`. */
  input(id, label, value, write, { area = false, hint = null } = {}) {
    const control = h(area ? 'textarea' : 'input', {
      id, type: area ? null : 'text', class: area ? 'mono' : null, rows: area ? '6' : null,
      spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', value,
      on: {
        input: () => { write(control.value); this.changed({ keepForm: true }); },
        focus: () => { this.lastField = control; },
      },
    });
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), control,
      hint ? h('p', { class: 'hint', text: hint }) : null);
  }

  field(module, [where, key, label, kind, options]) {
    const id = `fb-${where}-${key || 'all'}`;
    const bag = () => { module[where] = module[where] || {}; return module[where]; };
    const current = (module[where] || {})[key];
    const set = (value) => {
      if (value === '' || value === undefined) delete bag()[key];
      else bag()[key] = value;
      if (module[where] && Object.keys(module[where]).length === 0) delete module[where];
    };
    switch (kind) {
      case 'number':
        return this.input(id, label, showValue(current), (text) => set(text === '' ? '' : numberOrText(text)));
      case 'area':
        return this.input(id, label, showValue(current), set, { area: true });
      case 'json':
        return this.input(id, label, current === undefined ? '' : typeof current === 'string' ? current : pretty(current),
          (text) => set(text === '' ? '' : jsonOrText(text)), { area: true, hint: 'JSON, or text with {{…}} references.' });
      case 'select': {
        const select = h('select', {
          id, class: 'select-field',
          on: { change: () => { set(select.value === '' ? '' : select.value === 'true' ? true : select.value === 'false' ? false : select.value); this.changed({ keepForm: true }); } },
        }, h('option', { value: '', text: '—' }), options.map((o) => h('option', { value: o, text: o })));
        select.value = current === undefined ? '' : String(current);
        return h('div', { class: 'field' }, h('label', { for: id, text: label }), select);
      }
      case 'pairs':
        return this.rows(id, label, Array.isArray(current) ? current : [], (rows) => set(rows.length ? rows : ''));
      case 'outputs': {
        const mapper = module.mapper || {};
        const rows = Object.entries(mapper).map(([name, value]) => ({ name, value: showValue(value) }));
        return this.rows(id, label, rows, (list) => {
          module.mapper = Object.fromEntries(list.filter((r) => r.name).map((r) => [r.name, r.value]));
        }, { nameLabel: 'Output', valueLabel: 'Value' });
      }
      default:
        return this.input(id, label, showValue(current), set);
    }
  }

  /** Rows of name and value inputs with Add and Remove. */
  rows(id, label, initial, write, { nameLabel = 'Name', valueLabel = 'Value' } = {}) {
    const rows = initial.map((r) => ({ name: r.name ?? '', value: showValue(r.value) }));
    const list = h('div', { class: 'flow-rows' });
    const save = () => { write(rows.map((r) => ({ name: r.name, value: r.value }))); this.changed({ keepForm: true }); };
    const draw = () => {
      replaceChildren(list, rows.map((row, index) => {
        const name = h('input', {
          type: 'text', class: 'mono', value: row.name, 'aria-label': `${label} ${index + 1}: ${nameLabel.toLowerCase()}`,
          on: { input: () => { row.name = name.value; save(); }, focus: () => { this.lastField = name; } },
        });
        const value = h('input', {
          type: 'text', class: 'mono', value: row.value, 'aria-label': `${label} ${index + 1}: ${valueLabel.toLowerCase()}`,
          on: { input: () => { row.value = value.value; save(); }, focus: () => { this.lastField = value; } },
        });
        return h('div', { class: 'flow-row' }, name, value,
          h('button', {
            type: 'button', class: 'btn btn-ghost btn-icon btn-small', 'aria-label': `Remove ${label.toLowerCase()} ${index + 1}`,
            on: { click: () => { rows.splice(index, 1); save(); draw(); } },
          }, icon('close')));
      }));
    };
    draw();
    return h('div', { class: 'field', id },
      h('span', { class: 'field-label', text: label }),
      list,
      h('button', {
        type: 'button', class: 'btn btn-small btn-ghost', on: { click: () => { rows.push({ name: '', value: '' }); draw(); list.querySelector('.flow-row:last-child input')?.focus(); } },
      }, icon('plus'), `Add ${nameLabel.toLowerCase()}`));
  }

  routesControl(router) {
    return h('fieldset', { class: 'flow-section' }, h('legend', { text: 'Routes' }),
      h('p', { class: 'hint', text: 'Each route runs in order; its first module’s filter decides whether a bundle takes it.' }),
      (router.routes || []).map((route, index) => h('div', { class: 'flow-route' },
        h('span', { text: `Route ${index + 1}: ${route.flow.length} module${route.flow.length === 1 ? '' : 's'}` }),
        h('button', {
          type: 'button', class: 'btn btn-small',
          on: { click: () => this.add({ intoRouter: router.id, route: index }) },
        }, icon('plus'), `Add to route ${index + 1}`),
        h('button', {
          type: 'button', class: 'btn btn-small btn-ghost btn-danger-ghost', 'aria-label': `Delete route ${index + 1}`,
          on: { click: () => { router.routes.splice(index, 1); this.changed(); } },
        }, icon('trash')))),
      h('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        on: { click: () => { router.routes = router.routes || []; router.routes.push({ flow: [] }); this.changed(); } },
      }, icon('plus'), 'Add a route'));
  }

  filterControl(module) {
    const filter = module.filter || { name: '', conditions: [] };
    const groups = filter.conditions || [];
    const save = () => {
      const kept = groups.map((group) => group.filter((c) => c.a || c.b)).filter((group) => group.length);
      if (kept.length || filter.name) module.filter = { name: filter.name || '', conditions: kept };
      else delete module.filter;
      this.changed({ keepForm: true });
    };
    const body = h('div', { class: 'flow-filter' });
    const draw = () => {
      replaceChildren(body,
        this.input('fb-filter-name', 'Filter name', filter.name || '', (text) => { filter.name = text; save(); }),
        groups.map((group, g) => h('div', { class: 'flow-filter-group' },
          g > 0 ? h('p', { class: 'flow-or', text: 'or' }) : null,
          group.map((condition, c) => {
            const label = `Condition ${g + 1}.${c + 1}`;
            const a = h('input', {
              type: 'text', class: 'mono', value: showValue(condition.a), 'aria-label': `${label}: value`,
              on: { input: () => { condition.a = a.value; save(); }, focus: () => { this.lastField = a; } },
            });
            const op = h('select', {
              class: 'select-field', 'aria-label': `${label}: operator`,
              on: { change: () => { condition.o = op.value; save(); } },
            }, OPERATORS.map((o) => h('option', { value: o, text: o })));
            op.value = condition.o || 'text:equal';
            const b = h('input', {
              type: 'text', class: 'mono', value: showValue(condition.b), 'aria-label': `${label}: compared with`,
              on: { input: () => { condition.b = b.value; save(); }, focus: () => { this.lastField = b; } },
            });
            return h('div', { class: 'flow-condition' }, a, op, b,
              h('button', {
                type: 'button', class: 'btn btn-ghost btn-icon btn-small', 'aria-label': `Remove ${label.toLowerCase()}`,
                on: { click: () => { group.splice(c, 1); if (!group.length) groups.splice(g, 1); save(); draw(); } },
              }, icon('close')));
          }),
          h('button', {
            type: 'button', class: 'btn btn-small btn-ghost',
            on: { click: () => { group.push({ a: '', o: 'text:equal', b: '' }); draw(); } },
          }, icon('plus'), 'And'))),
        h('button', {
          type: 'button', class: 'btn btn-small btn-ghost',
          on: { click: () => { groups.push([{ a: '', o: 'text:equal', b: '' }]); filter.conditions = groups; draw(); } },
        }, icon('plus'), groups.length ? 'Or' : 'Add a condition'));
    };
    filter.conditions = groups;
    draw();
    return body;
  }

  errorControl(module) {
    const current = Array.isArray(module.onerror) ? module.onerror[0]?.module ?? '' : '';
    const select = h('select', {
      id: 'fb-onerror', class: 'select-field',
      on: {
        change: () => {
          if (select.value) module.onerror = [{ id: nextId(this.blueprint), module: select.value }];
          else delete module.onerror;
          this.changed({ keepForm: true });
        },
      },
    }, ERROR_HANDLERS.map(([value, text]) => h('option', { value, text })));
    select.value = ERROR_HANDLERS.some(([value]) => value === current) ? current : '';
    return h('div', { class: 'field' }, h('label', { for: 'fb-onerror', text: 'When this module fails' }), select);
  }

  /** Earlier modules' output fields as buttons inserting `{{ID.field}}`. */
  references(module) {
    const earlier = earlierModules(this.blueprint, module.id);
    if (!earlier.length) return null;
    return h('div', { class: 'flow-references' },
      h('p', { class: 'field-label', text: 'Insert a reference (into the last field you were in)' }),
      earlier.map((other) => {
        const fields = outputFields(other, this.runOutputs.get(other.id));
        return h('div', { class: 'flow-reference-group' },
          h('span', { class: 'flow-reference-module', text: `#${other.id} ${moduleName(other)}` }),
          fields.length ? fields.map((field) => h('button', {
            type: 'button', class: 'chip chip-button', 'aria-label': `Insert ${other.id}.${field}`,
            on: { click: () => this.insertReference(`{{${other.id}.${field}}}`) },
          }, `${other.id}.${field}`)) : h('span', { class: 'hint', text: 'no known fields (run it once)' }));
      }));
  }

  insertReference(text) {
    const field = this.lastField;
    if (!field || !field.isConnected) return;
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? field.value.length;
    field.value = `${field.value.slice(0, start)}${text}${field.value.slice(end)}`;
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  move(id, step) {
    if (moveModule(this.blueprint, id, step)) {
      this.changed({ keepForm: true });
      this.graph.focus(id);
    }
  }

  remove(id) {
    if (!deleteModule(this.blueprint, id)) return;
    this.selectedId = this.blueprint.flow[0]?.id ?? null;
    this.changed();
  }
}
