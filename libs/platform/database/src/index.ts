export { DatabaseConnection, sqlLiteral, type SqlSession, type SqlRow, type SqlExecutor } from './database-connection';
export { DatabaseModule, providePrismaClient, type PrismaClientOptions } from './database.module';
export { applyMigrations, discoverMigrations, MigrationHistoryConflict, pendingMigrations } from './migrations';
export { moduleRole, MODULE_ROLE_PREFIX } from './module-role';
export { PostgresConnection } from './postgres-connection';
export { EmbeddedConnection, IN_MEMORY } from './embedded-connection';
export { prismaSql, prismaTransactions, activeTransactionSql } from './module-transactions';
export { Coalescer } from './coalescer';
