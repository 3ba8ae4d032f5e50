import { DevelopmentIssuer } from './development-issuer';
import { InvalidToken, TokenVerifier } from './token-verifier';

const rules = {
  issuer: 'urn:test-issuer',
  audience: 'test-api',
  rolesClaim: 'realm_access.roles',
  adminRole: 'admin',
  clockToleranceSeconds: 0,
};

describe('TokenVerifier with the development issuer', () => {
  let issuer: DevelopmentIssuer;
  let verifier: TokenVerifier;
  beforeAll(async () => {
    issuer = await DevelopmentIssuer.start(rules);
    verifier = TokenVerifier.local(issuer.keys, { ...rules, algorithms: issuer.algorithms });
  });

  it('reads the subject and the roles at the configured claim path', async () => {
    const customer = await verifier.verify(await issuer.issue({ subject: 'alice', roles: [], lifetimeSeconds: 60 }));
    expect(customer).toEqual({ subject: 'alice', roles: new Set(), isAdmin: false });
    const operator = await verifier.verify(
      await issuer.issue({ subject: 'olga', roles: ['admin', 'auditor'], lifetimeSeconds: 60 }),
    );
    expect(operator).toEqual({ subject: 'olga', roles: new Set(['admin', 'auditor']), isAdmin: true });
  });

  it('publishes only a public key', () => {
    expect(issuer.keys.keys).toHaveLength(1);
    expect(issuer.keys.keys[0]).not.toHaveProperty('d');
  });

  it('does not accept a token it remembers once that token has expired', async () => {
    const token = await issuer.issue({ subject: 'short-lived', roles: [], lifetimeSeconds: 1 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'short-lived' });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verifier.verify(token)).rejects.toEqual(new InvalidToken('the token has expired'));
  });

  it("refuses another issuer's tokens, even with the same audience and algorithm", async () => {
    const stranger = await DevelopmentIssuer.start(rules);
    const token = await stranger.issue({ subject: 'mallory', roles: ['admin'], lifetimeSeconds: 60 });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidToken);
  });
});
