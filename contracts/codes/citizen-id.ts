import { codeSchema } from './code-schema.ts';
import { provinceOf } from './provinces.ts';
import { fail, ok, type ParseResult } from './result.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';
/** Birth dates are civil dates in China: "today" is the date in UTC+8, not the server's. */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

export type CitizenIdSegment = 'format' | 'areaCode' | 'birthDate' | 'check';

export interface ParsedCitizenId {
  id: string;
  areaCode: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  /** From the parity of the sequence number's last digit. */
  sex: 'male' | 'female';
}

/** @throws TypeError unless given 17 digits (misuse). */
export function citizenIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17))
    throw new TypeError(`citizenIdCheckChar: expected 17 digits, got ${JSON.stringify(first17)}`);
  let sum = 0;
  WEIGHTS.forEach((weight, i) => {
    sum += Number(first17.charAt(i)) * weight;
  });
  return CHECK_CHARS.charAt(sum % 11);
}

const chinaToday = (now: Date): string =>
  new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/** A real Gregorian date, via a UTC round trip that rejects 02-30, 13-01 and the like. */
function isCalendarDate(iso: string): boolean {
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso;
}

/** GB 11643-1999 citizen ID number (18 characters). Structure first, check character last. */
export function parseCitizenId(
  input: unknown,
  now: Date = new Date(),
): ParseResult<ParsedCitizenId, CitizenIdSegment> {
  if (typeof input !== 'string') return fail('format', 'citizen ID number must be a string');
  if (input.length !== 18)
    return fail('format', `citizen ID number must be 18 characters, got ${input.length}`);
  if (input.endsWith('x')) return fail('format', 'citizen ID number check character must be upper-case X');
  if (!/^\d{17}[0-9X]$/.test(input))
    return fail('format', 'citizen ID number must be 17 digits and a check of 0-9 or X');
  const areaCode = input.slice(0, 6);
  if (provinceOf(areaCode) === undefined)
    return fail('areaCode', `area code ${areaCode} is not in a known province`);
  const birthDate = `${input.slice(6, 10)}-${input.slice(10, 12)}-${input.slice(12, 14)}`;
  if (!isCalendarDate(birthDate)) return fail('birthDate', `birth date ${birthDate} is not a calendar date`);
  if (birthDate < EARLIEST_BIRTH_DATE)
    return fail('birthDate', `birth date ${birthDate} is before ${EARLIEST_BIRTH_DATE}`);
  const today = chinaToday(now);
  if (birthDate > today) return fail('birthDate', `birth date ${birthDate} is after today (${today})`);
  const expected = citizenIdCheckChar(input.slice(0, 17));
  const actual = input.charAt(17);
  if (actual !== expected)
    return fail('check', `citizen ID number check character is ${actual}, expected ${expected}`);
  const sex = Number(input.charAt(16)) % 2 === 1 ? 'male' : 'female';
  return ok({ id: input, areaCode, birthDate, sex });
}

export const isCitizenId = (input: unknown, now?: Date): boolean => parseCitizenId(input, now).ok;

/** Checks the birth date against the clock at parse time. */
export const CitizenIdSchema = codeSchema((s) => parseCitizenId(s));
