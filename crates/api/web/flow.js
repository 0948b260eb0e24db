// The scenario builder's model: the modules runbox runs (what each is
// called, which fields its form has, what it outputs), and edits of a
// blueprint's flow (add, move, delete, routes), plus the layout the graph
// draws. Plain data in, plain data out: no DOM here.

/** The filter operators (the blueprint's table, crates/workflow). */
export const OPERATORS = [
  'text:equal', 'text:notequal', 'text:contain', 'text:notcontain', 'text:startswith', 'text:endswith',
  'text:pattern', 'number:equal', 'number:notequal', 'number:greater', 'number:less',
  'number:greaterorequal', 'number:lessorequal', 'date:greater', 'date:less', 'exist', 'notexist',
  'boolean:equal', 'array:contain',
];

/** Error handlers a module may have (its `onerror` route's directive). */
export const ERROR_HANDLERS = [
  ['', 'None: the run fails'],
  ['builtin:Ignore', 'Ignore: drop the bundle, carry on'],
  ['builtin:Resume', 'Resume: carry on with an empty output'],
  ['builtin:Break', 'Break: stop, the run can be retried'],
  ['builtin:Rollback', 'Rollback: stop the run'],
];

/**
 * Every module the palette offers: its label, group, form fields and the
 * output fields later modules may reference. A field: `[where, key, label,
 * kind, extra]`; `where` is `mapper` or `parameters`; kinds: text, area
 * (code, multi-line), number, json (any JSON value), pairs (a list of
 * `{name, value}`), outputs (ReturnData's name → value), select.
 */
export const MODULES = {
  'scenario-service:StartSubscenario': {
    label: 'Start', group: 'Triggers', short: 'St', trigger: true, fields: [], outputs: [],
  },
  'gateway:CustomWebHook': {
    label: 'Webhook', group: 'Triggers', short: 'Wh', trigger: true,
    fields: [['parameters', 'hook', 'Hook id', 'number']],
    outputs: ['__method', '__headers', '__query', 'value'],
  },
  'util:SetVariable2': {
    label: 'Set variable', group: 'Data', short: 'Var',
    fields: [['mapper', 'name', 'Name', 'text'], ['mapper', 'value', 'Value', 'text']],
    outputs: (module) => [module.mapper?.name || 'name'],
  },
  'util:SetVariables': {
    label: 'Set variables', group: 'Data', short: 'Vars',
    fields: [['mapper', 'variables', 'Variables', 'pairs']],
    outputs: (module) => (module.mapper?.variables || []).map((v) => v.name).filter(Boolean),
  },
  'json:ParseJSON': {
    label: 'Parse JSON', group: 'Data', short: '{}', fields: [['mapper', 'json', 'JSON text', 'text']], outputs: [],
  },
  'json:CreateJSON': {
    label: 'Create JSON', group: 'Data', short: '{ }', fields: [['mapper', 'object', 'Object', 'json']], outputs: ['json'],
  },
  'builtin:BasicRouter': { label: 'Router', group: 'Flow', short: 'Rt', router: true, fields: [], outputs: [] },
  'builtin:BasicFeeder': {
    label: 'Iterator', group: 'Flow', short: 'It', fields: [['mapper', 'array', 'Array', 'text']],
    outputs: ['value', '__IMTINDEX__', '__IMTLENGTH__'],
  },
  'builtin:BasicAggregator': {
    label: 'Aggregator', group: 'Flow', short: 'Ag',
    fields: [['parameters', 'feeder', 'Iterator (module id)', 'number'], ['mapper', 'value', 'Value', 'text']],
    outputs: ['array'],
  },
  'util:FunctionSleep': {
    label: 'Sleep', group: 'Flow', short: 'Zz', fields: [['mapper', 'duration', 'Seconds', 'number']], outputs: [],
  },
  'http:ActionSendData': {
    label: 'HTTP request', group: 'Apps', short: 'HTTP',
    fields: [
      ['mapper', 'url', 'URL', 'text'],
      ['mapper', 'method', 'Method', 'select', ['get', 'post', 'put', 'patch', 'delete']],
      ['mapper', 'headers', 'Headers', 'pairs'],
      ['mapper', 'qs', 'Query string', 'pairs'],
      ['mapper', 'contentType', 'Content type', 'text'],
      ['mapper', 'data', 'Body', 'area'],
      ['mapper', 'parseResponse', 'Parse the response as JSON', 'select', ['true', 'false']],
    ],
    outputs: ['statusCode', 'headers', 'data'],
  },
  'code:ExecutePython': {
    label: 'Python', group: 'Code', short: 'Py',
    fields: [['mapper', 'code', 'Code', 'area'], ['mapper', 'input', 'Input', 'json']],
    outputs: ['result', 'stdout', 'stderr', 'exit_code'],
  },
  'code:ExecuteJavaScript': {
    label: 'JavaScript', group: 'Code', short: 'JS',
    fields: [['mapper', 'code', 'Code', 'area'], ['mapper', 'input', 'Input', 'json']],
    outputs: ['result', 'stdout', 'stderr', 'exit_code'],
  },
  'gateway:WebhookRespond': {
    label: 'Webhook response', group: 'Apps', short: 'Re',
    fields: [['mapper', 'status', 'Status', 'number'], ['mapper', 'body', 'Body', 'json'], ['mapper', 'headers', 'Headers', 'pairs']],
    outputs: [],
  },
  // Error handlers: drawn under their module, chosen in its form.
  'builtin:Ignore': { label: 'Ignore', group: 'Errors', directive: true, short: 'Ig', fields: [], outputs: [] },
  'builtin:Resume': { label: 'Resume', group: 'Errors', directive: true, short: 'Rs', fields: [], outputs: [] },
  'builtin:Break': { label: 'Break', group: 'Errors', directive: true, short: 'Br', fields: [], outputs: [] },
  'builtin:Rollback': { label: 'Rollback', group: 'Errors', directive: true, short: 'Rb', fields: [], outputs: [] },
  'scenario-service:ReturnData': {
    label: 'Return outputs', group: 'Triggers', short: 'Out', fields: [['mapper', '', 'Outputs', 'outputs']], outputs: [],
  },
};

export const GROUPS = ['Triggers', 'Data', 'Flow', 'Apps', 'Code'];

export function moduleInfo(type) {
  return MODULES[type] || { label: type, group: 'Other', short: '?', fields: [], outputs: [] };
}

/** The name a module shows: its designer name, else its type's label. */
export function moduleName(module) {
  return module.metadata?.designer?.name || moduleInfo(module.module).label;
}

/** Every module of `flow` at any depth, with the flow (array) it is in. */
export function* walk(flow) {
  for (const module of flow || []) {
    yield { module, flow };
    for (const route of module.routes || []) yield* walk(route.flow);
    if (Array.isArray(module.onerror)) yield* walk(module.onerror);
  }
}

export function findModule(blueprint, id) {
  for (const { module, flow } of walk(blueprint.flow)) if (module.id === id) return { module, flow };
  return null;
}

export function nextId(blueprint) {
  let max = 0;
  for (const { module } of walk(blueprint.flow)) max = Math.max(max, Number(module.id) || 0);
  return max + 1;
}

/** A new module of `type` with an empty form. */
export function newModule(blueprint, type) {
  const module = { id: nextId(blueprint), module: type };
  if (MODULES[type]?.router) module.routes = [{ flow: [] }, { flow: [] }];
  return module;
}

/**
 * Adds `module` right after the module `afterId` (in its flow), at the
 * start of route `route` of a router `intoRouter`, or at the main flow's end.
 */
export function insertModule(blueprint, module, { afterId = null, intoRouter = null, route = 0 } = {}) {
  if (intoRouter !== null) {
    const router = findModule(blueprint, intoRouter)?.module;
    if (router?.routes?.[route]) {
      router.routes[route].flow.unshift(module);
      return;
    }
  }
  const found = afterId === null ? null : findModule(blueprint, afterId);
  if (found) {
    found.flow.splice(found.flow.indexOf(found.module) + 1, 0, module);
  } else {
    blueprint.flow = blueprint.flow || [];
    blueprint.flow.push(module);
  }
}

/** Moves a module one place earlier (-1) or later (+1) within its flow. */
export function moveModule(blueprint, id, step) {
  const found = findModule(blueprint, id);
  if (!found) return false;
  const { flow, module } = found;
  const from = flow.indexOf(module);
  const to = from + step;
  if (to < 0 || to >= flow.length) return false;
  flow.splice(from, 1);
  flow.splice(to, 0, module);
  return true;
}

/** Deletes a module (a router with its routes). */
export function deleteModule(blueprint, id) {
  const found = findModule(blueprint, id);
  if (!found) return false;
  found.flow.splice(found.flow.indexOf(found.module), 1);
  return true;
}

/**
 * The modules whose output a module may reference: those before it in
 * its flow, and before the routers and iterators that lead to it.
 */
export function earlierModules(blueprint, id) {
  const path = [];
  const visit = (flow, before) => {
    for (const module of flow || []) {
      if (module.id === id) {
        path.push(...before);
        return true;
      }
      for (const route of module.routes || []) if (visit(route.flow, [...before, module])) return true;
      if (Array.isArray(module.onerror) && visit(module.onerror, [...before, module])) return true;
      before = [...before, module];
    }
    return false;
  };
  visit(blueprint.flow, []);
  return path.filter((m) => !MODULES[m.module]?.router);
}

/** The fields a module's output has: from a run when known, else its type's. */
export function outputFields(module, lastOutput) {
  if (lastOutput && typeof lastOutput === 'object' && !Array.isArray(lastOutput)) {
    const keys = Object.keys(lastOutput);
    if (keys.length) return keys;
  }
  const outputs = moduleInfo(module.module).outputs;
  return typeof outputs === 'function' ? outputs(module) : outputs;
}

// ------------------------------------------------------------- layout --

export const STEP_X = 150;
export const STEP_Y = 120;

/**
 * Places every module on a grid: a flow runs left to right; a router's
 * routes fan out below one another, each continuing to the right; an
 * error route hangs under its module. Returns `{nodes: [{module, col,
 * row}], edges: [{from, to, kind}], cols, rows}` (edge kinds: flow,
 * route, error), with `from` null for a route that starts at its router.
 */
export function layout(blueprint) {
  const nodes = [];
  const edges = [];
  let rows = 1;
  let cols = 1;
  const place = (flow, col, row, from, kind) => {
    let previous = from;
    let edgeKind = kind;
    let bottom = row;
    for (const module of flow || []) {
      nodes.push({ module, col, row });
      cols = Math.max(cols, col + 1);
      if (previous) edges.push({ from: previous.id, to: module.id, kind: edgeKind });
      edgeKind = 'flow';
      if (Array.isArray(module.onerror) && module.onerror.length) {
        bottom = Math.max(bottom, place(module.onerror, col, row + 1, module, 'error'));
      }
      if (module.routes) {
        let routeRow = row;
        for (const route of module.routes) {
          const end = route.flow.length ? place(route.flow, col + 1, routeRow, module, 'route') : routeRow;
          routeRow = Math.max(end, routeRow) + 1;
        }
        bottom = Math.max(bottom, routeRow - 1);
      }
      previous = module;
      col += 1;
    }
    rows = Math.max(rows, bottom + 1);
    return bottom;
  };
  place(blueprint.flow, 0, 0, null, 'flow');
  return { nodes, edges, cols, rows };
}

/**
 * What a run did per module: how many bundles it processed, the worst
 * status it had, and its last run's input and output.
 */
export function runStats(details) {
  const stats = new Map();
  const rank = { error: 3, warning: 2, stopped: 2, completed: 1 };
  for (const run of details?.modules || []) {
    const current = stats.get(run.id) || { count: 0, status: null, input: null, output: null, error: null };
    current.count += 1;
    if (!current.status || (rank[run.status] || 0) > (rank[current.status] || 0)) current.status = run.status;
    current.input = run.input ?? null;
    current.output = run.output ?? null;
    current.error = run.error ?? current.error;
    stats.set(run.id, current);
  }
  return stats;
}
