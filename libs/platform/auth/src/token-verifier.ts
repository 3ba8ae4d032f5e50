import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal';

export interface TokenRules {
  issuer: string;
  audience: string;
  /** Accepted `alg` values: asymmetric ones only (the configuration allows no other). */
  algorithms: string[];
  rolesClaim: string;
  adminRole: string;
  clockToleranceSeconds: number;
}

/** A token that does not hold: the reason is for the logs and the WWW-Authenticate header, never a secret. */
export class InvalidToken extends Error {
  constructor(readonly reason: string) {
    super(`Invalid bearer token: ${reason}`);
    this.name = 'InvalidToken';
  }
}

/** The issuer's keys could not be fetched: the token may be fine, the server cannot tell now. */
export class IssuerUnavailable extends Error {
  constructor(cause: unknown) {
    super('The token issuer cannot be reached', { cause });
    this.name = 'IssuerUnavailable';
  }
}

/** Verified tokens are remembered this long at most, so a revoked signing key stops working soon after. */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_MAX = 10_000;
const JWKS_TIMEOUT_MS = 2_000;

/**
 * Verifies bearer JWTs: signature against the issuer's JWKS, then `iss`, `aud`, `exp` (required),
 * `nbf`, and `alg` from an allowlist, so `alg: none` and HMAC tokens signed with a public key fail.
 * A verified token is remembered until it expires (at most a minute): verifying a signature costs
 * more than the rest of a cached read, and clients send the same token many times.
 */
export class TokenVerifier {
  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_TOKENS_MAX });

  private constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly rules: TokenRules,
  ) {}

  /** Keys fetched from the issuer's JWKS URL, cached, refetched when a token names an unknown key id. */
  static remote(jwksUrl: string, rules: TokenRules): TokenVerifier {
    return new TokenVerifier(createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS }), rules);
  }

  static local(jwks: JSONWebKeySet, rules: TokenRules): TokenVerifier {
    return new TokenVerifier(createLocalJWKSet(jwks), rules);
  }

  async verify(token: string): Promise<Principal> {
    const remembered = this.verified.get(token);
    if (remembered) {
      return remembered;
    }
    const payload = await this.verifiedPayload(token);
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > 255) {
      throw new InvalidToken('the token has no usable subject');
    }
    const roles = new Set(rolesAt(payload, this.rules.rolesClaim));
    const principal: Principal = { subject, roles, isAdmin: roles.has(this.rules.adminRole) };
    const ttl = Math.min(VERIFIED_TOKEN_TTL_MS, payload.exp! * 1000 - Date.now());
    if (ttl > 0) {
      this.verified.set(token, principal, { ttl });
    }
    return principal;
  }

  private async verifiedPayload(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.rules.issuer,
        audience: this.rules.audience,
        algorithms: this.rules.algorithms,
        clockTolerance: this.rules.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (error) {
      throw describe(error);
    }
  }
}

function describe(error: unknown): Error {
  const keysUnreadable =
    !(error instanceof errors.JOSEError) ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    // A plain JOSEError is what the JWKS fetch raises for a non-200 answer or a body that is not JSON.
    error.code === 'ERR_JOSE_GENERIC';
  if (keysUnreadable) {
    // Not the token's fault: the issuer's keys could not be fetched or read.
    return new IssuerUnavailable(error);
  }
  if (error instanceof errors.JWTExpired) {
    return new InvalidToken('the token has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidToken(`claim "${error.claim}" ${error.reason === 'missing' ? 'is missing' : 'does not match'}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidToken('the signing algorithm is not accepted');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new InvalidToken('no key of the issuer matches the token');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidToken('the signature does not verify');
  }
  return new InvalidToken('the token is malformed');
}

function rolesAt(payload: JWTPayload, path: string): string[] {
  let value: unknown = payload;
  for (const key of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return Array.isArray(value) ? value.filter((role): role is string => typeof role === 'string') : [];
}
