// The Hooks view: incoming webhooks (Make's custom webhooks). Each hook is
// a URL with a secret token that starts a scenario (bound by its first
// module gateway:CustomWebHook, or chosen here) or a button with the
// caller's request. Create one, copy its URL, see its recent requests.

import {
  h, api, is401, badge, icon, notify, confirmDialog, replaceChildren, formatTime, formatFullTime, refreshButton, formField, openFormDialog,
} from './core.js';

export default {
  id: 'hooks',
  label: 'Hooks',
  create: () => new HooksView(),
};

const path = {
  hooks: () => '/hooks',
  hook: (id) => `/hooks/${encodeURIComponent(id)}`,
  requests: (id) => `/hooks/${encodeURIComponent(id)}/requests`,
};

/** The store's status words in the dashboard's. */
const STATUS_WORDS = {
  queued: 'pending', running: 'running', succeeded: 'completed', failed: 'failed', timed_out: 'timeout', canceled: 'canceled',
};


/** The hook's full address, to paste into another system. */
const fullUrl = (hook) => new URL(hook.url, location.origin).href;

function targetText(hook) {
  if (hook.target?.button) return `button ${hook.target.button}`;
  if (hook.target?.scenario) return `scenario #${hook.target.scenario}`;
  if (hook.scenarioId) return `scenario #${hook.scenarioId} (its first module)`;
  return 'not bound yet: a scenario starting with gateway:CustomWebHook binds it';
}

class HooksView {
  constructor() {
    this.hooks = [];
    this.selectedId = null;
    this.element = this.build();
  }

  build() {
    this.list = h('ul', { class: 'hook-list', 'aria-label': 'Hooks' });
    this.listMessage = h('p', { class: 'panel-message', hidden: true });
    this.requestsTitle = h('h2', { class: 'panel-title', id: 'hook-requests-title', text: 'Recent requests' });
    this.requests = h('ol', { class: 'history-list', 'aria-label': 'Recent requests' });
    this.requestsMessage = h('p', { class: 'panel-message', text: 'Choose a hook to see the requests it took.' });
    const refresh = refreshButton('Refresh requests', () => this.refreshRequests());
    const newHook = h('button', {
      type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm() },
    }, icon('plus'), 'New hook');
    return h('section', { class: 'hooks-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Hooks' }),
          h('p', { class: 'view-lead', text: 'URLs other systems call to start a scenario or a button, without an API key.' })),
        newHook),
      h('div', { class: 'split' },
        h('section', { class: 'panel hooks-panel', 'aria-labelledby': 'hooks-title' },
          h('header', { class: 'panel-head' }, h('h2', { class: 'panel-title', id: 'hooks-title', text: 'Your hooks' })),
          this.listMessage, this.list),
        h('section', { class: 'panel hook-requests-panel', 'aria-labelledby': 'hook-requests-title' },
          h('header', { class: 'panel-head' }, this.requestsTitle, h('div', { class: 'panel-head-actions' }, refresh)),
          this.requestsMessage, this.requests)));
  }

  show() { this.refresh(); }

  hide() {}

  destroy() {}

  async refresh() {
    try {
      const body = await api('GET', path.hooks());
      this.hooks = Array.isArray(body.hooks) ? body.hooks : [];
      this.render();
      if (this.selectedId !== null) this.refreshRequests();
    } catch (err) {
      if (is401(err)) return;
      this.listMessage.hidden = false;
      this.listMessage.textContent = `Could not load the hooks: ${err.message}`;
    }
  }

  render() {
    this.listMessage.hidden = this.hooks.length > 0;
    if (this.hooks.length === 0) this.listMessage.textContent = 'No hooks yet. A hook gives another system a URL to start your scenario or button.';
    replaceChildren(this.list, this.hooks.map((hook) => this.item(hook)));
  }

  item(hook) {
    const selected = hook.id === this.selectedId;
    const url = h('input', {
      class: 'mono hook-url', type: 'text', readonly: true, value: fullUrl(hook),
      'aria-label': `URL of ${hook.name}`, on: { focus: (event) => event.target.select() },
    });
    const copy = h('button', {
      type: 'button', class: 'btn btn-small', on: { click: () => this.copy(hook, url) },
    }, 'Copy URL');
    return h('li', { class: ['hook-item', selected ? 'hook-item-selected' : ''], dataset: { hookId: String(hook.id) } },
      h('div', { class: 'hook-head' },
        h('h3', { class: 'hook-name' },
          h('button', {
            type: 'button', class: 'link-button', 'aria-current': selected ? 'true' : null,
            on: { click: () => this.select(hook.id) },
          }, hook.name)),
        h('span', { class: 'hook-target', dataset: { field: 'target' }, text: targetText(hook) }),
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-icon btn-danger-ghost', 'aria-label': `Delete ${hook.name}`, title: 'Delete',
          on: { click: () => this.remove(hook) },
        }, icon('trash'))),
      h('div', { class: 'hook-url-row' }, url, copy));
  }

  async copy(hook, input) {
    const text = fullUrl(hook);
    try {
      await navigator.clipboard.writeText(text);
      notify(`Copied the URL of “${hook.name}”.`, 'success');
    } catch {
      // No clipboard permission: the URL is selected for the user to copy.
      input.focus();
      input.select();
      notify('Press Ctrl+C to copy the selected URL.', 'info');
    }
  }

  select(id) {
    this.selectedId = id;
    this.render();
    this.refreshRequests();
  }

  async refreshRequests() {
    const hook = this.hooks.find((x) => x.id === this.selectedId);
    if (!hook) return;
    this.requestsTitle.textContent = `Recent requests · ${hook.name}`;
    try {
      const body = await api('GET', path.requests(hook.id));
      const requests = Array.isArray(body.requests) ? body.requests : [];
      this.requestsMessage.hidden = requests.length > 0;
      this.requestsMessage.textContent = 'No requests yet.';
      replaceChildren(this.requests, requests.map((request) => h('li', {
        class: 'history-item hook-request', dataset: { executionId: request.executionId },
      },
      h('div', { class: 'history-row' },
        badge(STATUS_WORDS[request.status] || request.status),
        h('span', { class: 'history-name', text: request.target }),
        h('code', { class: 'history-id', text: request.executionId.slice(0, 8) }),
        h('time', { datetime: request.received, title: formatFullTime(request.received), text: formatTime(request.received) })))));
    } catch (err) {
      if (is401(err)) return;
      this.requestsMessage.hidden = false;
      this.requestsMessage.textContent = `Could not load the requests: ${err.message}`;
    }
  }

  async openForm() {
    const name = h('input', { id: 'hf-name', type: 'text', required: true, maxlength: '128', autocomplete: 'off' });
    const target = h('select', { id: 'hf-target', class: 'select-field', 'aria-describedby': 'hf-target-hint' },
      h('option', { value: '', text: 'A scenario that starts with gateway:CustomWebHook' }));
    try {
      const [buttons, scenarios] = await Promise.all([api('GET', '/api/v1/buttons'), api('GET', '/scenarios')]);
      const group = (label, items) => h('optgroup', { label }, items);
      target.append(
        group('Scenarios', (scenarios.scenarios || []).map((s) => h('option', { value: `scenario:${s.id}`, text: `${s.name} (#${s.id})` }))),
        group('Buttons', (buttons.data || []).map((b) => h('option', { value: `button:${b.id}`, text: b.name }))));
    } catch (err) {
      if (is401(err)) return;
    }
    openFormDialog({
      title: 'New hook',
      formClass: 'hook-form',
      saveLabel: 'Create hook',
      body: [
        formField('hf-name', 'Name', name),
        formField('hf-target', 'Starts', target, 'Its URL starts this with the caller’s request (body, headers, query).'),
      ],
      controls: [name],
      focus: name,
      submit: (showError) => {
        if (!name.value.trim()) return showError('Name is required.', name);
        const payload = { name: name.value.trim(), typeName: 'gateway-webhook' };
        const [kind, id] = target.value.split(/:(.*)/s);
        if (kind === 'scenario') payload.target = { scenario: Number(id) };
        if (kind === 'button') payload.target = { button: id };
        return () => api('POST', path.hooks(), { body: payload });
      },
      saved: async (body) => {
        notify(`Created “${body.hook.name}”. Copy its URL into the calling system.`, 'success');
        this.selectedId = body.hook.id;
        await this.refresh();
      },
      failed: (err) => (/name/i.test(err.message) ? name : /target|scenario|button/i.test(err.message) ? target : null),
    });
  }

  async remove(hook) {
    const confirmed = await confirmDialog({
      title: `Delete “${hook.name}”?`,
      message: 'Its URL stops working at once. The runs it started stay.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api('DELETE', path.hook(hook.id));
      notify(`Deleted “${hook.name}”.`, 'success');
      if (this.selectedId === hook.id) {
        this.selectedId = null;
        replaceChildren(this.requests);
        this.requestsMessage.hidden = false;
        this.requestsMessage.textContent = 'Choose a hook to see the requests it took.';
      }
      await this.refresh();
    } catch (err) {
      if (!is401(err)) notify(`Could not delete “${hook.name}”: ${err.message}`, 'error');
    }
  }
}
