// `npm run docs`: regenerates docs/modules.md and docs/asyncapi.yaml from the code.
// `npm run docs -- --check`: writes nothing; exits 1 and names the stale files if they differ.
// What it reads and how: scripts/docs/README.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateDocs } from './generate';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const doc of await generateDocs(root)) {
    const file = path.join(root, doc.path);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === doc.content) {
      console.log(`${doc.path}: up to date`);
      continue;
    }
    stale.push(doc.path);
    if (!check) {
      fs.writeFileSync(file, doc.content);
      console.log(`${doc.path}: written`);
    }
  }
  if (check && stale.length > 0) {
    console.error(`Out of date: ${stale.join(', ')}. Run \`npm run docs\` and commit the result.`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
