import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './principal';

/** Who may call a route: anybody, any authenticated caller (the default), or an admin. */
type Access = 'public' | 'authenticated' | 'admin';

const ACCESS = 'platform:access';

/**
 * Anybody may call the route, without a token. Routes are closed unless they say so. In the
 * OpenAPI document, `security: [{}]` overrides the document-wide bearer requirement.
 */
export const Public = () => applyDecorators(SetMetadata(ACCESS, 'public' satisfies Access), ApiSecurity({}));

/** Operational routes: the token must carry the admin role (AUTH_ADMIN_ROLE). */
export const AdminOnly = () => SetMetadata(ACCESS, 'admin' satisfies Access);

/** The authenticated caller of a route that is not public. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) {
    // Only a public route can get here without a caller: asking for one there is a programming error.
    throw new Error('CurrentPrincipal() used on a route without an authenticated caller');
  }
  return principal;
});

const REALM = 'Bearer realm="nest-modulith"';

/**
 * Authorization by route, secure by default: a route without @Public() needs a valid token, one
 * with @AdminOnly() the admin role too. A token that was sent and does not hold is refused on
 * every route, public ones included, so that a client learns its token is bad. 401 answers carry
 * the RFC 6750 challenge.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const access =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ??
      'authenticated';
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (request.authenticationFailure) {
      void reply.header('www-authenticate', `${REALM}, error="invalid_token"`);
      throw new UnauthorizedException(`The bearer token was refused: ${request.authenticationFailure}.`);
    }
    if (access === 'public') {
      return true;
    }
    if (!request.principal) {
      void reply.header('www-authenticate', REALM);
      throw new UnauthorizedException('This route needs a bearer token (Authorization: Bearer <token>).');
    }
    if (access === 'admin' && !request.principal.isAdmin) {
      throw new ForbiddenException('This route needs the admin role.');
    }
    return true;
  }
}
