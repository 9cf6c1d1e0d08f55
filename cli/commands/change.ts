import { firstIssue, issuePath } from '../../contracts/issue-text.ts';
import {
  IssueResponseSchema,
  type NewVersionRequest,
  NewVersionRequestSchema,
} from '../../contracts/license.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { writeCredential } from '../files.ts';
import { call, expectShape } from '../http.ts';
import { licenseLines } from '../license-view.ts';
import { paint, shortened } from '../output.ts';
import { resolveTarget } from '../target.ts';

const OPTIONS = {
  reason: { type: 'string' },
  number: { type: 'string' },
  'holder-name': { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-until': { type: 'string' },
  report: { type: 'string' },
  out: { type: 'string' },
} as const;

const FLAG_OF: Record<string, string> = {
  number: '--number',
  holderName: '--holder-name',
  validFrom: '--valid-from',
  validUntil: '--valid-until',
  reason: '--reason',
  reportId: '--report',
};

export const change = defineCommand({
  name: 'change',
  summary: 'change a license (变更): a new version replaces the current one',
  usage: [
    'usage: elg change IDENTIFIER --reason TEXT [--number TEXT] [--holder-name NAME] [--valid-until DATE|none] [--report REPORT-ID]',
    '',
    'Makes the next version of a license of this province; the old version is superseded.',
    '  --reason TEXT        why (1-200 characters), kept in the audit log',
    '  --number TEXT        new license number',
    '  --holder-name NAME   new holder name',
    '  --valid-from DATE    new start of validity, YYYY-MM-DD',
    '  --valid-until DATE   new end of validity, YYYY-MM-DD, or none for no end date',
    '  --report REPORT-ID   the error report this version corrects (§17); resolve it after with',
    '                       elg reports resolve REPORT-ID --outcome corrected --new-identifier NEW',
    '  --out FILE           write the new credential to FILE',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 1, names: 'one IDENTIFIER' },
  async run({ values, positionals }, io) {
    if (!values.reason) throw new UsageError('change needs --reason TEXT', 'change');
    const until = values['valid-until'];
    const raw = {
      reason: values.reason,
      ...(values.number !== undefined ? { number: values.number } : {}),
      ...(values['holder-name'] !== undefined ? { holderName: values['holder-name'] } : {}),
      ...(values['valid-from'] !== undefined ? { validFrom: values['valid-from'] } : {}),
      ...(until !== undefined ? { validUntil: until === 'none' ? null : until } : {}),
      ...(values.report !== undefined ? { reportId: values.report } : {}),
    };
    if (Object.keys(raw).every((k) => k === 'reason' || k === 'reportId')) {
      throw new UsageError(
        'change what? give --number, --holder-name, --valid-from or --valid-until',
        'change',
      );
    }
    const parsed = NewVersionRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const i = firstIssue(parsed.error);
      const path = issuePath(i, { root: '' });
      throw new UsageError(`${FLAG_OF[path] ?? path}: ${i?.message ?? 'invalid'}`, 'change');
    }
    const request: NewVersionRequest = parsed.data;
    const identifier = positionals[0] ?? '';
    const target = await resolveTarget(values, 'issuer', io);
    const answer = await call(target, 'POST', `/v1/licenses/${encodeURIComponent(identifier)}/versions`, {
      body: request,
    });
    const next = expectShape(IssueResponseSchema, answer, 'change');
    const saved = values.out ? await writeCredential(values.out, next.credential, io) : undefined;
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    io.out(`${paint(io).bold(`new version ${next.version}`)} ${paint(io).bold(next.identifier)}\n`);
    io.out(
      licenseLines(next.license, [
        ['replaces', `${identifier} (now superseded)`],
        ['credential', saved ? `saved to ${saved}` : shortened(next.credential)],
      ]),
    );
    return ExitCode.ok;
  },
});
