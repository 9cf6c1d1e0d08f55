import { z } from 'zod';
import { LicenseSchema } from '../../contracts/license.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { writeCredential } from '../files.ts';
import { call, expectShape } from '../http.ts';
import { licenseLines } from '../license-view.ts';
import { paint, shortened } from '../output.ts';
import { resolveTarget } from '../target.ts';

/** The issuing authority also gets the credential back; a platform gets the holder code masked. */
const ShowResponseSchema = z.object({ license: LicenseSchema, credential: z.string().optional() });

const OPTIONS = {
  as: { type: 'string' },
  out: { type: 'string' },
} as const;

export const show = defineCommand({
  name: 'show',
  summary: 'show a license of this province by identifier',
  usage: [
    'usage: elg show IDENTIFIER [--as issuer|platform] [--out FILE]',
    '',
    'Reads the license from the province that issued it (GET /v1/licenses/{identifier}).',
    '  --as ROLE    issuer (default: full holder code and the credential) or platform (masked)',
    '  --out FILE   write the credential to FILE (issuer only)',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 1, names: 'one IDENTIFIER' },
  async run({ values, positionals }, io) {
    const role = values.as ?? 'issuer';
    if (role !== 'issuer' && role !== 'platform')
      throw new UsageError(`--as takes issuer or platform, not ${role}`, 'show');
    const identifier = positionals[0] ?? '';
    const target = await resolveTarget(values, role, io);
    const answer = await call(target, 'GET', `/v1/licenses/${encodeURIComponent(identifier)}`);
    const { license, credential } = expectShape(ShowResponseSchema, answer, 'license');
    const saved = values.out && credential ? await writeCredential(values.out, credential, io) : undefined;
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    const shown = saved
      ? `saved to ${saved}`
      : credential
        ? shortened(credential)
        : values.out
          ? 'not given to this role: nothing written'
          : undefined;
    io.out(`${paint(io).bold(license.identifier)}\n${licenseLines(license, [['credential', shown]])}`);
    return ExitCode.ok;
  },
});
