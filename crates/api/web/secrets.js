// The Secrets view: tokens and passwords that buttons, agents and
// scenarios use by reference ({{secret.NAME}}). Names only: a value is
// typed in once, sent to the server, and never shown again — not even to
// this page. Set, replace, delete.

import {
  h, api, is401, icon, notify, confirmDialog, replaceChildren, formatTime, formatFullTime, formField, openFormDialog,
} from './core.js';

export default {
  id: 'secrets',
  label: 'Secrets',
  create: () => new SecretsView(),
};

const NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,63}$/;
const MIN_VALUE_BYTES = 4;

const path = {
  secrets: () => '/secrets',
  secret: (secret) => `/secrets/${encodeURIComponent(secret.name)}?owner=${encodeURIComponent(secret.owner)}`,
};

class SecretsView {
  constructor() {
    this.secrets = [];
    this.element = this.build();
  }

  build() {
    this.rows = h('tbody');
    this.message = h('p', { class: 'panel-message', hidden: true });
    this.table = h('table', { class: 'data-table secrets-table' },
      h('caption', { class: 'visually-hidden', text: 'Secrets you may use' }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Name' }),
        h('th', { scope: 'col', text: 'Owner' }),
        h('th', { scope: 'col', text: 'Shared' }),
        h('th', { scope: 'col', text: 'Updated' }),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      this.rows);
    const add = h('button', { type: 'button', class: 'btn btn-primary', on: { click: () => this.openForm(null) } },
      icon('plus'), 'New secret');
    return h('section', { class: 'secrets-view' },
      h('div', { class: 'view-head' },
        h('div', {},
          h('h1', { class: 'view-title', text: 'Secrets' }),
          h('p', { class: 'view-lead', text: 'Values runs use by name — env NAME={{secret.NAME}}, mappers {{secret.NAME}} — stored encrypted and masked as *** in output.' })),
        add),
      h('section', { class: 'panel', 'aria-label': 'Secrets' }, this.message, h('div', { class: 'table-scroll' }, this.table)));
  }

  show() { this.refresh(); }

  hide() {}

  destroy() {}

  async refresh() {
    try {
      const body = await api('GET', path.secrets());
      this.secrets = Array.isArray(body.secrets) ? body.secrets : [];
      this.render();
    } catch (err) {
      if (is401(err)) return;
      this.message.hidden = false;
      this.message.textContent = `Could not load the secrets: ${err.message}`;
    }
  }

  render() {
    const sorted = [...this.secrets].sort((a, b) => a.name.localeCompare(b.name) || a.owner.localeCompare(b.owner));
    this.message.hidden = sorted.length > 0;
    this.message.textContent = 'No secrets yet. Store an API token here instead of writing it into a command.';
    this.table.hidden = sorted.length === 0;
    replaceChildren(this.rows, sorted.map((secret) => h('tr', { dataset: { secret: secret.name, owner: secret.owner } },
      h('th', { scope: 'row' }, h('code', { text: secret.name })),
      h('td', { text: secret.owner }),
      h('td', { text: secret.shared ? 'everyone' : 'no' }),
      h('td', {}, h('time', { datetime: secret.updated, title: formatFullTime(secret.updated), text: formatTime(secret.updated) })),
      h('td', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'btn btn-small', 'aria-label': `Replace the value of ${secret.name}`,
          on: { click: () => this.openForm(secret) },
        }, 'Replace'),
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-icon btn-danger-ghost', 'aria-label': `Delete ${secret.name}`, title: 'Delete',
          on: { click: () => this.remove(secret) },
        }, icon('trash'))))));
  }

  /** A new secret (`secret` null), or a new value for `secret`. */
  openForm(secret) {
    const replacing = Boolean(secret);
    const name = h('input', {
      id: 'xf-name', type: 'text', required: true, maxlength: '64', autocomplete: 'off', spellcheck: 'false',
      autocapitalize: 'characters', class: 'mono', placeholder: 'GITHUB_TOKEN', value: secret?.name ?? '',
      disabled: replacing, 'aria-describedby': 'xf-name-hint',
    });
    const value = h('input', {
      id: 'xf-value', type: 'password', required: true, autocomplete: 'new-password', spellcheck: 'false',
      'aria-describedby': 'xf-value-hint',
    });
    const shared = h('input', { id: 'xf-shared', type: 'checkbox', checked: secret?.shared ?? false });
    openFormDialog({
      title: replacing ? `New value for ${secret.name}` : 'New secret',
      formClass: 'secret-form',
      dialogClass: 'modal modal-narrow',
      saveLabel: replacing ? 'Replace value' : 'Store secret',
      body: [
        formField('xf-name', 'Name', name, 'Capital letters, digits and _ (e.g. GITHUB_TOKEN).'),
        formField('xf-value', 'Value', value, `At least ${MIN_VALUE_BYTES} bytes. It is never shown again.`),
        h('div', { class: 'field field-check' }, shared,
          h('label', { for: 'xf-shared', text: 'Usable by every user (admins only)' })),
      ],
      controls: [name, value],
      focus: replacing ? value : name,
      // The value never outlives the form.
      onClose: () => { value.value = ''; },
      submit: (showError) => {
        const secretName = name.value.trim();
        if (!NAME_PATTERN.test(secretName)) return showError('The name must be capital letters, digits and _, not starting with a digit.', name);
        if (new TextEncoder().encode(value.value).length < MIN_VALUE_BYTES) {
          return showError(`The value must be at least ${MIN_VALUE_BYTES} bytes: a shorter one cannot be masked in output.`, value);
        }
        const body = replacing ? { value: value.value, shared: shared.checked } : { name: secretName, value: value.value, shared: shared.checked };
        return () => (replacing
          ? api('PUT', path.secret(secret), { body })
          : api('POST', path.secrets(), { body }));
      },
      saved: async () => {
        const secretName = name.value.trim();
        notify(replacing ? `Replaced the value of ${secretName}.` : `Stored ${secretName}.`, 'success');
        await this.refresh();
      },
      failed: (err) => (/value/i.test(err.message) ? value : /name/i.test(err.message) ? name : null),
    });
  }

  async remove(secret) {
    const confirmed = await confirmDialog({
      title: `Delete ${secret.name}?`,
      message: 'Runs that use it will fail with a clear error until a secret of this name exists again.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api('DELETE', path.secret(secret));
      notify(`Deleted ${secret.name}.`, 'success');
      await this.refresh();
    } catch (err) {
      if (!is401(err)) notify(`Could not delete ${secret.name}: ${err.message}`, 'error');
    }
  }
}
