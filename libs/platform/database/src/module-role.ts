/** A module's schema name, which is also its folder under prisma/. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** What every module role's name starts with: `nest_modulith_<schema>`. */
export const MODULE_ROLE_PREFIX = 'nest_modulith_';

/**
 * The PostgreSQL role a module's Prisma client runs as: `nest_modulith_<schema>`, created by the
 * module's own migration with privileges on its schema only (docs/adr/0012-one-database-role-per-module.md).
 */
export function moduleRole(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`'${schema}' is not a valid module schema name.`);
  }
  return `${MODULE_ROLE_PREFIX}${schema}`;
}
