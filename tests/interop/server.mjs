// An OAuth 2.0 / OpenID Connect server we did not write — `oidc-provider`
// (npm, pinned in package-lock.json) — with the two things a SMART client
// needs in front of it: `{fhir_base}/.well-known/smart-configuration` and one
// FHIR read (`{fhir_base}/Patient/123`) that wants a valid bearer token.
// Driven by tests/it/interop.rs; loopback only, in-memory, nothing persisted.
//
// Usage: node server.mjs
// Prints one JSON line `{"issuer", "fhir_base", "port"}` on stdout when ready;
// logs go to stderr. Stops on SIGTERM/SIGINT or when stdin closes.

import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

// stdout carries the ready line only; oidc-provider's notices (console.log
// and console.info) go to stderr with its warnings.
const { error: toStderr } = console;
console.log = toStderr;
console.info = toStderr;

const SCOPES = ['openid', 'offline_access', 'fhirUser', 'launch/patient', 'patient/*.rs', 'patient/*.read'];
const PATIENT_ID = '123';

const http = createServer();
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const { port } = http.address();
const origin = `http://127.0.0.1:${port}`;
const issuer = `${origin}/oidc`;
const fhirBase = `${origin}/fhir`;

// A fresh signing key per run (oidc-provider's built-in dev key is shared by
// everyone who installs it).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `interop-${Date.now()}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'smart-cli',
      // A public native app (RFC 8252): http://127.0.0.1 with any port matches.
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: [`interop-cookie-key-${process.pid}-${Date.now()}`] },
  scopes: SCOPES,
  claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
  // Scope-requested claims (fhirUser) in the id_token too, not only at userinfo.
  conformIdTokenClaims: false,
  // SMART parameters. Unknown parameters are ignored anyway (checked: the
  // authorize request goes on to the login page); declared, they are kept.
  extraParams: ['aud', 'launch'],
  pkce: { required: () => true },
  // OIDC Core keeps offline_access only with prompt=consent, which SMART
  // clients do not send; SMART servers issue a refresh token anyway.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, fhirUser: `${fhirBase}/Patient/${PATIENT_ID}` };
      },
    };
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 120,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 24 * 3600,
  },
});
provider.proxy = false;
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

// SMART launch context: the token response names the patient when
// launch/patient was granted (oidc-provider has no notion of it).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.access_token) {
    const scopes = String(ctx.body.scope ?? '').split(' ');
    if (scopes.includes('launch/patient')) ctx.body.patient = PATIENT_ID;
  }
});

const smartConfiguration = () => ({
  issuer,
  jwks_uri: `${issuer}/jwks`,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  introspection_endpoint: `${issuer}/token/introspection`,
  revocation_endpoint: `${issuer}/token/revocation`,
  userinfo_endpoint: `${issuer}/me`,
  grant_types_supported: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_methods_supported: ['none'],
  response_types_supported: ['code'],
  scopes_supported: SCOPES,
  code_challenge_methods_supported: ['S256'],
  capabilities: [
    'launch-standalone',
    'client-public',
    'sso-openid-connect',
    'context-standalone-patient',
    'permission-offline',
    'permission-patient',
    'permission-v2',
  ],
});

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

// The resource server: a token is valid when oidc-provider still knows it
// (not expired, not revoked, grant not revoked).
async function validToken(req) {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const token = await provider.AccessToken.find(m[1]);
  if (!token || !token.isValid) return undefined;
  const grant = await provider.Grant.find(token.grantId);
  if (!grant) return undefined;
  return token;
}

async function fhir(req, res, path) {
  if (req.method === 'GET' && path === '/.well-known/smart-configuration') {
    return send(res, 200, smartConfiguration(), { 'content-type': 'application/json' });
  }
  if (req.method === 'GET' && path === `/Patient/${PATIENT_ID}`) {
    const token = await validToken(req);
    if (!token) {
      return send(res, 401, outcome('login', 'a valid bearer token is required'), {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
    return send(res, 200, {
      resourceType: 'Patient',
      id: PATIENT_ID,
      meta: { lastUpdated: '2024-01-01T00:00:00Z' },
      name: [{ family: 'Interop', given: ['Olive'] }],
      gender: 'female',
      birthDate: '1970-01-01',
    });
  }
  return send(res, 404, outcome('not-found', `no route ${req.method} ${path}`));
}

const oidc = provider.callback();
http.on('request', (req, res) => {
  const path = new URL(req.url, origin).pathname;
  if (path === '/fhir' || path.startsWith('/fhir/')) {
    fhir(req, res, path.slice('/fhir'.length)).catch((err) => {
      console.error(err);
      if (!res.headersSent) send(res, 500, outcome('exception', String(err)));
    });
  } else if (path.startsWith('/oidc/')) {
    // Mounted under /oidc, the way oidc-provider's docs mount it.
    req.originalUrl = req.url;
    req.url = req.url.slice('/oidc'.length);
    oidc(req, res);
  } else {
    send(res, 404, outcome('not-found', `no route ${req.method} ${path}`));
  }
});

const stop = () => {
  http.close();
  http.closeAllConnections?.();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ issuer, fhir_base: fhirBase, port })}\n`);
