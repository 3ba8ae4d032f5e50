import * as path from 'node:path';
import * as prettier from 'prettier';
import { type Codebase, readCodebase } from './read-codebase';
import { renderAsyncApi } from './render-asyncapi';
import { renderModulesMd } from './render-modules-md';

/** A generated document: its repository-relative path and its content, formatted. */
export interface GeneratedDoc {
  path: string;
  content: string;
}

export const GENERATED_DOCS = ['docs/modules.md', 'docs/asyncapi.yaml'] as const;

/**
 * Reads the code and renders both documents, in memory. `npm run docs` writes them; the freshness
 * test compares them with the committed files. Same input, same output: nothing depends on the
 * clock, the machine or the order a directory is listed in.
 */
export async function generateDocs(root: string, codebase: Codebase = readCodebase(root)): Promise<GeneratedDoc[]> {
  const [modulesMd, asyncApi] = GENERATED_DOCS;
  return [
    { path: modulesMd, content: await format(root, modulesMd, renderModulesMd(codebase)) },
    { path: asyncApi, content: await format(root, asyncApi, renderAsyncApi(root, codebase)) },
  ];
}

/** Formatted with the repository's prettier settings, so `prettier --check` passes on the output. */
async function format(root: string, file: string, text: string): Promise<string> {
  const filepath = path.join(root, file);
  const options = await prettier.resolveConfig(filepath);
  return prettier.format(text, { ...options, filepath });
}
