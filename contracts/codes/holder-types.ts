import { z } from 'zod';
import { parseCitizenId } from './citizen-id.ts';
import { fail, ok, type ParseResult } from './result.ts';
import { parseUscc } from './uscc.ts';

/** 持证主体代码类型: how the holder of a license is identified. */
export const HolderTypeCode = {
  USCC: '001',
  OTHER_LEGAL_PERSON: '099',
  CITIZEN_ID: '111',
  PASSPORT: '414',
  TAIWAN_TRAVEL_PERMIT: '511',
  HK_MACAO_TRAVEL_PERMIT: '516',
  OTHER_NATURAL_PERSON: '999',
} as const;
export type HolderTypeCode = (typeof HolderTypeCode)[keyof typeof HolderTypeCode];

export const HOLDER_TYPE_NAMES = {
  '001': { zh: '统一社会信用代码', en: 'unified social credit code' },
  '099': { zh: '其他法人或其他组织证件', en: 'other legal-person document' },
  '111': { zh: '公民身份号码', en: 'citizen ID number' },
  '414': { zh: '护照', en: 'passport' },
  '511': { zh: '台湾居民来往大陆通行证', en: "Taiwan residents' travel permit" },
  '516': { zh: '港澳居民来往内地通行证', en: "Hong Kong and Macao residents' travel permit" },
  '999': { zh: '其他自然人证件', en: 'other natural-person document' },
} as const satisfies Record<HolderTypeCode, { zh: string; en: string }>;

const HOLDER_TYPE_CODES = Object.values(HolderTypeCode) as [HolderTypeCode, ...HolderTypeCode[]];

export const HolderTypeCodeSchema = z.enum(HOLDER_TYPE_CODES);

const NATURAL_PERSON_TYPES: ReadonlySet<string> = new Set<HolderTypeCode>([
  '111',
  '414',
  '511',
  '516',
  '999',
]);

export const isNaturalPersonType = (code: string): boolean => NATURAL_PERSON_TYPES.has(code);

export const MAX_HOLDER_CODE_LENGTH = 64;

/** Documents without a check scheme here: only bounded, printable and trimmed. */
function otherDocumentIssue(code: string): string | undefined {
  if (code.length < 1 || code.length > MAX_HOLDER_CODE_LENGTH) {
    return `holder code must be 1-${MAX_HOLDER_CODE_LENGTH} characters, got ${code.length}`;
  }
  if (code.trim() !== code) return 'holder code must not start or end with whitespace';
  // Control and invisible format characters would let two codes look the same to an officer.
  if (/\p{C}/u.test(code)) return 'holder code must contain printable characters only';
  // Look-alikes (full-width Ｅ, Cyrillic Е, Greek Α) would make a second holder that reads as the
  // first: only ASCII, spaces and Chinese characters, in the form NFKC leaves as it is.
  if (code.normalize('NFKC') !== code || !/^[\x20-\x7e\p{Script=Han}]+$/u.test(code)) {
    return 'holder code must use ASCII letters, digits and punctuation, spaces or Chinese characters (no full-width or look-alike letters)';
  }
  return undefined;
}

/** Checks a holder code against its type: USCC and citizen ID numbers by their own schemes. */
export function checkHolderCode(typeCode: HolderTypeCode, code: string, now?: Date): ParseResult<string> {
  if (typeCode === HolderTypeCode.USCC) {
    const uscc = parseUscc(code);
    return uscc.ok
      ? ok(code)
      : fail(uscc.issue.segment, `holder code is not a valid USCC: ${uscc.issue.reason}`);
  }
  if (typeCode === HolderTypeCode.CITIZEN_ID) {
    const id = parseCitizenId(code, now);
    return id.ok
      ? ok(code)
      : fail(id.issue.segment, `holder code is not a valid citizen ID number: ${id.issue.reason}`);
  }
  if (!Object.hasOwn(HOLDER_TYPE_NAMES, typeCode))
    return fail('typeCode', `unknown holder type code ${typeCode}`);
  const problem = otherDocumentIssue(code);
  return problem ? fail('format', problem) : ok(code);
}
