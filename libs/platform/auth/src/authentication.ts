import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from './principal';
import { InvalidToken, type TokenVerifier } from './token-verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null when the request carries no token or one that does not hold. */
    principal: Principal | null;
    /** Why the credentials sent do not hold; null when none were sent or they hold. */
    authenticationFailure: string | null;
  }
}

/** RFC 6750's b64token: what may follow `Bearer ` in the Authorization header. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Authentication at the edge, before routing: the bearer token, when there is one, is verified once
 * and the request carries the result. Nothing is refused here: whether a route needs a caller is the
 * AccessGuard's decision, and the rate limiter, which runs next, counts a caller by its identity and
 * anybody else, a bad token included, by address.
 */
export function authenticateRequests(fastify: FastifyInstance, verifier: TokenVerifier): void {
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('authenticationFailure', null);
  fastify.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      return;
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      request.authenticationFailure = 'the Authorization header is not "Bearer <token>"';
      return;
    }
    try {
      request.principal = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidToken)) {
        throw error;
      }
      request.authenticationFailure = error.reason;
    }
  });
}

/** The verified caller of a request (null for an anonymous one). */
export const principalOf = (request: FastifyRequest): Principal | null => request.principal;
