#!/bin/sh
# Stand-in for Prisma's native schema engine, which is fetched from outside the npm registry and is
# never installed here. `prisma generate` only checks that the file exists. Migrations are applied by
# libs/platform/database (see docs/adr/0003-migrations-without-the-schema-engine.md).
echo "nest-modulith: Prisma's native schema engine is not installed; use 'npm run db:migrate'." >&2
exit 1
