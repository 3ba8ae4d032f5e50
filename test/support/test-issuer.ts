import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * An OpenID provider's part the API relies on, for tests: an RS256 key pair and its JWKS served over
 * HTTP on 127.0.0.1, so apps under test fetch and verify keys exactly as they do Keycloak's. Tokens
 * are signed synchronously (node:crypto), so a request can be given one inline; the same helpers
 * craft the broken tokens the authentication tests need.
 */
export interface TestIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The public half of the signing key, as published in the JWKS. */
  publicKey: KeyObject;
  /** AUTH_* variables that make an app trust this issuer. */
  env: Record<string, string>;
  /** A valid token for `subject`, optionally with the admin role. */
  tokenFor(subject: string, options?: { admin?: boolean }): string;
  /** A token with the given claims (merged over valid ones) and header (merged over a valid one). */
  sign(claims?: Record<string, unknown>, header?: Record<string, unknown>, key?: KeyObject): string;
}

export const TEST_AUDIENCE = 'nest-modulith-api';
export const ADMIN_ROLE = 'admin';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

let started: Promise<TestIssuer> | undefined;

/** The jest worker's test issuer, started on first use; its server does not keep the worker alive. */
export function testIssuer(): Promise<TestIssuer> {
  started ??= startTestIssuer();
  return started;
}

async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const server: Server = createServer((request, response) => {
    if (request.url === '/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}/realms/test`;
  const jwksUrl = `http://127.0.0.1:${port}/jwks.json`;

  const signToken: TestIssuer['sign'] = (claims = {}, header = {}, key = privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    const fullHeader = { alg: 'RS256', typ: 'JWT', kid, ...header };
    const payload = { iss: issuer, aud: TEST_AUDIENCE, iat: now, exp: now + 600, jti: randomUUID(), ...claims };
    const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(payload))}`;
    return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
  };
  return {
    issuer,
    audience: TEST_AUDIENCE,
    jwksUrl,
    publicKey,
    env: { AUTH_ISSUER: issuer, AUTH_AUDIENCE: TEST_AUDIENCE, AUTH_JWKS_URL: jwksUrl, AUTH_ALGORITHMS: 'RS256' },
    tokenFor: (subject, { admin = false } = {}) =>
      signToken({ sub: subject, realm_access: { roles: admin ? [ADMIN_ROLE] : [] } }),
    sign: signToken,
  };
}
