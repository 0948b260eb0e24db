// What the Scenarios view's parts share: the API's paths, constants,
// the example blueprint, and small helpers (scenarios.js assembles the
// view from scenario-runs.js, scenario-inspector.js and scenario-form.js).

import {
  SCENARIO_FINAL_STATUSES,
} from './core.js';

export const PAGE_SIZE = 10;
export const POLL_MS = 1000;
export const LIST_POLL_MS = 2000;
export const MAX_DURATION = 2400;
export const RESPONSIVE_WAIT_S = 40;
export const STATUSES = ['pending', 'running', 'completed', 'warning', 'error', 'stopped'];

/** A new scenario's blueprint: greets `name` in capitals. */
export const EXAMPLE_BLUEPRINT = {
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


export const enc = encodeURIComponent;
export const path = {
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

export const isFinal = (status) => SCENARIO_FINAL_STATUSES.has(status);
export const isRetryable = (status) => status === 'error' || status === 'stopped';

/** A JSON value as indented text (shown with textContent, never as HTML). */
export function pretty(value) {
  if (value === undefined) return '';
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

/** "40 min", "90 s" → "1 min 30 s". */
export function formatSeconds(total) {
  const n = Number(total);
  if (!Number.isFinite(n)) return '—';
  if (n < 60) return `${n} s`;
  const minutes = Math.floor(n / 60);
  const seconds = n % 60;
  if (minutes >= 60 && seconds === 0 && minutes % 60 === 0) return `${minutes / 60} h`;
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

export function schedulingText(scheduling) {
  const type = scheduling?.type;
  if (type === 'indefinitely') return `every ${formatSeconds(scheduling.interval ?? 0)}`;
  if (type === 'cron') return `cron ${scheduling.cron} (${scheduling.timezone || 'UTC'})`;
  return 'on demand';
}

/** The first characters of an execution id, enough to tell runs apart. */
export const shortId = (id) => String(id || '').slice(0, 8);

/** Where the user's focus is in `root`: restored by `restoreFocus` after a re-render. */
export function focusKey(root, attribute) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return null;
  const holder = active.closest(`[${attribute}]`);
  return holder ? { value: holder.getAttribute(attribute), role: active.dataset.role || '' } : null;
}

export function restoreFocus(root, attribute, key) {
  if (!key) return;
  for (const holder of root.querySelectorAll(`[${attribute}]`)) {
    if (holder.getAttribute(attribute) !== key.value) continue;
    const target = key.role ? holder.querySelector(`[data-role="${key.role}"]`) : holder;
    target?.focus({ preventScroll: true });
    return;
  }
}
