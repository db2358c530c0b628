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
  const headers = method === 'GET' ? {} : await antiforgeryHeaders();
  let payload;
  if (xml !== undefined) { headers['content-type'] = 'application/xml'; payload = xml; }
  else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (response.status === 401) {
    location.href = '/signin?returnUrl=' + encodeURIComponent(location.pathname);
    throw new ApiError(401, { title: 'Signed out' });
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
    el('button', { onclick: async () => { await fetch('/api/auth/sign-out', { method: 'POST', headers: await antiforgeryHeaders() }); location.href = '/signin'; } }, 'Sign out'));
  document.body.prepend(bar);
  return user;
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
