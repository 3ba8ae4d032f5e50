-- Copied from prisma/README.md ("Data ownership") with <schema> = payments.

-- Data ownership (docs/adr/0012-one-database-role-per-module.md): the role the module's Prisma client runs as on
-- PostgreSQL. It reads and writes the tables of the "payments" schema and may use nothing of any other module's schema,
-- so the module's SQL naming another module's table fails with "permission denied".

-- Roles belong to the server, not to one database, and several databases of one server share them (the tests', two
-- deployments): the role is created only when missing, and a creation racing with this migration in another database
-- is tolerated. NOLOGIN: nobody logs in as it; the application's user takes it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'nest_modulith_payments') THEN
        BEGIN
            CREATE ROLE "nest_modulith_payments" NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END;
$$;

-- The migrating user (the application's) may take the role: its module connections start with `-c role=...`. A
-- superuser may take any role; a plain user needs the membership, granted here unless a DBA already did.
DO $$
BEGIN
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, 'nest_modulith_payments', 'USAGE') THEN
        BEGIN
            GRANT "nest_modulith_payments" TO CURRENT_USER;
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END IF;
END;
$$;

-- Data only, in its own schema: no CREATE (the schema changes through migrations, run as the migrating user), no
-- TRUNCATE, REFERENCES or TRIGGER, and nothing at all on any other schema.
GRANT USAGE ON SCHEMA "payments" TO "nest_modulith_payments";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "payments" TO "nest_modulith_payments";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "payments" TO "nest_modulith_payments";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "payments" TO "nest_modulith_payments";
-- The migration history is the runner's, not the module's.
REVOKE ALL ON "payments"."_prisma_migrations" FROM "nest_modulith_payments";

-- What later migrations of this schema create (run by the same user) gets the same privileges.
ALTER DEFAULT PRIVILEGES IN SCHEMA "payments"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "nest_modulith_payments";
ALTER DEFAULT PRIVILEGES IN SCHEMA "payments" GRANT USAGE, SELECT ON SEQUENCES TO "nest_modulith_payments";
ALTER DEFAULT PRIVILEGES IN SCHEMA "payments" GRANT EXECUTE ON FUNCTIONS TO "nest_modulith_payments";
