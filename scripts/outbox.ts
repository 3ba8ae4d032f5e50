// `npm run outbox -- <command> <schema> [event ids...]`: operate a module's outbox.
//   list   <schema>               dead letters, oldest first, and the backlog
//   replay <schema> [eventId...]   put dead letters (these, or all) back in the queue
// It connects to DATABASE_URL (or the embedded database), like the app.
import { ConfigurationError, loadConfig } from '@platform/config';
import { type DatabaseConnection, EmbeddedConnection, PostgresConnection } from '@platform/database';
import { listDeadLetters, outboxBacklog, replayDeadLetters } from '@platform/outbox';

const USAGE = 'usage: npm run outbox -- list <schema> | replay <schema> [eventId...]';

async function main(): Promise<void> {
  const [command, schema, ...eventIds] = process.argv.slice(2);
  if (!schema || (command !== 'list' && command !== 'replay')) {
    throw new Error(USAGE);
  }
  const { database } = loadConfig();
  const connection: DatabaseConnection =
    database.kind === 'postgres'
      ? PostgresConnection.open(database.url, 1, 'nest-modulith-outbox-cli')
      : await EmbeddedConnection.open(database.dataDir);
  try {
    if (command === 'list') {
      console.log(
        JSON.stringify(
          { backlog: await outboxBacklog(connection, schema), deadLetters: await listDeadLetters(connection, schema) },
          null,
          2,
        ),
      );
    } else {
      const requeued = await replayDeadLetters(connection, schema, eventIds.length > 0 ? eventIds : undefined);
      console.log(`${requeued} dead letters requeued in ${schema}.outbox`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError || error instanceof Error ? error.message : error);
  process.exit(1);
});
