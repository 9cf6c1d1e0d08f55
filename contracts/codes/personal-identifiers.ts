import { isCitizenId } from './citizen-id.ts';
import { provinceOf } from './provinces.ts';
import { isUscc } from './uscc.ts';

export type PersonalIdentifierKind = 'citizenId' | 'citizenId15' | 'uscc';

export const PERSONAL_IDENTIFIER_NAMES: Record<PersonalIdentifierKind, string> = {
  citizenId: 'a citizen ID number',
  citizenId15: 'a 15-digit citizen ID number',
  uscc: 'a unified social credit code (USCC)',
};

/**
 * Separators people type inside a long number ("110105 19491231 002X", "9131-0115-..."). Removed
 * for a second look, so that spacing a number out does not get it past the check.
 */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212_.·/\\]/gu;
const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * Maps decimal digits of any script (Arabic-Indic, Devanagari, ...) to ASCII. NFKC already maps
 * full-width and mathematical digits; these it leaves alone. Unicode keeps every script's digits
 * as runs of 0-9 in code point order, so a digit's value is its distance from its run's start.
 */
function asciiDigits(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80 || !DECIMAL_DIGIT.test(ch)) {
      out += ch;
      continue;
    }
    let start = cp;
    while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
    out += String((cp - start) % 10);
  }
  return out;
}

/** A real Gregorian date (a UTC round trip rejects 02-30, 13-01 and the like). */
function isCalendarDate(yyyymmdd: string): boolean {
  const iso = `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso;
}

/**
 * The 15-digit form (GB 11643-1989, no check character): area, YYMMDD in the 1900s, sequence.
 * Without a check it is only recognised as a whole run of 15 digits, never inside a longer one.
 */
function isOldCitizenId(digits15: string): boolean {
  return provinceOf(digits15.slice(0, 6)) !== undefined && isCalendarDate(`19${digits15.slice(6, 12)}`);
}

/** Every 18-character window of `s`, including overlapping ones. */
function* windows18(s: string): Generator<string> {
  const chars = [...s];
  for (let i = 0; i + 18 <= chars.length; i++) yield chars.slice(i, i + 18).join('');
}

function findIn(s: string, now?: Date): PersonalIdentifierKind | undefined {
  for (const w of windows18(s)) {
    if (/^\d{17}[\dX]$/.test(w) && isCitizenId(w, now)) return 'citizenId';
    if (/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(w) && isUscc(w)) return 'uscc';
  }
  for (const m of s.matchAll(/(?<!\d)\d{15}(?!\d)/g)) {
    if (isOldCitizenId(m[0])) return 'citizenId15';
  }
  return undefined;
}

/**
 * Whether free text (a use cause, a note) carries a citizen ID number (18-character with a valid
 * GB 11643 check, or the old 15-digit form) or a USCC (valid GB 32100 check) anywhere in it.
 * Such text travels to other provinces and into append-only logs, where a personal identifier
 * can never be taken back. The text is looked at as NFKC with ASCII digits and upper case, so
 * full-width or other-script digits, a lower-case x and separators typed inside do not hide one.
 * Says which kind it found, never the identifier itself.
 */
export function findPersonalIdentifier(text: string, now?: Date): PersonalIdentifierKind | undefined {
  const normalized = asciiDigits(text.normalize('NFKC')).toUpperCase();
  return findIn(normalized, now) ?? findIn(normalized.replace(SEPARATORS, ''), now);
}
