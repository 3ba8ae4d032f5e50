import { discoverMigrations } from '@platform/database';
import path from 'node:path';
import { type AppProcess, spawnApp } from '../support/app-process';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';

const MIGRATIONS = discoverMigrations(path.resolve(__dirname, '../../prisma')).map((m) => `${m.schema}/${m.name}`);

/** The output of a run of apps/migrate that has ended, and its exit code. */
async function finished(run: AppProcess): Promise<{ code: number | null; output: string }> {
  const code = await run.exited;
  return { code, output: [...run.stdout, ...run.stderr].join('\n') };
}

/**
 * `node dist/apps/migrate/main.js`, the Kubernetes migration Job, and `--wait`, the init container
 * that keeps a pod of a new version from starting before the Job has migrated (deploy/k8s).
 */
describe('The migrate app', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const migrate = (env: Record<string, string> = {}) => spawnApp('migrate', { DATABASE_URL: database.url, ...env });
  const waitForMigrations = (env: Record<string, string> = {}) =>
    spawnApp('migrate', { DATABASE_URL: database.url, ...env }, ['--wait']);

  it('--wait gives up after MIGRATIONS_WAIT_TIMEOUT_MS, exit 1, naming what is pending', async () => {
    const startedAt = Date.now();
    const { code, output } = await finished(waitForMigrations({ MIGRATIONS_WAIT_TIMEOUT_MS: '3000' }));
    expect(code).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3_000);
    expect(output).toContain('The migrations were not applied within 3000 ms (MIGRATIONS_WAIT_TIMEOUT_MS)');
    expect(output).toContain(`${MIGRATIONS.length} pending: ${MIGRATIONS[0]}`);
  });

  it('applies every migration once; a --wait started before it ends once they are in', async () => {
    const waiting = waitForMigrations({ MIGRATIONS_WAIT_TIMEOUT_MS: '60000' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(waiting.child.exitCode).toBeNull();

    const first = await finished(migrate());
    expect(first).toEqual({ code: 0, output: expect.stringContaining(`${MIGRATIONS.length} migrations applied`) });
    const waited = await finished(waiting);
    expect(waited).toEqual({ code: 0, output: expect.stringContaining('every migration of this build is applied') });

    expect(await finished(migrate())).toEqual({
      code: 0,
      output: expect.stringContaining('Database schema is up to date'),
    });
    expect((await finished(waitForMigrations())).code).toBe(0);
  });

  it('--wait stops at once, exit 1, on a migration applied with other contents: no wait would end that', async () => {
    const [schema, name] = MIGRATIONS[0]!.split('/');
    await queryDatabase(
      database.url,
      `UPDATE "${schema}"."_prisma_migrations" SET checksum = 'edited' WHERE migration_name = $1`,
      [name],
    );
    const startedAt = Date.now();
    const { code, output } = await finished(waitForMigrations({ MIGRATIONS_WAIT_TIMEOUT_MS: '60000' }));
    expect(code).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(output).toContain(`Migration ${MIGRATIONS[0]} was changed after it was applied`);
  });

  it('--wait refuses the embedded database, which the api migrates in its own process', async () => {
    const { code, output } = await finished(spawnApp('migrate', { PGLITE_DATA_DIR: 'memory://' }, ['--wait']));
    expect(code).toBe(1);
    expect(output).toContain('--wait needs DATABASE_URL');
  });
});
