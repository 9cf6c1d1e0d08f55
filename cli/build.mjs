// Builds dist/elg.mjs: the whole `elg` command line in one ES module, so that `bin/elg` starts it
// with plain node in a tenth of a second instead of compiling TypeScript on every run.
// `npm run build:cli` (also run by `npm run setup`); `bin/elg` runs it by itself when the bundle is
// missing or older than a source it was built from. Plain JavaScript: it runs before any build.
//
//   node cli/build.mjs [--quiet]
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The bundle; `dist/` is at the same depth as `cli/`, so `import.meta.url`-relative paths still hold. */
export const BUNDLE = join(ROOT, 'dist', 'elg.mjs');
/** The files the bundle was built from, one repository-relative path a line, for `bin/elg` to compare. */
export const SOURCES = join(ROOT, 'dist', 'elg.sources');

/**
 * Builds the bundle and its source list. Written to temporary names and renamed, so that commands
 * started meanwhile (or a second build at the same time) see the old bundle or the new, never half
 * of one. The bundle gets the time the build started: a source saved during the build is newer.
 */
export async function buildCli() {
  const started = new Date();
  await mkdir(dirname(BUNDLE), { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, 'cli', 'elg.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // Readable: an internal error's stack trace names real functions and lines.
      minify: false,
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
      // Some CommonJS dependencies call require() for Node built-ins; an ES module has none.
      banner: {
        js: "import{createRequire as __elgCreateRequire}from'node:module';const require=__elgCreateRequire(import.meta.url);",
      },
    });
    // Input paths are relative to absWorkingDir, the repository.
    const own = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/'));
    // Dependencies change with an install; the build itself with this file.
    const sources = [...new Set([...own, 'cli/build.mjs', 'package-lock.json'])];
    const list = `${SOURCES}.${process.pid}.tmp`;
    await writeFile(list, `${sources.join('\n')}\n`);
    await rename(list, SOURCES);
    await utimes(tmp, started, started);
    await rename(tmp, BUNDLE);
    return { file: BUNDLE, sources: sources.length, ms: Date.now() - started.getTime() };
  } finally {
    await rm(tmp, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quiet = process.argv.includes('--quiet');
  buildCli().then(
    (built) => {
      if (!quiet) {
        process.stdout.write(
          `built ${relative(process.cwd(), built.file)} from ${built.sources} sources in ${built.ms} ms\n`,
        );
      }
    },
    (err) => {
      const first = err?.errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
      process.stderr.write(
        `elg build failed: ${first ? `${where}${first.text}` : (err?.message ?? String(err))}\n`,
      );
      process.exitCode = 1;
    },
  );
}
