import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppConfig, ConfigurationError } from '@platform/config';
import { AccessGuard } from './access';
import { DevelopmentIssuer } from './development-issuer';
import { DevelopmentTokenController } from './development-token.controller';
import { TokenVerifier } from './token-verifier';

/**
 * Authentication and authorization for an app that serves the API: the TokenVerifier (used by the
 * edge hook that createHttpApp installs) and the AccessGuard on every route. With the development
 * issuer, also that issuer and its token route. Refuses to start without an issuer configured.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    const auth = config.auth;
    if (auth.kind === 'missing') {
      throw new ConfigurationError([auth.problem]);
    }
    const guard: Provider = { provide: APP_GUARD, useClass: AccessGuard };
    if (auth.kind === 'jwks') {
      return {
        module: AuthModule,
        providers: [{ provide: TokenVerifier, useValue: TokenVerifier.remote(auth.jwksUrl, auth) }, guard],
        exports: [TokenVerifier],
        global: true,
      };
    }
    return {
      module: AuthModule,
      controllers: [DevelopmentTokenController],
      providers: [
        {
          provide: DevelopmentIssuer,
          useFactory: async () => {
            new Logger('Auth').warn(
              'DEVELOPMENT ISSUER ACTIVE: POST /dev/token gives anyone any identity and role. Never expose this process.',
            );
            return DevelopmentIssuer.start(auth);
          },
        },
        {
          provide: TokenVerifier,
          inject: [DevelopmentIssuer],
          useFactory: (issuer: DevelopmentIssuer) =>
            TokenVerifier.local(issuer.keys, { ...auth, algorithms: issuer.algorithms }),
        },
        guard,
      ],
      exports: [TokenVerifier, DevelopmentIssuer],
      global: true,
    };
  }
}
