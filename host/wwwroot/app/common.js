// What every page shares: the API with the signed-in user's token (an HttpOnly cookie the sign-in set), who
// the user is, a header, small DOM helpers and the time formats agents read.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

// Every change the cookie authenticates carries the antiforgery token, fetched once per page.
let antiforgery;
async function antiforgeryHeaders() {
  antiforgery ??= fetch('/api/auth/antiforgery', { credentials: 'same-origin' }).then(r => r.json());
  const { header, token } = await antiforgery;
  return { [header]: token };
}

export async function api(path, { method = 'GET', body, xml } = {}) {
  let payload;
  const contentType = xml !== undefined ? 'application/xml' : body !== undefined ? 'application/json' : null;
  if (xml !== undefined) payload = xml;
  else if (body !== undefined) payload = JSON.stringify(body);
  const send = async () => {
    const headers = method === 'GET' ? {} : await antiforgeryHeaders();
    if (contentType) headers['content-type'] = contentType;
    return fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  };
  let response = await send();
  if (response.status === 401) {
    // A page someone signed in to is never left by itself: they sign in again over it and the request is sent again,
    // so nothing typed on it is lost. A page opened without a sign-in goes to the sign-in page.
    if (!signedIn || !await signInAgain()) {
      if (!signedIn) location.href = '/signin?returnUrl=' + encodeURIComponent(location.pathname);
      throw new ApiError(401, { title: 'Signed out', detail: 'Signed out: sign in again to carry on' });
    }
    response = await send();
  }
  const type = response.headers.get('content-type') || '';
  const content = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof content === 'object' ? content : { detail: content });
  return content;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function me() { return api('/api/auth/me'); }

/** The latest deployed version of each process, by process id, in the library's order. */
export async function latestVersions() {
  const latest = new Map();
  for (const d of await api('/api/definitions')) latest.set(d.processId, Math.max(d.version, latest.get(d.processId) || 0));
  return latest;
}

export async function header(title) {
  const user = await me();
  const bar = el('header', { class: 'top' },
    el('h1', { text: `Workflows · ${title}` }),
    el('span', { class: 'who', 'data-test': 'who', text: `${user.name} (${user.roles.join(', ')}${user.branch ? ' · ' + user.branch : ''})` }),
    el('button', { 'data-test': 'sign-out', onclick: signOut }, 'Sign out'));
  document.body.prepend(bar);
  signedIn = user;
  keepSignedIn();
  return user;
}

// ------------------------------------------------------------------ staying signed in

let signedIn = null;         // who header() found signed in: a page someone works on
let unsavedWork = () => '';  // what the page would lose (a sentence), '' when nothing
let renewal = null;

/** A page with work saved nowhere says what it is, so that signing out asks first. */
export function setUnsavedWork(describe) { unsavedWork = describe; }

// The token is renewed halfway to its expiry while the page is open (its sign-in is renewable for
// Workflows:Auth:SessionLifetime), and looked at again when the page comes back into view after a sleep.
async function keepSignedIn(session) {
  clearTimeout(renewal);
  try {
    session ??= await (await fetch('/api/auth/session', { credentials: 'same-origin' })).json();
  } catch { return; }
  if (!session?.expiresAt || !session.renewableUntil) return;
  const left = new Date(session.expiresAt).getTime() - Date.now();
  // setTimeout takes at most 2^31 - 1 ms (24.8 days): a longer wait would fire at once.
  renewal = setTimeout(renew, Math.min(2 ** 31 - 1, Math.max(5000, left / 2)));
}

async function renew() {
  try {
    const response = await fetch('/api/auth/renew', { method: 'POST', headers: await antiforgeryHeaders(), credentials: 'same-origin' });
    if (response.ok) keepSignedIn(await response.json());
  } catch { /* offline: the next request signs in again if it must */ }
}

document.addEventListener('visibilitychange', () => { if (signedIn && document.visibilityState === 'visible') keepSignedIn(); });

async function signOut() {
  const unsaved = unsavedWork();
  if (unsaved && !confirm(`${unsaved}\n\nSign out anyway and lose them?`)) return;
  await fetch('/api/auth/sign-out', { method: 'POST', headers: await antiforgeryHeaders() });
  signedIn = null;
  location.href = '/signin';
}

let signingIn = null;

/** The sign-in asked for again over the page; true once signed in as the same user, false when they choose to leave. */
function signInAgain() {
  signingIn ??= new Promise(resolve => {
    const error = el('p', { class: 'state-breached', role: 'alert', 'data-test': 'signin-again-error' });
    const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-test': 'signin-again-password' });
    const dialog = el('dialog', { class: 'signin-again', 'data-test': 'signin-again' },
      el('form', { method: 'dialog' },
        el('h2', { text: 'Signed out' }),
        el('p', { text: `Your sign-in has ended. Sign in again as ${signedIn.name} to carry on: nothing on this page is lost.` }),
        el('label', {}, 'Password ', password),
        error,
        el('p', { class: 'buttons' },
          el('button', { class: 'primary', value: 'sign-in', 'data-test': 'signin-again-submit' }, 'Sign in'),
          el('button', { value: 'leave', formnovalidate: true, 'data-test': 'signin-again-leave' }, 'Go to the sign-in page'))));
    document.body.append(dialog);
    const done = ok => { dialog.close(); dialog.remove(); signingIn = null; resolve(ok); };
    dialog.addEventListener('cancel', event => event.preventDefault());
    dialog.querySelector('form').addEventListener('submit', async event => {
      event.preventDefault();
      if (event.submitter?.value === 'leave') {
        done(false);
        location.href = '/signin?returnUrl=' + encodeURIComponent(location.pathname);
        return;
      }
      const response = await fetch('/api/auth/sign-in', {
        method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin',
        body: JSON.stringify({ username: signedIn.name, password: password.value }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) { error.textContent = answer.detail || answer.title || `HTTP ${response.status}`; password.select(); return; }
      antiforgery = undefined;
      keepSignedIn();
      done(true);
    });
    dialog.showModal();
    password.focus();
  });
  return signingIn;
}

export function notice(container, text, kind = '') {
  container.replaceChildren(el('div', { class: `notice ${kind}`, role: 'status', text }));
}

/** "in 1 h 20 min", "5 min late": the time to a moment, counted now. */
export function countdown(iso, now = Date.now()) {
  if (!iso) return '—';
  let minutes = Math.round((new Date(iso).getTime() - now) / 60000);
  const late = minutes < 0;
  minutes = Math.abs(minutes);
  const days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
  const text = [days ? `${days} d` : '', hours ? `${hours} h` : '', `${mins} min`].filter(Boolean).join(' ');
  return late ? `${text} late` : `in ${text}`;
}

export function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }

export function duration(ms) {
  const minutes = Math.round(ms / 60000);
  return minutes < 60 ? `${minutes} min` : minutes < 2880 ? `${(minutes / 60).toFixed(1)} h` : `${(minutes / 1440).toFixed(1)} d`;
}
