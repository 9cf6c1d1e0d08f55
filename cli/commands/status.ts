import {
  LICENSE_STATUS_NAMES,
  type LicenseStatus,
  LicenseStatusSchema,
} from '../../contracts/codes/index.ts';
import { LicenseResponseSchema } from '../../contracts/license.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { call, expectShape } from '../http.ts';
import { paint, statusLabel } from '../output.ts';
import { resolveTarget } from '../target.ts';

const OPTIONS = { reason: { type: 'string' } } as const;

// Sorted: '99' is an integer-like key and would come first.
const STATUS_CODES = Object.keys(LICENSE_STATUS_NAMES).sort();
const STATUS_LIST = Object.entries(LICENSE_STATUS_NAMES)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([code, n]) => `${code} ${n.zh} ${n.en}`);

/** `07`, `7`, `吊销` or `revoked` all name the same status. */
export function statusCodeOf(input: string): LicenseStatus | undefined {
  const padded = /^\d$/.test(input) ? `0${input}` : input;
  const direct = LicenseStatusSchema.safeParse(padded);
  if (direct.success) return direct.data;
  const wanted = input.toLowerCase();
  const found = Object.entries(LICENSE_STATUS_NAMES).find(([, n]) => n.zh === input || n.en === wanted);
  return found ? LicenseStatusSchema.parse(found[0]) : undefined;
}

export const status = defineCommand({
  name: 'status',
  summary: 'change the status of a license: suspend, withdraw, cancel, revoke ...',
  usage: [
    'usage: elg status IDENTIFIER STATUS --reason TEXT',
    '',
    'Sets the live status of a license of this province (POST /v1/licenses/{identifier}/status).',
    'STATUS is a code, a Chinese or an English name:',
    ...STATUS_LIST.map((s) => `  ${s}`),
    '  --reason TEXT   why (1-200 characters), kept in the audit log',
  ],
  options: OPTIONS,
  positionals: { min: 2, max: 2, names: 'IDENTIFIER and STATUS' },
  async run({ values, positionals }, io) {
    const [identifier = '', raw = ''] = positionals;
    const code = statusCodeOf(raw);
    if (!code) throw new UsageError(`unknown status ${raw}: one of ${STATUS_CODES.join(', ')}`, 'status');
    if (!values.reason) throw new UsageError('status needs --reason TEXT', 'status');
    const target = await resolveTarget(values, 'issuer', io);
    const answer = await call(target, 'POST', `/v1/licenses/${encodeURIComponent(identifier)}/status`, {
      body: { status: code, reason: values.reason },
    });
    const { license } = expectShape(LicenseResponseSchema, answer, 'status');
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    io.out(`${paint(io).bold(license.identifier)}\n`);
    io.out(`  status now  ${statusLabel(license.status)}\n`);
    io.out(`  reason      ${license.statusReason ?? values.reason}\n`);
    if (license.statusChangedAt) io.out(`  since       ${license.statusChangedAt}\n`);
    return ExitCode.ok;
  },
});
