// `npm run generate:module -- <name> [--aggregate <noun>] [--no-register] [--dry-run]`: scaffolds a new
// bounded context following the repository's conventions. What it writes and why: scripts/generate-module/README.md.
import * as path from 'node:path';
import { applyPlan, type GenerateOptions, GenerationRefused, planModule, type Plan } from './module-generator';

const USAGE = `Usage: npm run generate:module -- <name> [--aggregate <noun>] [--no-register] [--dry-run]

  <name>              the bounded context, lowercase words joined by hyphens: shipping, gift-cards
  --aggregate <noun>  the sample aggregate, singular (default: example): shipment
  --no-register       do not add the module to apps/api and apps/worker (the step is printed instead)
  --dry-run           print what would be written, and write nothing`;

interface Command extends GenerateOptions {
  dryRun: boolean;
  help: boolean;
}

function parseArguments(args: string[]): Command {
  const command: Command = { name: undefined, dryRun: false, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') command.help = true;
    else if (arg === '--dry-run') command.dryRun = true;
    else if (arg === '--no-register') command.register = false;
    else if (arg === '--aggregate' || arg.startsWith('--aggregate=')) {
      const value = arg === '--aggregate' ? args[(i += 1)] : arg.slice('--aggregate='.length);
      if (!value) throw new GenerationRefused('--aggregate needs a noun, for example --aggregate shipment');
      command.aggregate = value;
    } else if (arg.startsWith('-')) throw new GenerationRefused(`unknown option ${arg}`);
    else if (command.name === undefined) command.name = arg;
    else throw new GenerationRefused(`one module at a time: got '${command.name}' and '${arg}'`);
  }
  return command;
}

function report(plan: Plan, dryRun: boolean): string {
  const n = plan.names;
  const width = Math.max(0, ...plan.edits.map((e) => e.path.length));
  const lines = [
    `${dryRun ? 'Would generate' : 'Generated'} the bounded context '${n.module}': schema ${n.schema}, role ${n.role}, alias ${n.alias}, classes ${n.pascal}*, sample aggregate ${n.aggregate.pascal}.`,
    '',
    ...plan.files.map((f) => `  ${dryRun ? 'would create' : 'created'} ${f.path}`),
    ...plan.edits.map((e) => `  ${dryRun ? 'would change' : 'changed'} ${e.path.padEnd(width)}  ${e.change}`),
  ];
  if (plan.manualSteps.length > 0) {
    lines.push('', 'To do by hand:', ...plan.manualSteps.map((step) => `  - ${step}`));
  }
  lines.push('', 'Next steps:', ...plan.nextSteps.map((step, i) => `  ${i + 1}. ${step}`));
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const command = parseArguments(process.argv.slice(2));
  if (command.help) {
    console.log(USAGE);
    return;
  }
  const plan = await planModule(root, command);
  if (!command.dryRun) applyPlan(root, plan);
  console.log(report(plan, command.dryRun));
}

main().catch((error: unknown) => {
  if (error instanceof GenerationRefused) {
    console.error(`generate:module: ${error.message}\n\n${USAGE}`);
  } else {
    console.error('generate:module failed; nothing was written.');
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exitCode = 1;
});
