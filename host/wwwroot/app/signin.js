// The sign-in page: a demo user's token in the HttpOnly cookie, then the page asked for. The server decides where
// to go (the return URL when it stays on this site, else home), so that no crafted link sends a user elsewhere.
const form = document.getElementById('signin');
form.addEventListener('submit', async event => {
  event.preventDefault();
  const response = await fetch('/api/auth/sign-in', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: form.username.value, password: form.password.value, returnUrl: new URLSearchParams(location.search).get('returnUrl') }),
  });
  const body = await response.json();
  if (!response.ok) {
    const div = document.createElement('div'); div.className = 'notice error'; div.textContent = body.detail || body.title;
    document.getElementById('message').replaceChildren(div);
    return;
  }
  location.href = body.redirect;
});
// The button is off until this script listens: a click before would submit the form as a plain GET.
form.querySelector('button[type=submit]').disabled = false;
