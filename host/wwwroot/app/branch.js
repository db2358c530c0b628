// The branch page, for branch administrators: the journeys' pins and versions with what changed, local parameters,
// the calendar layer, the rollouts that include the branch, and the migration of its running instances. A branch's
// administrator sees only its own branch (whatever the address names); a central one (branch *) picks one.
import { api, el, header, notice } from './common.js';
import { problemView } from './branch-model.js';
import { versionsTab } from './branch-versions.js';
import { parametersTab } from './branch-parameters.js';
import { calendarTab } from './branch-calendar.js';
import { rolloutsTab } from './branch-rollouts.js';
import { migrationTab } from './branch-migration.js';
import { decisionsTab } from './branch-decisions.js';

const $ = id => document.getElementById(id);
const user = await header('Branch');
const central = user.branch === '*';
const asked = new URLSearchParams(location.search);

// The page's state, given to each tab: the branch shown (as the API answers it) and the journey picked.
const page = {
  user, branch: null, journey: null,
  message: (text, kind = 'ok') => notice($('message'), text, kind),
  problem: error => $('message').replaceChildren(problemView(error)),
  clear: () => $('message').replaceChildren(),
  /** Reads the branch again (after a pin), and tells the tabs. */
  async reload() {
    page.branch = await api(`/api/branches/${encodeURIComponent(page.branch.id)}`);
    showRuns();
    Object.values(tabs).forEach(t => t.reset?.()); // a new pin changes what a migration moves to
  },
};

const tabs = {
  versions: versionsTab(page, $('panel-versions')),
  parameters: parametersTab(page, $('panel-parameters')),
  calendar: calendarTab(page, $('panel-calendar')),
  rollouts: rolloutsTab(page, $('panel-rollouts')),
  migration: migrationTab(page, $('panel-migration')),
  decisions: decisionsTab(page, $('panel-decisions')),
};
let current = Object.hasOwn(tabs, asked.get('tab') ?? '') ? asked.get('tab') : 'versions';

function showRuns() {
  const pin = page.branch?.pins?.[page.journey];
  $('runs').textContent = page.journey ? (pin ? `This branch starts version ${pin} (pinned).` : 'Not pinned: this branch starts the latest version.') : '';
}

async function show(name, focus = false) {
  current = name;
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.dataset.tab === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(`panel-${tab.dataset.tab}`).hidden = !on;
  }
  remember();
  try {
    await tabs[name].load();
  } catch (error) {
    page.problem(error);
  }
}

// The address says what is shown, so that a reload comes back to it (the branch only for a central administrator).
function remember() {
  const q = new URLSearchParams();
  if (central) q.set('branch', page.branch.id);
  if (page.journey) q.set('journey', page.journey);
  q.set('tab', current);
  history.replaceState(null, '', `/branch?${q}`);
}

// Tabs by keyboard: arrows move between them, as a tab list does.
document.querySelector('[role=tablist]').addEventListener('keydown', event => {
  const list = [...document.querySelectorAll('[role=tab]')];
  const at = list.findIndex(t => t.dataset.tab === current);
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: list.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  show(list[(next + list.length) % list.length].dataset.tab, true);
});
for (const tab of document.querySelectorAll('[role=tab]')) tab.addEventListener('click', () => show(tab.dataset.tab));

async function pickBranch(id) {
  page.clear();
  page.branch = await api(`/api/branches/${encodeURIComponent(id)}`);
  $('branch-name').textContent = `${page.branch.name} (${page.branch.id})`;
  const journeys = [...new Set([...(await api('/api/definitions')).map(d => d.processId), ...Object.keys(page.branch.pins || {})])].sort();
  const wanted = asked.get('journey');
  page.journey = journeys.includes(page.journey) ? page.journey : journeys.includes(wanted) ? wanted : journeys[0] || null;
  $('journey').replaceChildren(...journeys.map(j => el('option', { value: j, selected: j === page.journey, text: j })));
  showRuns();
  Object.values(tabs).forEach(t => t.reset?.());
  await show(current);
}

async function start() {
  if (!user.branch) {
    notice($('message'), 'Your sign-in names no branch: ask the central team to give your account one.', 'error');
    return;
  }
  let id = user.branch;
  if (central) {
    // A central administrator picks any branch; the page asks the API for the list, names only shown.
    const branches = await api('/api/branches');
    $('branch').hidden = false;
    $('branch-name').hidden = true;
    $('branch').replaceChildren(...branches.map(b => el('option', { value: b.id, text: `${b.name} (${b.id})` })));
    id = branches.some(b => b.id === asked.get('branch')) ? asked.get('branch') : branches[0]?.id;
    if (!id) { notice($('message'), 'No branch exists yet.', 'error'); return; }
    $('branch').value = id;
    $('branch').addEventListener('change', () => pickBranch($('branch').value).catch(page.problem));
  } else {
    // A branch's administrator sees its own branch only, whatever the address names.
    $('branch').remove();
    $('pick').querySelector('label[for=branch]').removeAttribute('for');
  }
  await pickBranch(id);
  if (!central && asked.get('branch') && asked.get('branch') !== id) {
    page.message(`You administer ${id} only: the page shows ${id}, not the branch the address named.`, '');
  }
}

$('journey').addEventListener('change', async () => {
  page.journey = $('journey').value;
  page.clear();
  showRuns();
  Object.values(tabs).forEach(t => t.reset?.());
  await show(current);
});
$('pick').addEventListener('submit', event => event.preventDefault());

try {
  await start();
} catch (error) {
  page.problem(error);
}
