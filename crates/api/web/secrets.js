// The Secrets view: tokens and passwords that buttons, agents and
// scenarios use by reference ({{secret.NAME}}). Names only: a value is
// typed in once, sent to the server, and never shown again — not even to
// this page. Set, replace, delete.

import {
  h, api, ApiError, icon, notify, confirmDialog, replaceChildren, formatTime, formatFullTime, formError,
} from './core.js';

export default {
  id: 'secrets',
  label: 'Secrets',
  create: () => new SecretsView(),
};

const NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,63}$/;
const MIN_VALUE_BYTES = 4;

const is401 = (err) => err instanceof ApiError && err.status === 401;
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
    const titleId = 'secret-form-title';
    const field = (id, label, control, hint) => h('div', { class: 'field' },
      h('label', { for: id, text: label }), control,
      hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null);
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
    const error = h('p', { class: 'alert alert-error form-error', role: 'alert', hidden: true });
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', text: replacing ? 'Replace value' : 'Store secret' });
    const form = h('form', { class: 'secret-form', novalidate: true },
      h('header', { class: 'modal-head' },
        h('h2', { class: 'modal-title', id: titleId, text: replacing ? `New value for ${secret.name}` : 'New secret' })),
      h('div', { class: 'modal-body' },
        field('xf-name', 'Name', name, 'Capital letters, digits and _ (e.g. GITHUB_TOKEN).'),
        field('xf-value', 'Value', value, `At least ${MIN_VALUE_BYTES} characters. It is never shown again.`),
        h('div', { class: 'field field-check' }, shared,
          h('label', { for: 'xf-shared', text: 'Usable by every user (admins only)' })),
        error),
      h('footer', { class: 'modal-actions' }, cancel, save));
    const dialog = h('dialog', { class: 'modal modal-small', 'aria-labelledby': titleId }, form);
    const showError = formError(error);
    for (const control of [name, value]) control.addEventListener('input', () => control.removeAttribute('aria-invalid'));
    cancel.addEventListener('click', () => dialog.close());
    // The value never outlives the form.
    dialog.addEventListener('close', () => { value.value = ''; dialog.remove(); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      const secretName = name.value.trim();
      if (!NAME_PATTERN.test(secretName)) return showError('The name must be capital letters, digits and _, not starting with a digit.', name);
      if (new TextEncoder().encode(value.value).length < MIN_VALUE_BYTES) {
        return showError(`The value must be at least ${MIN_VALUE_BYTES} bytes: a shorter one cannot be masked in output.`, value);
      }
      save.disabled = true;
      try {
        if (replacing) {
          await api('PUT', path.secret(secret), { body: { value: value.value, shared: shared.checked } });
        } else {
          await api('POST', path.secrets(), { body: { name: secretName, value: value.value, shared: shared.checked } });
        }
        dialog.close();
        notify(replacing ? `Replaced the value of ${secretName}.` : `Stored ${secretName}.`, 'success');
        await this.refresh();
      } catch (err) {
        if (is401(err)) { dialog.close(); return; }
        showError(err.message, /value/i.test(err.message) ? value : /name/i.test(err.message) ? name : null);
      } finally {
        save.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    (replacing ? value : name).focus();
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
