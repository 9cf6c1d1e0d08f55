import { codeSchema } from './code-schema.ts';
import {
  checkCharIssue,
  IDENTIFIER_ROOT,
  issuerCodeKind,
  serialIssue,
  typeCodeIssue,
  versionIssue,
} from './identifier-segments.ts';
import { mod37_36Check } from './mod37-36.ts';
import { fail, ok, type ParseResult } from './result.ts';
import { parseUscc } from './uscc.ts';

export type IssuerCodeKind = 'uscc' | 'other';

export interface IdentifierParts {
  /** The defining authority's USCC + a 3-digit number. */
  typeCode: string;
  issuerCode: string;
  serial: string;
  /** `001` first. */
  version: string;
}

export interface ParsedIdentifier extends IdentifierParts {
  identifier: string;
  check: string;
  issuerCodeKind: IssuerCodeKind;
  typeDefinerUscc: string;
  typeNumber: string;
  versionNumber: number;
}

export type IdentifierSegment =
  | 'format'
  | 'root'
  | 'typeCode'
  | 'issuerCode'
  | 'serial'
  | 'version'
  | 'check';

const SEGMENT_COUNT = 5;
const SEGMENT_NAMES = 'type code, issuer code, serial, version, check character';

/**
 * With too few segments the missing one is found by reading from both ends, as a person would:
 * the first two are type and issuer, the last two version and check.
 */
function missingSegment(parts: readonly string[]): ParseResult<never, IdentifierSegment> {
  const segment =
    parts.length >= 4 ? 'serial' : parts.length >= 1 && parts[0] !== '' ? 'issuerCode' : 'typeCode';
  const label = { serial: 'serial', issuerCode: 'issuer code', typeCode: 'type code' }[segment];
  const found = parts.length === 1 && parts[0] === '' ? 0 : parts.length;
  return fail(
    segment,
    `${label} is missing: found ${found} of ${SEGMENT_COUNT} segments after the root (${SEGMENT_NAMES})`,
  );
}

type IdentifierParse = ParseResult<ParsedIdentifier, IdentifierSegment>;

/**
 * Parses of the identifiers seen lately, frozen: one verification parses the same identifier a
 * dozen times (its request, its answer's contract, the license read, its audit event), and the
 * parse is a pure function of the text. Bounded, emptied when full; longer inputs, which no
 * identifier reaches, are parsed every time.
 */
const recentParses = new Map<string, IdentifierParse>();
const RECENT_PARSES = 1024;
const RECENT_PARSE_MAX_LENGTH = 160;

/** Parses a GB/T 36904 identifier from untrusted input; never throws. */
export function parseIdentifier(input: unknown): IdentifierParse {
  if (typeof input !== 'string') return fail('format', 'identifier must be a string');
  if (input.length > RECENT_PARSE_MAX_LENGTH) return parseIdentifierText(input);
  const recent = recentParses.get(input);
  if (recent) return recent;
  const result = parseIdentifierText(input);
  Object.freeze(result.ok ? result.value : result.issue);
  Object.freeze(result);
  if (recentParses.size >= RECENT_PARSES) recentParses.clear();
  recentParses.set(input, result);
  return result;
}

function parseIdentifierText(input: string): IdentifierParse {
  if (input === '') return fail('format', 'identifier is empty');
  const space = input.search(/\s/);
  if (space >= 0) return fail('format', `identifier contains whitespace at position ${space + 1}`);
  if (input !== IDENTIFIER_ROOT && !input.startsWith(`${IDENTIFIER_ROOT}.`)) {
    return fail('root', `root must be ${IDENTIFIER_ROOT}, got ${input.split('.').slice(0, 5).join('.')}`);
  }
  const parts = input.slice(IDENTIFIER_ROOT.length + 1).split('.');
  if (parts.length > SEGMENT_COUNT) {
    return fail(
      'format',
      `expected ${SEGMENT_COUNT} segments after the root (${SEGMENT_NAMES}), found ${parts.length}`,
    );
  }
  const [typeCode, issuerCode, serial, version, check] = parts;
  if (
    typeCode === undefined ||
    issuerCode === undefined ||
    serial === undefined ||
    version === undefined ||
    check === undefined
  ) {
    return missingSegment(parts);
  }
  const typeIssue = typeCodeIssue(typeCode);
  if (typeIssue) return fail('typeCode', typeIssue);
  const issuer = issuerCodeKind(issuerCode);
  if ('issue' in issuer) return fail('issuerCode', issuer.issue);
  const serialProblem = serialIssue(serial);
  if (serialProblem) return fail('serial', serialProblem);
  const versionProblem = versionIssue(version);
  if (versionProblem) return fail('version', versionProblem);
  const checkProblem = checkCharIssue(check);
  if (checkProblem) return fail('check', checkProblem);
  const expected = mod37_36Check(typeCode + issuerCode + serial + version);
  if (check !== expected) return fail('check', `check character is ${check}, expected ${expected}`);
  return ok({
    identifier: input,
    typeCode,
    issuerCode,
    serial,
    version,
    check,
    issuerCodeKind: issuer.kind,
    typeDefinerUscc: typeCode.slice(0, 18),
    typeNumber: typeCode.slice(18),
    versionNumber: Number(version),
  });
}

function partIssue(name: keyof IdentifierParts, value: unknown, issue: (v: string) => string | undefined) {
  if (typeof value !== 'string') throw new TypeError(`buildIdentifier: ${name} must be a string`);
  const problem = issue(value);
  if (problem) throw new TypeError(`buildIdentifier: ${name}: ${problem}`);
}

/**
 * Makes the identifier of a license this gateway issues.
 * @throws TypeError naming the part when a part is invalid: callers validate input first.
 */
export function buildIdentifier(parts: IdentifierParts): string {
  partIssue('typeCode', parts.typeCode, typeCodeIssue);
  // Other authority codes are only tolerated when reading identifiers issued elsewhere.
  partIssue('issuerCode', parts.issuerCode, (v) => {
    const uscc = parseUscc(v);
    return uscc.ok ? undefined : `only a valid USCC may be issued: ${uscc.issue.reason}`;
  });
  partIssue('serial', parts.serial, serialIssue);
  partIssue('version', parts.version, versionIssue);
  const { typeCode, issuerCode, serial, version } = parts;
  const check = mod37_36Check(typeCode + issuerCode + serial + version);
  return [IDENTIFIER_ROOT, typeCode, issuerCode, serial, version, check].join('.');
}

/** @throws TypeError on a malformed version or past `999`, which has no successor. */
export function nextVersion(version: string): string {
  const problem = versionIssue(version);
  if (problem) throw new TypeError(`nextVersion: ${problem}`);
  if (version === '999') throw new TypeError('nextVersion: 999 is the last version');
  return String(Number(version) + 1).padStart(3, '0');
}

/** Version-independent key grouping all versions of one license. */
export const identifierKey = (parts: Pick<IdentifierParts, 'typeCode' | 'issuerCode' | 'serial'>): string =>
  `${parts.typeCode}.${parts.issuerCode}.${parts.serial}`;

export const IdentifierSchema = codeSchema(parseIdentifier);
