// `npm run token -- <subject> [--admin]`: a bearer token for <subject> (with the admin role when
// --admin) from the development issuer of the running api, printed alone on stdout:
//
//   TOKEN=$(npm run -s token -- alice)
//   curl -H "Authorization: Bearer $TOKEN" http://localhost:3000/orders/<id>
//
//   API_URL=http://host:port   the api to ask (default http://127.0.0.1:$PORT, PORT 3000)
//   AUTH_ADMIN_ROLE=<role>     the role --admin asks for, as the api reads it (default admin)
//
// The development issuer (POST /dev/token) runs in embedded mode (`npm start`) and with
// AUTH_DEV_ISSUER=true, never with NODE_ENV=production. An api that trusts an OpenID provider has
// none: get tokens from that provider (deploy/README.md). Exits 1, with the reason on stderr, when
// the api cannot be reached, has no development issuer, or refuses the subject.

const USAGE = 'usage: npm run token -- <subject> [--admin]';

/** What the development issuer accepts as a subject (and the api as a customer id). */
const SUBJECT = /^[\x21-\x7E]{1,100}$/;

/** A reason to stop that the user can act on: printed as it is, without a stack. */
export class TokenError extends Error {}

/** The api answers POST /dev/token with 404: it trusts an OpenID provider, not the development issuer. */
export class NoDevelopmentIssuer extends TokenError {}

/**
 * A token from the development issuer of the api at `apiUrl`, for `subject` with `roles`. Throws
 * NoDevelopmentIssuer when the api has none, TokenError when it cannot be reached or refuses the request.
 */
export async function developmentToken(apiUrl: string, subject: string, roles: string[] = []): Promise<string> {
  const base = apiUrl.replace(/\/+$/, '');
  const url = `${base}/dev/token`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, roles }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error;
    throw new TokenError(
      `cannot reach the api at ${base} (${String(cause)}): is it running? (npm start runs it; API_URL names another address)`,
    );
  }
  const text = await response.text();
  if (response.status === 404) {
    throw new NoDevelopmentIssuer(`${base} has no development issuer (POST /dev/token answered 404)`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  if (response.status === 400) {
    throw new TokenError(`the development issuer refused the request: ${typeof detail === 'string' ? detail : text}`);
  }
  const token = (body as { access_token?: unknown } | undefined)?.access_token;
  if (response.status !== 200 || typeof token !== 'string') {
    throw new TokenError(`POST ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return token;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const admin = args.includes('--admin');
  const rest = args.filter((arg) => arg !== '--admin');
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    throw new TokenError(USAGE);
  }
  const subject = rest[0]!;
  if (!SUBJECT.test(subject)) {
    throw new TokenError(
      `subject ${JSON.stringify(subject)}: expected 1 to 100 printable ASCII characters without spaces\n${USAGE}`,
    );
  }
  const apiUrl = process.env.API_URL || `http://127.0.0.1:${process.env.PORT || '3000'}`;
  if (!/^https?:\/\/[^/]+/.test(apiUrl)) {
    throw new TokenError(`API_URL: expected http(s)://host:port (got ${JSON.stringify(apiUrl)})`);
  }
  const roles = admin ? [process.env.AUTH_ADMIN_ROLE || 'admin'] : [];
  let token: string;
  try {
    token = await developmentToken(apiUrl, subject, roles);
  } catch (error) {
    if (error instanceof NoDevelopmentIssuer) {
      throw new TokenError(
        `${error.message}: the api trusts an OpenID provider (AUTH_ISSUER). Get a token from that provider ` +
          'instead, see deploy/README.md (with docker compose: Keycloak)',
      );
    }
    throw error;
  }
  process.stdout.write(`${token}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof TokenError ? `error: ${error.message}` : error);
    process.exit(1);
  });
}
