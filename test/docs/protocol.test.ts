import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditAction, AuditOutcomeSchema } from '../../contracts/audit.ts';
import { RoleSchema } from '../../contracts/auth.ts';
import { ErrorCode } from '../../contracts/errors.ts';
import { KeyPurposeSchema } from '../../contracts/keys.ts';
import { CheckResultSchema, ReasonCode, VerdictSchema } from '../../contracts/verify.ts';
import { testGateway } from '../support/gateway.ts';

/**
 * The protocol document (docs/protocol.md and the files it numbers its sections across) must keep
 * up with the code: every error code, verification reason, audit action, route and `ELG_*`
 * setting the code has is named there, and every "§N" a document or the code cites exists.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(REPO, 'docs');

/** Where the code that runs lives; tests and generated bundles are not settings anybody sets. */
const SOURCE_DIRS = [
  'bin',
  'bench',
  'cli',
  'contracts',
  'federation',
  'functions',
  'infra',
  'lib',
  'scripts',
];
const SOURCE_FILE = /(\.(ts|mts|js|mjs|sh)|^[^.]+)$/;

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(path, keep);
    return e.isFile() && keep(path) ? [path] : [];
  });
}

const docFiles = filesUnder(DOCS, (p) => p.endsWith('.md'));
const docs = docFiles.map((f) => readFileSync(f, 'utf8')).join('\n');

const sourceFiles = SOURCE_DIRS.flatMap((d) =>
  filesUnder(join(REPO, d), (p) => {
    const name = p.slice(p.lastIndexOf('/') + 1);
    return SOURCE_FILE.test(name) && !/\.test\.[mc]?[jt]s$/.test(name);
  }),
);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `code` written as a whole word of its own, e.g. in backticks: NOT_FOUND does not count inside NOT_FOUND_X. */
const mentions = (code: string) =>
  new RegExp(`(?<![A-Za-z0-9_.])${escapeRegExp(code)}(?![A-Za-z0-9_])`).test(docs);

/** Section numbers the documents define: headings `## 7.` / `### 7.2`, and bold run-in `**1.2 ...**`. */
const definedSections = new Set(
  [...docs.matchAll(/^(?:#{1,4} |\*\*)(\d+(?:\.\d+)*)[.\s]/gm)].map((m) => m[1]?.replace(/\.$/, '')),
);

describe('docs/protocol.md', () => {
  it('exists with its sibling files', () => {
    const names = docFiles.map((f) => relative(DOCS, f)).sort();
    expect(names).toEqual(expect.arrayContaining(['errors.md', 'protocol.md', 'settings.md']));
  });

  it('names every error code of contracts/errors.ts', () => {
    const missing = Object.values(ErrorCode).filter((code) => !mentions(code));
    expect(missing, 'error codes missing from docs/errors.md §13.1').toEqual([]);
  });

  it('gives every error code its HTTP status in the catalog', () => {
    const catalog = readFileSync(join(DOCS, 'errors.md'), 'utf8');
    const rows = new Map(
      [...catalog.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect([...rows.keys()].sort()).toEqual(expect.arrayContaining(Object.values(ErrorCode).sort()));
  });

  it('names every verification reason code of contracts/verify.ts', () => {
    const missing = Object.values(ReasonCode).filter((code) => !mentions(code));
    expect(missing, 'reason codes missing from docs/errors.md §13.2').toEqual([]);
  });

  it('names every check result, verdict, audit outcome, role and key purpose', () => {
    const values = [
      ...CheckResultSchema.options,
      ...VerdictSchema.options,
      ...AuditOutcomeSchema.options,
      ...RoleSchema.options,
      ...KeyPurposeSchema.options,
    ];
    expect(values.filter((v) => !docs.includes(`\`${v}\``))).toEqual([]);
  });

  it('names every audit action of contracts/audit.ts', () => {
    const missing = Object.values(AuditAction).filter((action) => !docs.includes(`\`${action}\``));
    expect(missing, 'audit actions missing from docs/errors.md §13.4').toEqual([]);
  });

  it('names every ELG_* setting the code reads', () => {
    expect(sourceFiles.length).toBeGreaterThan(50);
    const texts = sourceFiles.map((f) => readFileSync(f, 'utf8'));
    // Constants the code declares under such a name (an example header value, say) are not settings.
    const declared = new Set(
      texts.flatMap((t) =>
        [...t.matchAll(/\b(?:const|let|var|function|class)\s+(ELG_[A-Z_]+)/g)].map((m) => m[1]),
      ),
    );
    const names = new Set(
      texts.flatMap((t) => t.match(/ELG_[A-Z_]+/g) ?? []).filter((name) => !declared.has(name)),
    );
    expect(names).toContain('ELG_PROVINCE_ID');
    // A name ending in `_` is a prefix the code completes (`ELG_TABLE_${kind}`): the docs must name
    // it completed or as a pattern (`ELG_TABLE_<KIND>`).
    const missing = [...names].filter((name) =>
      name.endsWith('_')
        ? !new RegExp(`${escapeRegExp(name)}[A-Z<]`).test(docs)
        : !new RegExp(`(?<![A-Z_])${escapeRegExp(name)}(?![A-Z_])`).test(docs),
    );
    expect(missing.sort(), 'settings missing from docs/settings.md §14').toEqual([]);
  });

  describe('routes', () => {
    let routes: string[];
    beforeAll(async () => {
      const { app } = await testGateway();
      routes = [
        ...new Set(
          app.routes
            .filter((r) => r.method !== 'ALL')
            .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
        ),
      ];
    });

    it('lists every route the gateway app serves in §11.2', () => {
      expect(routes).toContain('POST /v1/interop/verify');
      expect(routes.filter((route) => !docs.includes(`\`${route}\``))).toEqual([]);
    });

    it('lists no route in §11.2 that the gateway does not serve', () => {
      const protocol = readFileSync(join(DOCS, 'protocol.md'), 'utf8');
      const table = protocol.slice(protocol.indexOf('### 11.2'), protocol.indexOf('### 11.3'));
      const listed = [...table.matchAll(/^\| `((?:GET|POST|PUT|DELETE|PATCH) [^`]+)`/gm)].map((m) => m[1]);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.filter((route) => !routes.includes(route ?? ''))).toEqual([]);
    });
  });

  it('defines every section that the documents cite', () => {
    // "RFC 9162 §2.1.3.1" cites the RFC, not this document.
    const cited = new Set([...docs.matchAll(/(?<!RFC \d+ )§(\d+(?:\.\d+)*)/g)].map((m) => m[1]));
    expect(cited.size).toBeGreaterThan(20);
    expect([...cited].filter((s) => !definedSections.has(s))).toEqual([]);
  });

  it('defines every section that the code cites as docs/protocol.md §N', () => {
    const cited = sourceFiles.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/docs\/protocol\.md §(\d+(?:\.\d+)*)/g)].map(
        (m) => `${relative(REPO, f)}: §${m[1]}`,
      ),
    );
    expect(cited.filter((c) => !definedSections.has(c.slice(c.lastIndexOf('§') + 1)))).toEqual([]);
  });
});
