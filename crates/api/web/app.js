// The dashboard's shell: the API key prompt, the tab bar and the views.
//
// A view is a module whose default export is
//   { id: 'buttons', label: 'Buttons', create(shell) → instance }
// and whose instance has `element` (its root node), `show()` (called each
// time its tab is selected), `hide()` and `destroy()` (on sign-out: abort
// streams and timers). To add a view (Agents, Scenarios…), write its module
// next to this one, import it below, add it to VIEWS, and list the file in
// `ASSETS` in crates/api/src/web.rs.

import { h, api, ApiError, session, icon } from './core.js';
import buttons from './buttons.js';
import agents from './agents.js';
import scenarios from './scenarios.js';
import hooks from './hooks.js';
import secrets from './secrets.js';
import code from './code.js';

const VIEWS = [buttons, agents, scenarios, code, hooks, secrets];

const $ = (id) => document.getElementById(id);
const loginSection = $('login');
const loginForm = $('login-form');
const loginInput = $('api-key');
const loginMessage = $('login-message');
const loginSubmit = $('login-submit');
const tabBar = $('tabs');
const viewsRoot = $('views');
const sessionControls = $('session');
const signOutButton = $('sign-out');

/** Instances by view id, created when a view is first shown. */
const instances = new Map();
let current = null;
let signedIn = false;

const shell = {
  /** Back to the key prompt, with `message` shown above it. */
  signOut,
};

// ------------------------------------------------------------ sign in ----

function showLogin(message, kind = 'error') {
  signedIn = false;
  // A form or confirmation left open belongs to the session that ended.
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  for (const instance of instances.values()) {
    instance.destroy();
    instance.element.remove();
  }
  instances.clear();
  current = null;
  tabBar.hidden = true;
  sessionControls.hidden = true;
  viewsRoot.hidden = true;
  loginSection.hidden = false;
  document.title = 'Sign in · runbox';
  loginMessage.hidden = !message;
  loginMessage.textContent = message || '';
  loginMessage.className = `alert alert-${kind}`;
  loginInput.value = '';
  loginInput.setAttribute('aria-invalid', kind === 'error' && message ? 'true' : 'false');
  loginInput.focus();
}

function signOut(message, kind) {
  session.key = '';
  showLogin(message, kind);
}

session.onUnauthorized = (message) => {
  if (!signedIn) return;
  signOut(`Your API key was refused by the server (${message}). Enter a valid key to continue.`);
};

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = loginInput.value.trim();
  if (!key) {
    loginMessage.hidden = false;
    loginMessage.className = 'alert alert-error';
    loginMessage.textContent = 'Enter an API key.';
    loginInput.setAttribute('aria-invalid', 'true');
    loginInput.focus();
    return;
  }
  loginSubmit.disabled = true;
  loginSubmit.textContent = 'Checking…';
  try {
    // Any authenticated read tells whether the key is accepted.
    await api('GET', '/api/v1/buttons', { key });
    session.key = key;
    enterApp();
  } catch (err) {
    const message = err instanceof ApiError && err.status === 401
      ? `This API key was refused: ${err.message}`
      : `Could not check the key: ${err.message}`;
    loginMessage.hidden = false;
    loginMessage.className = 'alert alert-error';
    loginMessage.textContent = message;
    loginInput.setAttribute('aria-invalid', 'true');
    loginInput.select();
    loginInput.focus();
  } finally {
    loginSubmit.disabled = false;
    loginSubmit.textContent = 'Continue';
  }
});

// A key icon before the words; on a phone only the icon shows (the name
// stays "Change key"), so that the tabs fit beside it.
signOutButton.setAttribute('aria-label', 'Change key');
signOutButton.title = 'Change key';
signOutButton.replaceChildren(icon('key'), h('span', { class: 'session-text', text: 'Change key' }));

signOutButton.addEventListener('click', () => {
  signOut('Signed out. The key was removed from this tab.', 'info');
});

// --------------------------------------------------------------- tabs ----

function renderTabs() {
  tabBar.replaceChildren();
  for (const view of VIEWS) {
    const tab = h('button', {
      type: 'button',
      role: 'tab',
      id: `tab-${view.id}`,
      class: 'tab',
      'aria-controls': `view-${view.id}`,
      'aria-selected': 'false',
      tabindex: '-1',
      text: view.label,
      on: { click: () => navigate(view.id) },
    });
    tabBar.append(tab);
  }
}

// Arrow keys move between tabs (the WAI-ARIA tabs pattern).
tabBar.addEventListener('keydown', (event) => {
  const tabs = [...tabBar.querySelectorAll('[role="tab"]')];
  const index = tabs.indexOf(document.activeElement);
  if (index === -1) return;
  let next = null;
  if (event.key === 'ArrowRight') next = tabs[(index + 1) % tabs.length];
  else if (event.key === 'ArrowLeft') next = tabs[(index - 1 + tabs.length) % tabs.length];
  else if (event.key === 'Home') next = tabs[0];
  else if (event.key === 'End') next = tabs[tabs.length - 1];
  if (!next) return;
  event.preventDefault();
  next.focus();
  next.click();
});

function viewFromHash() {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return VIEWS.find((v) => v.id === id) || VIEWS[0];
}

function navigate(id) {
  if (location.hash !== `#/${id}`) location.hash = `#/${id}`;
  else activate(viewFromHash());
}

window.addEventListener('hashchange', () => {
  if (signedIn) activate(viewFromHash());
});

function activate(view) {
  if (current && current.id === view.id) return;
  if (current) instances.get(current.id)?.hide();
  let instance = instances.get(view.id);
  if (!instance) {
    instance = view.create(shell);
    instance.element.id = `view-${view.id}`;
    instance.element.setAttribute('role', 'tabpanel');
    instance.element.setAttribute('aria-labelledby', `tab-${view.id}`);
    instance.element.classList.add('view');
    instances.set(view.id, instance);
    viewsRoot.append(instance.element);
  }
  for (const [id, other] of instances) other.element.hidden = id !== view.id;
  for (const tab of tabBar.querySelectorAll('[role="tab"]')) {
    const selected = tab.id === `tab-${view.id}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    // On a narrow screen the tab bar scrolls: keep the chosen tab in sight.
    if (selected) tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  current = view;
  document.title = `${view.label} · runbox`;
  instance.show();
}

function enterApp() {
  signedIn = true;
  loginSection.hidden = true;
  loginMessage.hidden = true;
  tabBar.hidden = false;
  sessionControls.hidden = false;
  viewsRoot.hidden = false;
  current = null;
  activate(viewFromHash());
}

renderTabs();
if (session.key) enterApp();
else showLogin('', 'info');
