import { type VerifyResponse, VerifyResponseSchema } from '../../contracts/verify.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { readArgFile } from '../files.ts';
import { call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { fieldLines, paint, provinceLabel, statusLabel } from '../output.ts';
import { oneLine } from '../report-view.ts';
import { resolveTarget } from '../target.ts';

const OPTIONS = {
  'credential-file': { type: 'string' },
  credential: { type: 'string' },
  matter: { type: 'string', default: 'DEMO0001' },
  cause: { type: 'string', default: '窗口核验' },
  'data-level': { type: 'string' },
} as const;

const VERDICTS = {
  valid: { mark: '✔ VALID', zh: '核验通过', note: 'every check passed' },
  invalid: { mark: '✘ INVALID', zh: '核验不通过', note: 'a check failed' },
  unverified: { mark: '? UNVERIFIED', zh: '无法确认', note: 'the live status could not be confirmed' },
} as const;

export const verify = defineCommand({
  name: 'verify',
  summary: 'verify a presented license (as a platform): verdict, checks and reasons',
  usage: [
    'usage: elg verify IDENTIFIER | --credential-file FILE | --credential JWS [--matter CODE] [--cause TEXT]',
    '                  [--data-level N]',
    '',
    'Asks the province (POST /v1/verify) whether a license of any province can be relied on.',
    'Exit status: 0 valid, 3 invalid or unverified, 1 the gateway failed, 2 usage.',
    '  --credential-file FILE   a credential (compact JWS) saved by `elg issue --out`',
    '  --credential JWS         the credential itself',
    '  --matter CODE            matter code 事项编码 (default DEMO0001)',
    '  --cause TEXT             use cause 用证事由 (default 窗口核验)',
    "  --data-level N           data level 1-4 needed of another province's license (default: the",
    "                           grant's); one the issuing province reviews by hand waits for a",
    '                           person there, and the answer names the review to follow',
    '                           (elg reviews show --as platform)',
  ],
  options: OPTIONS,
  positionals: { min: 0, max: 1, names: 'one IDENTIFIER' },
  async run({ values, positionals }, io) {
    const given = [positionals[0], values['credential-file'], values.credential].filter(
      (x) => x !== undefined,
    );
    if (given.length !== 1) {
      throw new UsageError(
        'give exactly one of IDENTIFIER, --credential-file FILE or --credential JWS',
        'verify',
      );
    }
    const level = values['data-level'];
    if (level !== undefined && !/^[1-4]$/.test(level)) {
      throw new UsageError(`--data-level takes 1, 2, 3 or 4, not ${JSON.stringify(level)}`, 'verify');
    }
    const credential = values['credential-file']
      ? (await readArgFile(values['credential-file'], '--credential-file', io)).trim()
      : values.credential;
    const target = await resolveTarget(values, 'platform', io);
    const answer = await call(target, 'POST', '/v1/verify', {
      body: {
        ...(credential === undefined ? { identifier: positionals[0] } : { credential }),
        matterCode: values.matter,
        useCause: values.cause,
        ...(level === undefined ? {} : { dataLevel: Number(level) }),
      },
    });
    const result = expectShape(VerifyResponseSchema, answer, 'verify');
    if (!printedJson(values, io, answer.body)) {
      printVerdict(result, io);
      if (result.reviewId !== undefined) {
        const id = oneLine(result.reviewId);
        io.out(`review: ${id} (elg reviews show --as platform --province ${target.province} ${id})\n`);
      }
    }
    return result.verdict === 'valid' ? ExitCode.ok : ExitCode.negative;
  },
});

function printVerdict(r: VerifyResponse, io: Io): void {
  const p = paint(io);
  const v = VERDICTS[r.verdict];
  const color = r.verdict === 'valid' ? p.green : r.verdict === 'invalid' ? p.red : p.yellow;
  io.out(`\n  ${p.bold(color(`${v.mark}  ${v.zh}`))}  ${v.note}\n\n`);
  const lic = r.license;
  io.out(
    fieldLines([
      ['identifier', r.identifier],
      ['issued in', r.issuerProvince ? provinceLabel(r.issuerProvince) : undefined],
      ['status', r.status ? statusLabel(r.status) : undefined],
      [
        'license',
        lic
          ? [
              lic.typeName,
              lic.number,
              lic.holder ? `${lic.holder.name ?? ''} (${lic.holder.code ?? 'not shared'})` : undefined,
            ]
              .filter((part) => part !== undefined)
              .join(', ')
          : undefined,
      ],
      ['valid', lic ? `${lic.validFrom} to ${lic.validUntil ?? 'no end date'}` : undefined],
      ['trace', r.traceId],
      ['receipt', r.receipt ? 'signed by the issuing province (ELG-Receipt)' : undefined],
    ]),
  );
  io.out('checks\n');
  const mark = (result: string) =>
    result === 'pass'
      ? p.green(result)
      : result === 'fail'
        ? p.red(result)
        : result === 'unavailable'
          ? p.yellow(result)
          : p.dim(result);
  io.out(
    fieldLines(
      Object.entries(r.checks).map(([name, result]) => [name, mark(result)] as const),
      '  ',
    ),
  );
  if (r.reasons.length > 0) {
    io.out('reasons\n');
    io.out(
      fieldLines(
        r.reasons.map((reason) => [reason.code, reason.message] as const),
        '  ',
      ),
    );
  }
}
