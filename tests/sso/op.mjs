// A real OpenID Provider for the SSO tests and the demo: the npm package oidc-provider
// (OpenID Certified), pinned in .ci/node/package.json, on loopback.
//
//   node tests/sso/op.mjs CONFIG.json
//
// CONFIG: {"node_modules": ".ci/node/node_modules", "port": 0, "clients": [{client_id,
// client_secret, redirect_uris}], "accounts": {"alice": {"tid": "...", "roles": [...], ...}}}.
// It listens on 127.0.0.1 (port 0: a free one), then prints "listening <issuer>" on stdout.
//
// Sign-in is a one-field page (the account's name) instead of oidc-provider's development
// pages, which load web fonts from the internet; "with_mfa" on that page puts "mfa" in the
// ID token's amr claim, as Entra ID does after its own second factor.
//
// Test hooks (loopback only, for the tests' misbehaving provider): POST /__test/mode {"mode":
// ...} makes the provider misbehave after an otherwise genuine flow: the ID token it returns is
// re-signed with a wrong issuer ("issuer"), a wrong audience ("audience"), already expired
// ("expired"), unsigned with alg none ("none"), with another nonce ("nonce"), or the redirect
// back carries another state ("state"); "entra" and "entra-other" re-sign it with Entra ID's
// per-tenant issuer (see claims/sso.py). POST /__test/accounts replaces the accounts' claims
// (an administrator changing a user's app roles in the directory).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const modules = resolve(config.node_modules || '.ci/node/node_modules');
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href);
const jose = await import(pathToFileURL(join(modules, 'jose', 'dist', 'webapi', 'index.js')).href);

let accounts = config.accounts || {};
let mode = '';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-op-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((done) => server.listen(config.port || 0, '127.0.0.1', done));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-op-cookie-key'] },
  // Every claim of the account goes into the ID token (Entra ID puts roles, groups and tid there).
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'tid', 'roles', 'groups', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => false },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party clients: no consent page.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});
provider.proxy = false;

async function body(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function misbehave(idToken) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'issuer') claims.iss = 'http://127.0.0.1:9/evil';
  if (mode === 'audience') claims.aud = 'another-client';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (mode === 'nonce') claims.nonce = 'not-the-nonce-you-sent';
  // Entra ID's multi-tenant shape: the issuer names the tenant; "entra-other" names another one
  // than the token's tid.
  if (mode === 'entra') claims.iss = `${issuer}/${claims.tid}/v2.0`;
  if (mode === 'entra-other') claims.iss = `${issuer}/another-tenant/v2.0`;
  if (mode === 'none') return `${b64({ alg: 'none', typ: 'JWT', kid: signingKey.kid })}.${b64(claims)}.`;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(privateKey);
}

const page = (uid, names) => `<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1><form method="post" action="/interaction/${uid}">
<label for="account">Account</label><select id="account" name="account">${names.map((n) => `<option>${n}</option>`).join('')}</select>
<label><input type="checkbox" name="with_mfa" value="1"> Signed in with a second factor</label>
<button type="submit">Continue</button></form></body></html>`;

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test/') && ctx.method === 'POST') {
    const data = JSON.parse((await body(ctx)) || '{}');
    if (ctx.path === '/__test/mode') mode = data.mode || '';
    if (ctx.path === '/__test/accounts') accounts = data.accounts;
    ctx.body = { mode, accounts: Object.keys(accounts) };
    return;
  }
  const interaction = ctx.path.match(/^\/interaction\/([\w-]+)$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = page(details.uid, Object.keys(accounts));
      return;
    }
    const form = new URLSearchParams(await body(ctx));
    const login = { accountId: form.get('account'), amr: form.get('with_mfa') ? ['pwd', 'mfa'] : ['pwd'] };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false }));
    return;
  }
  await next();
  if (mode && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await misbehave(ctx.body.id_token) };
  }
  const location = ctx.response.get('Location');
  if (mode === 'state' && location && location.includes('state=')) {
    ctx.response.set('Location', location.replace(/state=[^&]*/, 'state=forged-state'));
  }
});

server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
