export { DatabaseConnection, type SqlSession, type SqlRow } from './database-connection';
export { DatabaseModule, providePrismaClient } from './database.module';
export { applyMigrations, discoverMigrations } from './migrations';
export { PostgresConnection } from './postgres-connection';
export { EmbeddedConnection, IN_MEMORY } from './embedded-connection';
