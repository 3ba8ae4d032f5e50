import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

export interface DevelopmentTokenRequest {
  subject: string;
  roles: string[];
  lifetimeSeconds: number;
}

const ALGORITHM = 'ES256';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * FOR LOCAL DEVELOPMENT ONLY. An issuer inside the process: its key pair is generated at boot and
 * never leaves memory, and anyone who can reach its token route gets any identity and any role.
 * The configuration refuses it with NODE_ENV=production; outside embedded mode it needs
 * AUTH_DEV_ISSUER=true. Its tokens go through the same verification as an OpenID provider's.
 */
export class DevelopmentIssuer {
  private constructor(
    private readonly privateKey: SigningKey,
    readonly keys: JSONWebKeySet,
    private readonly issuer: string,
    private readonly audience: string,
    private readonly rolesClaim: string,
  ) {}

  static async start(options: { issuer: string; audience: string; rolesClaim: string }): Promise<DevelopmentIssuer> {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM);
    const publicJwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: ALGORITHM, use: 'sig' };
    return new DevelopmentIssuer(
      privateKey,
      { keys: [publicJwk] },
      options.issuer,
      options.audience,
      options.rolesClaim,
    );
  }

  get algorithms(): string[] {
    return [ALGORITHM];
  }

  issue({ subject, roles, lifetimeSeconds }: DevelopmentTokenRequest): Promise<string> {
    return new SignJWT(claimAt(this.rolesClaim, roles))
      .setProtectedHeader({ alg: ALGORITHM, kid: this.keys.keys[0]!.kid!, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }
}

/** `realm_access.roles` and `["admin"]` give `{ realm_access: { roles: ["admin"] } }`. */
function claimAt(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as Record<string, unknown>);
}
