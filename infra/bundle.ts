import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { FUNCTIONS, type FunctionSpec } from '../functions/catalog.ts';

/** The repository root, whatever the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = join(ROOT, 'dist', 'lambda');

export interface BundleReport {
  name: string;
  /** Directory holding `index.mjs`: the Lambda asset. */
  dir: string;
  /** Bytes of the minified bundle. */
  bytes: number;
  /** Input bytes in the bundle per npm package (`(project)` for this repository's own code), largest first. */
  packages: { name: string; bytes: number }[];
  /** Input bytes in the bundle per file (relative to the repository root), largest first. */
  inputs: { path: string; bytes: number }[];
}

/**
 * Bundles every Lambda function with esbuild into one minified ES module each
 * (`<outDir>/<name>/index.mjs`), for Node.js 22. Everything comes from this repository and its
 * installed packages, the AWS SDK included, so a deployment runs exactly the versions that were
 * tested and never downloads anything.
 *
 * Two choices keep the bundles at half the size they would have by default (cold start grows with
 * it); neither changes what runs:
 * - `mainFields: module, main`. The AWS SDK clients (`client-dynamodb`, `client-kms`,
 *   `client-secrets-manager`, `lib-dynamodb`) have no `exports` map; their `main` is one CommonJS
 *   file holding every command of the service, their `module` the same code as ES modules, one per
 *   command, which esbuild shakes down to the commands this project sends.
 * - zod imported as a namespace, see {@link zodNamespaceImport}.
 */
export async function bundleFunctions(
  options: { outDir?: string; functions?: readonly FunctionSpec[] } = {},
): Promise<BundleReport[]> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const specs = options.functions ?? FUNCTIONS;
  return Promise.all(specs.map((spec) => bundleOne(spec, join(outDir, spec.name))));
}

async function bundleOne(spec: FunctionSpec, dir: string): Promise<BundleReport> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, spec.entry)],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    // Class and function names survive minifying: error names in the logs stay readable (~7% size).
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    mainFields: ['module', 'main'],
    plugins: [zodNamespaceImport],
    // Some CommonJS dependencies call require() for Node built-ins; an ES module has none.
    banner: {
      js: "import{createRequire as __elgCreateRequire}from'node:module';const require=__elgCreateRequire(import.meta.url);",
    },
  });
  // Lambda treats index.mjs as an ES module by its extension; the package.json states it plainly.
  await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
  const output = Object.values(result.metafile.outputs)[0];
  return {
    name: spec.name,
    dir,
    bytes: output?.bytes ?? 0,
    packages: packagesOf(result.metafile),
    inputs: Object.entries(output?.inputs ?? {})
      .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
      .filter((i) => i.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
  };
}

const NAMED_Z_IMPORT = /^import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1;?/gm;

/**
 * The project's `import { z } from 'zod'`, bundled as `import * as z from 'zod'`. zod's entry
 * exports the namespace of its classic API under the name `z` (`import * as z from
 * "./v4/classic/external.js"; export { z }`) and re-exports the same members directly
 * (`export * from "./v4/classic/external.js"`). esbuild keeps a namespace imported by name whole:
 * all 40-odd locales, the JSON Schema importer and every schema type, about 450 KB. Imported as a
 * namespace, `z.object` is a static member access that esbuild binds to the one export, and what no
 * function uses is left out. The members are the same functions either way; the English messages
 * are still installed when zod loads. Only this repository's sources are rewritten, in the bundle
 * only: the sources keep the import zod documents.
 */
export const zodNamespaceImport: Plugin = {
  name: 'elg-zod-namespace-import',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const source = await readFile(args.path, 'utf8');
      NAMED_Z_IMPORT.lastIndex = 0;
      if (!NAMED_Z_IMPORT.test(source)) return undefined;
      return { contents: source.replace(NAMED_Z_IMPORT, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/** Input bytes per npm package, from esbuild's metafile. */
function packagesOf(metafile: Metafile): BundleReport['packages'] {
  const sizes = new Map<string, number>();
  const output = Object.values(metafile.outputs)[0];
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const name = packageName(path);
    sizes.set(name, (sizes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...sizes]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

export function packageName(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return '(project)';
  const parts = path.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}
