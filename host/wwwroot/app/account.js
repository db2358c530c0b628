// The landing of a signed-in user whose roles have no page (a job worker, a branch admin): what the token is for and
// where its API is, instead of a sign-in that would send them straight back here.
import { el, header } from './common.js';

const user = await header('Your account');
const purposes = {
  worker: ['A worker token is for a program, not for pages.',
    'A job worker takes the jobs of the service tasks of its branch over HTTP: POST /api/jobs/activation with the job type (long polling with requestTimeout),',
    'then POST /api/jobs/{id}/completion, /failure or /error, or PATCH /api/jobs/{id} to extend its lease. Only the worker holding a job\'s lease answers it.',
    'Get the token from POST /api/auth/sign-in (its "token") and send it as "Authorization: Bearer …".'],
  'branch-admin': ['A branch admin sets up branches through the API: the version each journey runs on (pins), calendars, a journey\'s local parameters,',
    'and with every branch (branch *), a test environment\'s controllable clock (/api/clock).'],
};
document.getElementById('who').textContent =
  `Signed in as ${user.name} (${user.roles.join(', ')}${user.branch ? ` · branch ${user.branch}` : ''}).`;
document.getElementById('roles').replaceChildren(...user.roles.filter(r => purposes[r])
  .map(r => el('div', { 'data-role': r }, el('h3', { text: r }), el('p', { text: purposes[r].join(' ') }))));
