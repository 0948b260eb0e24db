// Shared plumbing for every view of the dashboard: building DOM safely,
// calling the API with the session's key, reading Server-Sent Events from
// fetch(), status badges, times, the pieces views share (the form dialog, the
// history panel, a run's facts, card tools), dialogs and notices.
//
// Nothing here ever assigns innerHTML: every piece of text (names, command
// output, error messages) goes through textContent or a text node.

// ---------------------------------------------------------------- DOM ----

/**
 * Creates an element. `props`: `class`, `text` (textContent), `dataset`,
 * `on` ({event: handler}), `value` (the property), `true` for boolean
 * attributes (`hidden`, `disabled`, `required`…; false/null omit them),
 * anything else as an attribute (use the string 'false' where an
 * attribute needs it, as `spellcheck`). Children: nodes or strings
 * (strings become text nodes), null/false skipped, arrays flattened.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (value === true) el.setAttribute(name, '');
    else if (name === 'value') el.value = String(value);
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A small inline SVG icon from a fixed set (no data ever goes in here). */
const ICON_PATHS = {
  play: 'M7 4.5v15l12-7.5z',
  plus: 'M12 5v14M5 12h14',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  stop: 'M7 7h10v10H7z',
  refresh: 'M20 12a8 8 0 1 1-2.4-5.7M20 4v5h-5',
  key: 'M21 2l-2 2M11.4 11.6a5.5 5.5 0 1 1-7.8 7.8 5.5 5.5 0 0 1 7.8-7.8zM11.4 11.6L15.5 7.5M15.5 7.5l3 3L22 7l-3-3M15.5 7.5L19 4',
  close: 'M6 6l12 12M18 6L6 18',
  clock: 'M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z',
  terminal: 'M4 6l5 5-5 5M11 17h9',
  bot: 'M12 4v3M6 8h12a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2zM9 13h.01M15 13h.01M9.5 16.5h5',
  gauge: 'M12 14l3.5-3.5M4.5 17a8.5 8.5 0 1 1 15 0',
  code: 'M8 8l-4 4 4 4M16 8l4 4-4 4M13.5 5l-3 14',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20a7.5 7.5 0 0 1 15 0',
  flow: 'M3.5 6a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0zM15.5 6a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0zM9.5 18a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0zM8.5 6h7M7.1 8.2l3.8 7.6M16.9 8.2l-3.8 7.6',
  repeat: 'M17 2l3 3-3 3M4 11V9a4 4 0 0 1 4-4h12M7 22l-3-3 3-3M20 13v2a4 4 0 0 1-4 4H4',
  'chevron-left': 'M15 6l-6 6 6 6',
  'chevron-right': 'M9 6l6 6-6 6',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4',
  globe: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3 12h18M12 3c2.5 2.5 3.5 5.5 3.5 9s-1 6.5-3.5 9c-2.5-2.5-3.5-5.5-3.5-9s1-6.5 3.5-9z',
};
const SVG_NS = 'http://www.w3.org/2000/svg';
export function icon(name, extraClass = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${extraClass}`.trim());
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICON_PATHS[name] || '');
  svg.append(path);
  return svg;
}

// ---------------------------------------------------------------- API ----

const KEY_STORAGE = 'runbox.apiKey';

export const session = {
  get key() {
    try { return sessionStorage.getItem(KEY_STORAGE) || ''; } catch { return ''; }
  },
  set key(value) {
    try {
      if (value) sessionStorage.setItem(KEY_STORAGE, value);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch { /* storage disabled: the key lives only as long as the page */ }
  },
  /** Called when the server refuses the key (401); set by the shell. */
  onUnauthorized: (_message) => {},
};

/**
 * An API call that did not succeed: HTTP status, error code and message,
 * `data` when the reply had one (buttons), and `details` when its error
 * object had them (scenarios: `{moduleId, moduleName, error, executionId}`).
 */
export class ApiError extends Error {
  constructor(status, code, message, data = null, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.data = data;
    this.details = details;
  }
}

/** The key was refused: the sign-in screen takes over, nothing else to say. */
export const is401 = (err) => err instanceof ApiError && err.status === 401;

/** The error message of any dialect's error body. */
function messageOf(body, fallback) {
  if (!body || typeof body !== 'object') return fallback;
  if (body.error && typeof body.error === 'object' && body.error.message) {
    // Buttons keep the catalogue sentence in `message` and the particulars
    // in a string `details`; people need both.
    const { message, details } = body.error;
    return typeof details === 'string' && details ? `${message}: ${details}` : String(message);
  }
  if (typeof body.error === 'string') return body.error;
  if (typeof body.detail === 'string') return body.detail;
  if (typeof body.message === 'string') return body.message;
  return fallback;
}

/**
 * Calls the API with the session's key. Returns the parsed JSON body (for
 * the buttons dialect, the caller reads `.data`). Throws ApiError on any
 * non-2xx reply or `success: false`; a 401 also signs the user out.
 */
export async function api(method, path, { body, key = session.key, signal, raw = false } = {}) {
  const headers = { 'x-api-key': key, accept: 'application/json' };
  const init = { method, headers, signal, cache: 'no-store' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'Cannot reach the runbox server. Check that it is running.');
  }
  if (raw && response.ok) return response;
  let parsed = null;
  const text = await response.text();
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = null; }
  }
  const failed = !response.ok || (parsed && parsed.success === false);
  if (failed) {
    const message = messageOf(parsed, `${response.status} ${response.statusText || 'error'}`.trim());
    const code = parsed && parsed.error && parsed.error.code ? parsed.error.code : `HTTP_${response.status}`;
    const details = parsed && parsed.error && typeof parsed.error === 'object' ? parsed.error.details ?? null : null;
    const error = new ApiError(response.status, code, message, parsed ? parsed.data ?? null : null, details);
    // The whole reply, for dialects whose errors carry more (a failed code run's output).
    error.body = parsed;
    if (response.status === 401 && key === session.key) session.onUnauthorized(message);
    throw error;
  }
  return parsed;
}

// ---------------------------------------------------------------- SSE ----

/**
 * Reads a text/event-stream response body as it arrives and calls
 * `onEvent({event, data})` per event: `event:` names it (default
 * "message"), `data:` lines are joined with "\n", comments (":") and
 * `id:`/`retry:` are ignored, a blank line dispatches. Resolves when the
 * body ends; rejects on a network error or abort.
 */
export async function readEventStream(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let eventName = '';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onEvent({ event: eventName || 'message', data: data.join('\n') });
      eventName = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventName = value;
    else if (field === 'data') data.push(value);
  };
  const drain = (final) => {
    for (;;) {
      const cr = buffer.indexOf('\r');
      const lf = buffer.indexOf('\n');
      let end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF.
      if (end === cr && end === buffer.length - 1 && !final) break;
      const skip = buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1;
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + skip);
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    drain(false);
  }
  drain(true);
}

// ----------------------------------------------------------- statuses ----

/** The buttons dialect's statuses, with the words shown to people. */
export const STATUS_LABELS = {
  pending: 'pending',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  timeout: 'timeout',
  canceled: 'canceled',
  // The scenarios dialect's words (and a module run's `skipped`).
  warning: 'warning',
  error: 'error',
  stopped: 'stopped',
  skipped: 'skipped',
};

export const FINAL_STATUSES = new Set(['completed', 'failed', 'timeout', 'canceled']);

/**
 * The agents dialect's statuses (upper case, as the API says them), with
 * the badge style each one borrows. QUEUED is what the run reply calls
 * PENDING.
 */
export const AGENT_STATUS_STYLES = {
  QUEUED: 'pending',
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELED: 'canceled',
  CANCEL_REQUESTED: 'cancel-requested',
};

export const AGENT_FINAL_STATUSES = new Set(['COMPLETED', 'FAILED', 'CANCELED']);

/** A scenario execution's final statuses (pending and running are not). */
export const SCENARIO_FINAL_STATUSES = new Set(['completed', 'warning', 'error', 'stopped']);

/**
 * A coloured badge with the status word (colour is never the only cue).
 * Buttons' lower-case words show as they are; the agents' upper-case words
 * show as the API spells them (CANCEL_REQUESTED with a space).
 */
export function badge(status) {
  if (Object.hasOwn(AGENT_STATUS_STYLES, status)) {
    return h('span', {
      class: ['badge', 'badge-upper', `badge-${AGENT_STATUS_STYLES[status]}`],
      dataset: { status },
      text: status.replace(/_/g, ' '),
    });
  }
  const known = Object.hasOwn(STATUS_LABELS, status);
  return h('span', {
    class: ['badge', `badge-${known ? status : 'unknown'}`],
    dataset: { status: String(status) },
    text: known ? STATUS_LABELS[status] : String(status || 'unknown'),
  });
}

// --------------------------------------------------------- environment ----

/** A value that is exactly `{{secret.NAME}}`: a reference to a secret. */
const SECRET_REFERENCE = /^\{\{\s*secret\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

export const ENV_HINT = 'One NAME=value per line; NAME={{secret.SECRET_NAME}} gives a secret’s value '
  + '(resolved when a run starts, masked as *** in its output).';

/**
 * "NAME=value" lines → object (a `{{secret.X}}` value → `{secret: "X"}`);
 * throws with the line number on a bad line.
 */
export function parseEnv(text) {
  const env = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Environment, line ${index + 1}: expected NAME=value.`);
    const value = line.slice(eq + 1);
    const reference = SECRET_REFERENCE.exec(value.trim());
    env[line.slice(0, eq).trim()] = reference ? { secret: reference[1] } : value;
  });
  return env;
}

export function formatEnv(env) {
  return Object.entries(env || {})
    .map(([name, value]) => `${name}=${value && typeof value === 'object' ? `{{secret.${value.secret}}}` : value}`)
    .join('\n');
}

// ------------------------------------------------------------ runtimes ----

let runtimesLoaded = null;

/**
 * The languages this server runs code in (`GET /v1/code/runtimes`):
 * `[{name, version, endpoint}]`, asked once per page; Python and
 * JavaScript when the server cannot be asked.
 */
export function loadRuntimes() {
  if (!runtimesLoaded) {
    runtimesLoaded = api('GET', '/v1/code/runtimes')
      .then((body) => (Array.isArray(body.runtimes) ? body.runtimes : []))
      .catch(() => {
        runtimesLoaded = null;
        return [{ name: 'python', version: null }, { name: 'javascript', version: null }];
      });
  }
  return runtimesLoaded;
}

/** How a runtime is named to people. */
export function runtimeLabel(name) {
  return { python: 'Python', javascript: 'JavaScript', command: 'Command' }[name] || name;
}

// ------------------------------------------------------------ schedule ----

export const CRON_HINT = 'Five fields (minute hour day-of-month month day-of-week) or six with seconds '
  + 'first; e.g. 0 9 * * mon-fri. Empty: never on its own.';

/** The time zones this browser knows, for a <datalist>. */
function timeZones() {
  try { return Intl.supportedValuesOf('timeZone'); } catch { return ['UTC', 'Europe/Paris', 'America/New_York']; }
}

/**
 * The cron and time-zone inputs of a schedule, ids `${prefix}-cron` and
 * `${prefix}-zone`. `read()` → `{cron, timezone}`, or null when the cron
 * field is empty.
 */
export function scheduleInputs(prefix, schedule) {
  const listId = `${prefix}-zones`;
  const cron = h('input', {
    id: `${prefix}-cron`, name: 'cron', type: 'text', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', class: 'mono', placeholder: '0 9 * * mon-fri', value: schedule?.cron ?? '',
    'aria-describedby': `${prefix}-cron-hint`,
  });
  const zone = h('input', {
    id: `${prefix}-zone`, name: 'timezone', type: 'text', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', list: listId, placeholder: 'UTC',
    value: schedule?.timezone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'),
  });
  const zones = h('datalist', { id: listId }, timeZones().map((z) => h('option', { value: z })));
  return {
    cron,
    zone,
    zones,
    read: () => (cron.value.trim() ? { cron: cron.value.trim(), timezone: zone.value.trim() || 'UTC' } : null),
  };
}

/** "next 14:05:00" style text of a next run, or null. */
export function nextRunText(iso) {
  return parseTime(iso) ? `next ${formatTime(iso)}` : null;
}

// ------------------------------------------------------------- network ----

export const NETWORK_HINT = 'Destinations the run may reach through runbox’s proxy, one per line: '
  + 'a host name, *.suffix or an IP/CIDR, optionally :port. Empty: no network.';

/** One destination per line (commas work too) → list; the server checks each. */
export function parseNetwork(text) {
  return text.split(/[\r\n,]+/).map((line) => line.trim()).filter(Boolean);
}

/** A card's chip naming what the run may reach; null without network. */
export function networkChip(list) {
  if (!Array.isArray(list) || list.length === 0) return null;
  const text = list.length === 1 ? list[0] : `${list.length} destinations`;
  return h('li', { class: 'chip', dataset: { field: 'network' }, title: `Network: ${list.join(', ')}` },
    icon('globe'), h('span', { class: 'visually-hidden', text: 'network ' }), text);
}

export function formatNetwork(list) {
  return (list || []).join('\n');
}

// -------------------------------------------------------------- times ----

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

/** "14:03:07" today, "12 May, 14:03" otherwise. */
export function formatTime(iso) {
  const date = parseTime(iso);
  if (!date) return '—';
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : date.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

const measuredFigure = (value) => typeof value === 'number' && Number.isFinite(value) && value > 0;

/**
 * What the sandbox measured of a run (its `resources`), as
 * `[label, value, field]` rows; a figure it did not take is left out.
 */
export function resourceItems(used) {
  if (!used) return [];
  return [
    ...(measuredFigure(used.cpu_ms) ? [['CPU', formatMillis(used.cpu_ms), 'cpu']] : []),
    ...(measuredFigure(used.memory_peak_bytes) ? [['Memory', formatBytes(used.memory_peak_bytes), 'memory']] : []),
    ...(measuredFigure(used.net_rx_bytes) || measuredFigure(used.net_tx_bytes)
      ? [['Network', `${formatBytes(used.net_rx_bytes)} in, ${formatBytes(used.net_tx_bytes)} out`, 'network']] : []),
  ];
}

/** "512 B", "1.5 kB", "2.31 MB". */
export function formatBytes(value) {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : 0;
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let size = n;
  let unit = -1;
  do { size /= 1000; unit += 1; } while (size >= 1000 && unit < units.length - 1);
  return `${size.toFixed(size < 10 ? 2 : size < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatFullTime(iso) {
  const date = parseTime(iso);
  return date ? date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '';
}

/** "850 ms", "1.23 s", "2 min 05 s"; null when not known. */
export function formatDuration(startIso, endIso) {
  const start = parseTime(startIso);
  const end = parseTime(endIso);
  if (!start || !end) return null;
  return formatMillis(end - start);
}

/** A number of milliseconds as formatDuration says it; null when not a number. */
export function formatMillis(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const ms = Math.max(0, Math.round(value));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

// -------------------------------------------------------------- panels ----

/** Waits `ms`, or less if `signal` aborts. */
export function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/**
 * A form's error line: `show(message, control)` says what is wrong and, when
 * a control is given, marks it invalid and moves the focus there.
 */
export function formError(box) {
  return (message, control) => {
    box.hidden = false;
    box.textContent = message;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  };
}

/**
 * One fact of a run in a `<dl class="meta">`: `field` names it for tests and
 * scripts, `title` holds the full value, `extra` a modifier class.
 */
export function metaItem(label, value, { field = null, title = null, extra = '' } = {}) {
  return h('div', { class: ['meta-item', extra] },
    h('dt', { text: label }),
    h('dd', { dataset: field ? { field } : null, title: title || null, text: value }));
}

/** A card's edit and delete buttons, named after the card for screen readers. */
export function cardTools(name, { edit, remove }) {
  return h('span', { class: 'card-tools' },
    h('button', {
      type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Edit ${name}`, title: 'Edit', on: { click: edit },
    }, icon('edit')),
    h('button', {
      type: 'button', class: 'btn btn-ghost btn-icon btn-danger-ghost', 'aria-label': `Delete ${name}`, title: 'Delete',
      on: { click: remove },
    }, icon('trash')));
}

/** A labelled field; its hint's id is `${id}-hint`, for the control's aria-describedby. */
export function formField(id, label, control, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id, text: label }), control,
    hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null);
}

/**
 * Opens a modal form: a title with a close button, the `body` nodes, the
 * form's error line, Cancel and the submit button labelled `saveLabel`.
 *
 * On submit, `submit(showError)` checks the input: it returns nothing when it
 * refused it (having said why), else the request to make, as a function
 * returning a promise. While that runs the button reads "Saving…"; on success
 * the dialog closes and `saved(reply)` follows; on an API error the message
 * shows, on the control `failed(err)` names. A 401 just closes the dialog
 * (the sign-in takes over). `controls` lose their invalid mark when edited.
 */
export function openFormDialog({
  title, formClass, dialogClass = 'modal', body, saveLabel, controls = [], focus, submit, saved,
  failed = () => null, onClose = null,
}) {
  const titleId = `${formClass}-title`;
  const error = h('p', { class: 'alert alert-error form-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', text: saveLabel });
  const close = h('button', { type: 'button', class: 'btn btn-ghost btn-icon modal-close', 'aria-label': 'Close' }, icon('close'));
  const form = h('form', { class: formClass, novalidate: true },
    h('header', { class: 'modal-head' }, h('h2', { class: 'modal-title', id: titleId, text: title }), close),
    h('div', { class: 'modal-body' }, body, error),
    h('footer', { class: 'modal-actions' }, cancel, save));
  const dialog = h('dialog', { class: dialogClass, 'aria-labelledby': titleId }, form);

  const showError = formError(error);
  for (const control of controls) control.addEventListener('input', () => control.removeAttribute('aria-invalid'));
  cancel.addEventListener('click', () => dialog.close());
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { onClose?.(); dialog.remove(); });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const request = submit(showError);
    if (typeof request !== 'function') return;
    save.disabled = true;
    save.textContent = 'Saving…';
    try {
      const reply = await request();
      dialog.close();
      await saved(reply);
    } catch (err) {
      if (is401(err)) { dialog.close(); return; }
      showError(err.message, failed(err));
    } finally {
      save.disabled = false;
      save.textContent = saveLabel;
    }
  });

  document.body.append(dialog);
  dialog.showModal();
  focus.focus();
  return dialog;
}

/** A panel's message line: empty (`text` null), a note, or an error. */
export function panelMessage(el, text, { error = false } = {}) {
  el.hidden = !text;
  el.className = error ? 'panel-message alert alert-error' : 'panel-message';
  el.textContent = text || '';
}

/** The small round button that reloads a panel, named for screen readers. */
export function refreshButton(label, onClick) {
  return h('button', {
    type: 'button', class: 'btn btn-small btn-ghost btn-icon', 'aria-label': label, title: label,
    on: { click: onClick },
  }, icon('refresh'));
}

/**
 * A "recent runs" panel: a title, a filter by subject, a refresh button, a
 * message line and the list. Returns the panel and the parts a view fills.
 */
export function historyPanel({ id, title, filterLabel, allLabel, listLabel, extraClass = '', head = null, onFilter, onRefresh }) {
  const list = h('ol', { class: 'history-list', 'aria-label': listLabel });
  const message = h('p', { class: 'panel-message', hidden: true });
  const select = h('select', {
    id: `${id}-filter`, class: 'select', on: { change: () => onFilter(select.value) },
  }, h('option', { value: '', text: allLabel }));
  const panel = h('section', { class: `panel history-panel ${extraClass}`.trim(), 'aria-labelledby': `${id}-title` },
    h('header', { class: 'panel-head' },
      h('h2', { class: 'panel-title', id: `${id}-title`, text: title }),
      h('div', { class: 'panel-head-actions' },
        h('label', { class: 'visually-hidden', for: `${id}-filter`, text: filterLabel }),
        select, refreshButton(`Refresh ${title.toLowerCase()}`, onRefresh))),
    message, head, list);
  return { panel, list, message, select };
}

/**
 * Refills a history filter with `options` ([value, text] pairs), keeping the
 * current choice even when its subject is gone (shown as `goneText(value)`).
 */
export function fillHistoryFilter(select, allLabel, options, goneText) {
  const selected = select.value;
  replaceChildren(select,
    h('option', { value: '', text: allLabel }),
    options.map(([value, text]) => h('option', { value, text })));
  if (selected && !options.some(([value]) => value === selected)) {
    select.append(h('option', { value: selected, text: goneText(selected) }));
  }
  select.value = selected;
}

// ------------------------------------------------------------ notices ----

let noticeRegion = null;

/** A short message in a polite live region at the bottom of the screen. */
export function notify(message, kind = 'info') {
  if (!noticeRegion) {
    noticeRegion = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite' });
    document.body.append(noticeRegion);
  }
  const item = h('div', { class: ['notice', `notice-${kind}`], text: message });
  noticeRegion.append(item);
  setTimeout(() => item.classList.add('notice-leaving'), 4000);
  setTimeout(() => item.remove(), 4400);
}

// ------------------------------------------------------------ dialogs ----

/**
 * A modal confirmation (a real <dialog>: focus is trapped, Escape cancels).
 * Resolves to true when confirmed.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const titleId = `confirm-title-${Math.random().toString(36).slice(2)}`;
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
    const confirm = h('button', {
      type: 'button',
      class: ['btn', danger ? 'btn-danger' : 'btn-primary'],
      text: confirmLabel,
    });
    const dialog = h('dialog', { class: 'modal modal-small', 'aria-labelledby': titleId },
      h('h2', { id: titleId, class: 'modal-title', text: title }),
      h('p', { class: 'modal-text', text: message }),
      h('div', { class: 'modal-actions' }, cancel, confirm));
    let result = false;
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => { result = true; dialog.close(); });
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
