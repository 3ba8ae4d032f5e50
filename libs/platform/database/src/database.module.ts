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
      ? PostgresConnection.open(database.url, database.poolSize, 'nest-modulith')
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

/**
 * A module's Prisma client, generated from its own schema file, built on the shared connection.
 * `token` is the class modules inject (usually the generated PrismaClient itself).
 */
export function providePrismaClient<Client>(
  token: abstract new (...args: never[]) => Client,
  create: (adapter: ReturnType<DatabaseConnection['prismaAdapter']>) => Client,
): Provider {
  return {
    provide: token,
    useFactory: (connection: DatabaseConnection) => create(connection.prismaAdapter()),
    inject: [DatabaseConnection],
  };
}
