// Plays the user in a browser for tests/it/interop.rs: opens the authorize URL,
// signs in on oidc-provider's devInteractions login form (any login and
// password are accepted), approves its consent form, and follows the final
// redirect to the app's loopback redirect_uri, so that `smart login` receives
// the callback. Cookies are kept like a browser keeps them (by path).
//
// Usage: node browser.mjs AUTHORIZE_URL [LOGIN]
// (`smart login` runs it through a BROWSER script that backgrounds it.)

const [authorizeUrl, login = 'alice'] = process.argv.slice(2);
if (!authorizeUrl) {
  console.error('usage: node browser.mjs AUTHORIZE_URL [LOGIN]');
  process.exit(2);
}
const server = new URL(authorizeUrl).origin;
const jar = new Map(); // `${path} ${name}` -> { name, value, path }

function remember(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let gone = value === '';
    for (const a of attrs) {
      const [k, v = ''] = a.split('=');
      if (k.toLowerCase() === 'path') path = v;
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) gone = true;
      if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) gone = true;
    }
    const key = `${path} ${name}`;
    if (gone) jar.delete(key);
    else jar.set(key, { name, value, path });
  }
}

function cookieHeader(url) {
  const { pathname } = new URL(url);
  return [...jar.values()]
    .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

async function request(url, { method = 'GET', form } = {}) {
  const headers = { accept: 'text/html,*/*', cookie: cookieHeader(url) };
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  console.error(`browser: ${method} ${url.split('?')[0]}`);
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  remember(res);
  return res;
}

// The first <form> on the page: its action and its hidden fields.
function parseForm(html, base) {
  const form = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields = {};
  for (const m of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(m[0])?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(m[0])?.[1] ?? '';
    if (name) fields[name] = value.replace(/&amp;/g, '&');
  }
  return { action: new URL(form[1].replace(/&amp;/g, '&'), base).href, fields };
}

let url = authorizeUrl;
let opts = {};
for (let step = 0; step < 20; step += 1) {
  const res = await request(url, opts);
  opts = {};
  if (new URL(url).origin !== server) {
    // The app's loopback redirect_uri: the login is in its hands now.
    console.error(`browser: callback answered ${res.status}`);
    process.exit(res.ok ? 0 : 1);
  }
  if (res.status >= 300 && res.status < 400) {
    url = new URL(res.headers.get('location'), url).href;
    continue;
  }
  const html = await res.text();
  const form = res.ok ? parseForm(html, url) : undefined;
  if (!form) {
    console.error(`browser: stuck at ${res.status} ${url}\n${html.slice(0, 2000)}`);
    process.exit(1);
  }
  if (form.fields.prompt === 'login') {
    Object.assign(form.fields, { login, password: 'any password' });
  }
  console.error(`browser: submitting the ${form.fields.prompt ?? 'unknown'} form`);
  url = form.action;
  opts = { method: 'POST', form: form.fields };
}
console.error('browser: too many steps');
process.exit(1);
