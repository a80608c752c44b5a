// A real OpenID Connect provider for the sign-in tests (npm oauth2-mock-server), on a free loopback port.
// It prints its issuer URL on the first line of stdout once it is listening, and stops when stdin closes (the test
// fixture ending). POST /test/claims {"claims": {...}, "next": {...}} sets the claims every ID token carries from
// then on, and what the next ID token alone gets: "claims" added or replaced (e.g. a wrong "aud" or "nonce"),
// "expired": true (its exp an hour ago), "forge": "foreign-key" (signed by a key the provider never published)
// or "none" (alg none, no signature). GET /test/authorize-log gives the query of every /authorize request.
import crypto from 'node:crypto';
import http from 'node:http';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const issuer = new OAuth2Issuer();
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);
const rogue = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
let claims = {};
let next = null;
const authorizeLog = [];

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const isIdToken = (payload) => 'aud' in payload && !('scope' in payload);

service.on('beforeTokenSigning', (token) => {
  if (!isIdToken(token.payload)) return;
  Object.assign(token.payload, claims, next?.claims ?? {});
  if (next?.expired) {
    const now = Math.floor(Date.now() / 1000);
    Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
  }
});

service.on('beforeResponse', (response) => {
  const forge = next?.forge;
  next = null;
  if (!forge || typeof response.body.id_token !== 'string') return;
  const [header, payload] = response.body.id_token.split('.');
  if (forge === 'none') {
    response.body.id_token = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
  } else {  // the same header (the real key's kid) and claims, signed by a key only the forger has
    const signature = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), rogue).toString('base64url');
    response.body.id_token = `${header}.${payload}.${signature}`;
  }
});

const handler = service.requestHandler;
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/test/claims') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const given = JSON.parse(body || '{}');
      claims = given.claims ?? {};
      next = given.next ?? null;
      res.writeHead(204).end();
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/test/authorize-log') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(authorizeLog));
    return;
  }
  if (req.url.startsWith('/authorize')) {
    authorizeLog.push(Object.fromEntries(new URL(req.url, 'http://x').searchParams));
  }
  handler(req, res);
});

server.listen(0, '127.0.0.1', () => {
  issuer.url = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${issuer.url}\n`);
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
