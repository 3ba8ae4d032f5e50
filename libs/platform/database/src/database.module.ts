import path from 'node:path';
import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { DatabaseConnection } from './database-connection';
import { EmbeddedConnection } from './embedded-connection';
import { applyMigrations } from './migrations';
import { PostgresConnection } from './postgres-connection';

async function openDatabase(config: AppConfig): Promise<DatabaseConnection> {
  const logger = new Logger('Database');
  const { database } = config;
  const connection =
    database.kind === 'postgres'
      ? PostgresConnection.open(database.url, database.poolSize, 'nest-modulith', {
          preparedStatements: database.preparedStatements,
        })
      : await EmbeddedConnection.open(database.dataDir);
  if (database.kind === 'embedded') {
    logger.log(`Embedded PostgreSQL (PGlite) at ${database.dataDir}`);
  }
  if (database.migrateOnStart) {
    try {
      const applied = await applyMigrations(connection, path.resolve(database.migrationsDir), logger);
      logger.log(applied > 0 ? `${applied} migrations applied` : 'Database schema is up to date');
    } catch (error) {
      await connection.close();
      throw error;
    }
  }
  return connection;
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DatabaseConnection) private readonly connection: DatabaseConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * Opens the database once per process (PostgreSQL when DATABASE_URL is set, embedded PGlite
 * otherwise) and applies pending migrations before anything else can use it.
 */
@Global()
@Module({
  providers: [{ provide: DatabaseConnection, useFactory: openDatabase, inject: [APP_CONFIG] }, DatabaseLifecycle],
  exports: [DatabaseConnection],
})
export class DatabaseModule {}

/** How long an interactive transaction may wait for a connection of the pool before it fails. */
const TRANSACTION_MAX_WAIT_MS = 10_000;
/** How long an interactive transaction may stay open before Prisma rolls it back. */
const TRANSACTION_TIMEOUT_MS = 30_000;

/** What every module's Prisma client is built with: its schema's adapter and the same limits as the others. */
export interface PrismaClientOptions {
  adapter: ReturnType<DatabaseConnection['prismaAdapter']>;
  /**
   * Prisma's defaults (2 s to get a connection, 5 s per transaction) fail healthy transactions that
   * merely queue for the pool under a burst; the pool size and the load shedding bound the wait.
   */
  transactionOptions: { maxWait: number; timeout: number };
}

/**
 * A module's Prisma client, generated from its own schema file, built on the adapter of the schema
 * it owns: `providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema:
 * 'ordering' })`. On PostgreSQL the client's connections run as the module's role
 * (`nest_modulith_ordering`), which its migrations create with privileges on that schema only: SQL
 * of the module naming another module's table fails with `permission denied`
 * (docs/adr/0012-one-database-role-per-module.md). `token` is the class modules inject (usually the
 * generated PrismaClient itself).
 */
export function providePrismaClient<Client>(
  token: abstract new (...args: never[]) => Client,
  create: (options: PrismaClientOptions) => Client,
  owner: { schema: string },
): Provider {
  return {
    provide: token,
    useFactory: (connection: DatabaseConnection) =>
      create({
        adapter: connection.prismaAdapter(owner.schema),
        transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS },
      }),
    inject: [DatabaseConnection],
  };
}
