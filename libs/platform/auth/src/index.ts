export { AuthModule } from './auth.module';
export { AccessGuard, AdminOnly, CurrentPrincipal, Public } from './access';
export { authenticateRequests, principalOf } from './authentication';
export { DevelopmentIssuer, type DevelopmentTokenRequest } from './development-issuer';
export { type Principal } from './principal';
export { InvalidToken, IssuerUnavailable, TokenVerifier, type TokenRules } from './token-verifier';
