// @ts-check
/**
 * The dashboard's entry point: sign-in (keystone token or http_basic user and password, kept for
 * this tab), and the router over the pages (`#/`, `#/node/<uuid>`, `#/rules`, `#/rules/<uuid>`).
 */
import { authMode, credentials, needsCredentials, signIn, signOut, whenAuthenticationNeeded } from './api.js';
import { h } from './format.js';
import { listView } from './list.js';
import { nodeView } from './node.js';
import { rulesView, ruleView } from './rules.js';

const main = /** @type {HTMLElement} */ (document.getElementById('view'));
const login = /** @type {HTMLDialogElement} */ (document.getElementById('login'));
const loginForm = /** @type {HTMLFormElement} */ (document.getElementById('login-form'));
const loginError = /** @type {HTMLElement} */ (document.getElementById('login-error'));
const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out'));

/** @type {AbortController | undefined} */
let page;

const INTRO = {
  keystone: 'This API checks Keystone tokens: paste one (openstack token issue -f value -c id).',
  http_basic: 'This API checks HTTP basic credentials: a user of its htpasswd.',
};

/** @param {string} [message] why (a refused credential) */
function askForCredentials(message) {
  if (authMode !== 'keystone' && authMode !== 'http_basic') return;
  /** @type {HTMLElement} */ (document.getElementById('login-intro')).textContent = INTRO[authMode];
  for (const fields of login.querySelectorAll('[data-auth-fields]')) {
    /** @type {HTMLElement} */ (fields).hidden =
      /** @type {HTMLElement} */ (fields).dataset.authFields !== authMode;
  }
  loginError.textContent = message ?? '';
  signOutButton.hidden = true;
  if (!login.open) login.showModal();
  /** @type {HTMLInputElement | null} */ (
    login.querySelector(authMode === 'keystone' ? '[name=token]' : '[name=user]')
  )?.focus();
}

function signInPrompt() {
  main.replaceChildren(
    h('h1', { text: 'Serverless Inspector' }),
    h('p', { class: 'muted', text: 'Sign in to see the introspections.' }),
    h('button', {
      class: 'primary',
      attrs: { type: 'button' },
      text: 'Sign in',
      on: { click: () => askForCredentials() },
    }),
  );
}

function route() {
  page?.abort();
  page = new AbortController();
  const path = location.hash.replace(/^#/, '') || '/';
  for (const link of document.querySelectorAll('[data-nav]')) {
    const current =
      /** @type {HTMLElement} */ (link).dataset.nav ===
      (path.startsWith('/rules') ? 'rules' : 'introspections');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  signOutButton.hidden = credentials() === undefined;
  if (needsCredentials()) {
    signInPrompt();
    askForCredentials();
    return;
  }
  const node = /^\/node\/([^/]+)$/.exec(path);
  const rule = /^\/rules\/([^/]+)$/.exec(path);
  if (node?.[1]) nodeView(main, page.signal, decodeURIComponent(node[1]));
  else if (rule?.[1]) void ruleView(main, page.signal, decodeURIComponent(rule[1]));
  else if (path === '/rules') void rulesView(main, page.signal);
  else listView(main, page.signal);
  if (authMode === 'iam') {
    main.prepend(
      h('p', {
        class: 'notice bad',
        text: 'This API uses AWS IAM (SigV4) authorization, which a browser page cannot sign: deploy with auth=keystone or http_basic to use the dashboard.',
      }),
    );
  }
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(loginForm);
  signIn({
    token: String(form.get('token') ?? ''),
    user: String(form.get('user') ?? ''),
    password: String(form.get('password') ?? ''),
  });
  if (needsCredentials()) {
    loginError.textContent = authMode === 'keystone' ? 'Give a token.' : 'Give a user.';
    return;
  }
  loginForm.reset();
  login.close();
  route();
});

signOutButton.addEventListener('click', () => {
  signOut();
  route();
});

whenAuthenticationNeeded((message) => {
  page?.abort();
  signInPrompt();
  askForCredentials(`The API refused the credentials: ${message}`);
});

window.addEventListener('hashchange', route);
route();
