import {
  IDENTIFIER_ROOT,
  type IdentifierSegment,
  type ParsedIdentifier,
  parseIdentifier,
  provinceOf,
} from '../../contracts/codes/index.ts';
import { OFFLINE_OPTIONS } from '../args.ts';
import { defineCommand } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { fieldLines, paint, printJson, provinceLabel } from '../output.ts';

const SEGMENT_NAMES: Record<IdentifierSegment, string> = {
  format: 'format',
  root: 'root',
  typeCode: 'type code',
  issuerCode: 'issuer code',
  serial: 'serial',
  version: 'version',
  check: 'check character',
};

/** Position of each segment after the root, to point at the wrong one. */
const SEGMENT_INDEX: Partial<Record<IdentifierSegment, number>> = {
  typeCode: 0,
  issuerCode: 1,
  serial: 2,
  version: 3,
  check: 4,
};

export const check = defineCommand({
  name: 'check',
  summary: 'check an identifier offline: which segment is wrong and why, or its parts',
  usage: [
    'usage: elg check IDENTIFIER',
    '',
    'Parses a GB/T 36904 e-license identifier without the network: form of each segment and the',
    'MOD 37,36 check character. Whether the license exists and is valid needs `elg verify`.',
    'Exit status: 0 well-formed, 3 not, 2 usage.',
  ],
  common: OFFLINE_OPTIONS,
  options: {},
  positionals: { min: 1, max: 1, names: 'one IDENTIFIER' },
  async run({ values, positionals }, io) {
    const input = positionals[0] ?? '';
    const result = parseIdentifier(input);
    if (values.json) {
      printJson(io, result);
      return result.ok ? ExitCode.ok : ExitCode.negative;
    }
    const p = paint(io);
    if (!result.ok) {
      const { segment, reason } = result.issue;
      io.out(`${input}\n`);
      const caret = pointer(input, segment);
      if (caret) io.out(`${p.red(caret)}\n`);
      const name = SEGMENT_NAMES[segment] === segment ? segment : `${segment} (${SEGMENT_NAMES[segment]})`;
      io.out(`${p.red(p.bold('not a valid identifier'))}: segment ${name}: ${reason}\n`);
      return ExitCode.negative;
    }
    io.out(
      `${input}\n${p.green(p.bold('well-formed'))}: every segment and the check character are correct\n`,
    );
    io.out(partLines(result.value));
    return ExitCode.ok;
  },
});

function partLines(id: ParsedIdentifier): string {
  const issuerProvince = provinceOf(id.issuerCodeKind === 'uscc' ? id.issuerCode.slice(2, 8) : id.issuerCode);
  const where = issuerProvince ? `, ${provinceLabel(issuerProvince)}` : '';
  return fieldLines(
    [
      ['type code', `${id.typeCode} (defined by ${id.typeDefinerUscc}, number ${id.typeNumber})`],
      [
        'issuer code',
        `${id.issuerCode} (${id.issuerCodeKind === 'uscc' ? 'USCC' : 'other authority code, not a USCC: never issued by this gateway'}${where})`,
      ],
      ['serial', id.serial],
      ['version', `${id.version} (${id.versionNumber === 1 ? 'first' : `change ${id.versionNumber - 1}`})`],
      ['check', `${id.check} (ISO/IEC 7064 MOD 37,36)`],
    ],
    '  ',
  );
}

/** `^^^` under the wrong segment, when the input is plain enough to line up under. */
function pointer(input: string, segment: IdentifierSegment): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(input)) return undefined;
  if (segment === 'root') return '^'.repeat(Math.min(input.length, IDENTIFIER_ROOT.length));
  const index = SEGMENT_INDEX[segment];
  if (index === undefined || !input.startsWith(`${IDENTIFIER_ROOT}.`)) return undefined;
  const parts = input.slice(IDENTIFIER_ROOT.length + 1).split('.');
  const part = parts[index];
  if (part === undefined || part === '') return undefined;
  const offset = IDENTIFIER_ROOT.length + 1 + parts.slice(0, index).reduce((n, s) => n + s.length + 1, 0);
  return `${' '.repeat(offset)}${'^'.repeat(part.length)}`;
}
