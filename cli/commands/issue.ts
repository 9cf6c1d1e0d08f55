import { createHash, randomInt } from 'node:crypto';
import { firstIssue, firstIssueText, issuePath } from '../../contracts/issue-text.ts';
import { type IssueRequest, IssueRequestSchema, IssueResponseSchema } from '../../contracts/license.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { readJsonArgFile, writeCredential } from '../files.ts';
import { call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { licenseLines } from '../license-view.ts';
import { paint, shortened } from '../output.ts';
import { resolveTarget, type Target } from '../target.ts';

/** The sample type of the local federation (docs/protocol.md §11.4). */
const SAMPLE_TYPE = { code: '11100000000013338W032', name: '建筑施工特种作业人员操作资格证书' } as const;

const OPTIONS = {
  file: { type: 'string' },
  'holder-name': { type: 'string' },
  'holder-id': { type: 'string' },
  number: { type: 'string' },
  category: { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-until': { type: 'string' },
  'type-code': { type: 'string' },
  'type-name': { type: 'string' },
  'idempotency-key': { type: 'string' },
  out: { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof OPTIONS, string>>;
const LICENSE_FLAGS = [
  'holder-name',
  'holder-id',
  'number',
  'category',
  'valid-from',
  'valid-until',
  'type-code',
  'type-name',
] as const;

/** Which flag a field of the built request came from, so a bad value is named as people typed it. */
const FLAG_OF: Record<string, string> = {
  'holder.name': '--holder-name',
  'holder.code': '--holder-id',
  number: '--number',
  'fields.category': '--category',
  validFrom: '--valid-from',
  validUntil: '--valid-until',
  typeCode: '--type-code',
  typeName: '--type-name',
};

export const issue = defineCommand({
  name: 'issue',
  summary: 'issue a license (as the province issuer) and get its identifier and credential',
  usage: [
    'usage: elg issue --holder-name NAME --holder-id CITIZEN_ID [license options]',
    '       elg issue --file request.json',
    '',
    "Issues a license as the province's first department (or as the --token's department).",
    '  --file FILE             an IssueRequest (docs/protocol.md §11.4) instead of the flags below',
    '  --holder-name NAME      holder name',
    '  --holder-id ID          holder citizen ID number (holder type 111)',
    '  --number TEXT           license number 证照编号 (default: a generated demo number)',
    '  --category TEXT         the license field "category" (类别), e.g. 建筑电工',
    '  --valid-from DATE       YYYY-MM-DD (default: today, China Standard Time)',
    '  --valid-until DATE      YYYY-MM-DD (default: no end date)',
    `  --type-code CODE        license type code (default ${SAMPLE_TYPE.code})`,
    `  --type-name NAME        license type name (default ${SAMPLE_TYPE.name})`,
    '  --idempotency-key KEY   retrying with the same key returns the first answer, never a second license',
    '  --out FILE              write the credential (compact JWS) to FILE',
  ],
  options: OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run({ values }, io) {
    const flagsUsed = LICENSE_FLAGS.filter((f) => values[f] !== undefined);
    if (values.file && flagsUsed.length > 0) {
      throw new UsageError(`give either --file or license flags, not both (--${flagsUsed[0]})`, 'issue');
    }
    if (!values.file) {
      // Named before any file or network is looked at: the command line is wrong either way.
      const missing = (['holder-name', 'holder-id'] as const).filter((f) => !values[f]).map((f) => `--${f}`);
      if (missing.length > 0) {
        throw new UsageError(
          `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (or give --file request.json)`,
          'issue',
        );
      }
    }
    const target = await resolveTarget(values, 'issuer', io);
    const { request, generatedNumber } = values.file
      ? { request: await requestFromFile(values.file, io), generatedNumber: false }
      : requestFromFlags(values, target);
    const answer = await call(target, 'POST', '/v1/licenses', {
      body: request,
      ...(values['idempotency-key'] ? { headers: { 'idempotency-key': values['idempotency-key'] } } : {}),
    });
    const issued = expectShape(IssueResponseSchema, answer, 'issue');
    const saved = values.out ? await writeCredential(values.out, issued.credential, io) : undefined;
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    const p = paint(io);
    const replayed = answer.headers.get('idempotent-replayed') === 'true';
    io.out(`${p.bold(replayed ? 'already issued' : 'issued')} ${p.bold(issued.identifier)}\n`);
    if (replayed)
      io.out('  (this idempotency key was used before: the first answer is returned, nothing new issued)\n');
    io.out(licenseLines(issued.license));
    if (generatedNumber)
      io.out(p.dim('  (the number was generated for the demo: pass --number for a real one)\n'));
    io.out(
      saved
        ? `  credential    saved to ${saved}\n`
        : `  credential    ${shortened(issued.credential)}\n                (--out FILE saves it whole, --json prints it)\n`,
    );
    return ExitCode.ok;
  },
});

async function requestFromFile(file: string, io: Io): Promise<IssueRequest> {
  const parsed = IssueRequestSchema.safeParse(await readJsonArgFile(file, '--file', io));
  if (!parsed.success) {
    throw new UsageError(
      `--file ${file} is not an issue request: ${firstIssueText(parsed.error, { root: '(body)' })}`,
      'issue',
    );
  }
  return parsed.data;
}

/**
 * A made-up license number for demos. With an idempotency key it is derived from the key, so a
 * retry sends the same request and gets the first answer instead of a conflict.
 */
function demoNumber(today: string, idempotencyKey: string | undefined): string {
  const n = idempotencyKey
    ? createHash('sha256').update(idempotencyKey).digest().readUInt32BE(0) % 1_000_000
    : randomInt(1_000_000);
  return `ELG-${today.replaceAll('-', '')}-${String(n).padStart(6, '0')}`;
}

function requestFromFlags(
  values: Values,
  target: Target,
): { request: IssueRequest; generatedNumber: boolean } {
  const name = values['holder-name'] ?? '';
  const id = values['holder-id'] ?? '';
  const department = target.department;
  if (!department) {
    throw new UsageError(
      'no department to issue as: use the federation file, an issuer token, or --file',
      'issue',
    );
  }
  const today = todayCst(new Date());
  const number = values.number ?? demoNumber(today, values['idempotency-key']);
  const raw = {
    typeCode: values['type-code'] ?? SAMPLE_TYPE.code,
    typeName: values['type-name'] ?? SAMPLE_TYPE.name,
    number,
    issuer: department,
    holder: { name, typeCode: '111', code: id },
    areaCode: target.province,
    issueDate: today,
    validFrom: values['valid-from'] ?? today,
    ...(values['valid-until'] ? { validUntil: values['valid-until'] } : {}),
    fields: values.category ? { category: values.category } : {},
  };
  const parsed = IssueRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = firstIssue(parsed.error);
    const path = issuePath(i, { root: '' });
    throw new UsageError(`${FLAG_OF[path] ?? path}: ${i?.message ?? 'invalid'}`, 'issue');
  }
  return { request: parsed.data, generatedNumber: values.number === undefined };
}
