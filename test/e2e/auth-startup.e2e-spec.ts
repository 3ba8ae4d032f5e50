import { freePort, spawnApp } from '../support/app-process';

/**
 * The api serves nothing without an issuer it trusts, and never runs the development issuer (which
 * gives anyone any identity) in production: a process configured otherwise exits 1 at startup,
 * naming what to set, before it opens a database or a port. The other refusals of a bad
 * configuration are in process-lifecycle.e2e-spec.ts.
 */
describe('The api process refuses to start without a proper token issuer', () => {
  /** Starts the api with `env` and expects it to exit 1 on its own; resolves with its stderr. */
  const refusal = async (env: Record<string, string>): Promise<string> => {
    const app = spawnApp('api', { HOST: '127.0.0.1', PORT: String(await freePort()), ...env });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      app.exited,
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running after 60 s'), 60_000))),
    ]);
    clearTimeout(timer);
    if (typeof code === 'string') {
      await app.stop('SIGKILL');
    }
    const stderr = app.stderr.join('\n');
    expect({ code, stderr }).toEqual({ code: 1, stderr: expect.stringContaining('Invalid configuration') });
    return stderr;
  };

  it('with NODE_ENV=production and no AUTH_* variables, in embedded mode too', async () => {
    const stderr = await refusal({ NODE_ENV: 'production', PGLITE_DATA_DIR: 'memory://' });
    expect(stderr).toContain('AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL: required to serve the API');
    expect(stderr).toContain('NODE_ENV=production');
  });

  it('with AUTH_DEV_ISSUER=true and NODE_ENV=production', async () => {
    const stderr = await refusal({ NODE_ENV: 'production', AUTH_DEV_ISSUER: 'true', PGLITE_DATA_DIR: 'memory://' });
    expect(stderr).toContain('AUTH_DEV_ISSUER: the development issuer cannot run with NODE_ENV=production');
  });

  it('with DATABASE_URL and no AUTH_* variables, in development too (before connecting)', async () => {
    // Nothing listens on port 1: were the database opened first, the error would be another one.
    const stderr = await refusal({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/postgres' });
    expect(stderr).toContain('AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL: required to serve the API');
    expect(stderr).toContain('AUTH_DEV_ISSUER=true');
  });
});
