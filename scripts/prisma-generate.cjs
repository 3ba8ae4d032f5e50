// Generates each module's Prisma client from prisma/<module>/schema.prisma.
// Prisma's CLI looks for its native schema engine before generating and downloads it from a host
// outside the npm registry when it is missing; pointing PRISMA_SCHEMA_ENGINE_BINARY at a stand-in
// keeps every install offline (generation itself needs no engine).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prismaCli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const schemas = readdirSync(path.join(root, 'prisma'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => path.join('prisma', entry.name, 'schema.prisma'))
  .filter((schema) => existsSync(path.join(root, schema)));

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'scripts', 'no-schema-engine.sh'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};

for (const schema of schemas) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
console.log(`Prisma clients generated for ${schemas.length} modules.`);
