import { parseUscc } from './uscc.ts';

/**
 * One validator per segment of a GB/T 36904 identifier. Each returns the reason the segment is
 * wrong, or undefined; parsing (untrusted input) and building (programming errors) share them.
 */

export const IDENTIFIER_ROOT = '1.2.156.3005.2';
export const MAX_SERIAL_LENGTH = 32;
/** Bound for non-USCC issuer codes, the same as a serial's: enough for any authority code seen. */
export const MAX_OTHER_ISSUER_CODE_LENGTH = 32;

function charsetIssue(label: string, value: string): string | undefined {
  if (value === '') return `${label} is empty`;
  if (/[a-z]/.test(value)) return `${label} must be upper case`;
  const bad = [...value].find((ch) => !/[0-9A-Z]/.test(ch));
  if (bad !== undefined) return `${label} may only contain 0-9 and A-Z, found ${JSON.stringify(bad)}`;
  return undefined;
}

export function typeCodeIssue(value: string): string | undefined {
  const charset = charsetIssue('type code', value);
  if (charset) return charset;
  if (value.length !== 21)
    return `type code must be 21 characters (a USCC and a 3-digit number), got ${value.length}`;
  const definer = parseUscc(value.slice(0, 18));
  if (!definer.ok) return `type code must start with the defining authority's USCC: ${definer.issue.reason}`;
  if (!/^\d{3}$/.test(value.slice(18)))
    return `type code must end in a 3-digit number, got ${value.slice(18)}`;
  return undefined;
}

/**
 * Issuer codes are USCCs, but identifiers in circulation also carry other authority codes (such
 * as the area code `340100`). Rule: 1-32 characters of 0-9A-Z; any code of 18 characters must
 * be a valid USCC, because at that length it is a USCC or a mistyped one, never another scheme.
 */
export function issuerCodeKind(value: string): { kind: 'uscc' | 'other' } | { issue: string } {
  const charset = charsetIssue('issuer code', value);
  if (charset) return { issue: charset };
  if (value.length === 18) {
    const uscc = parseUscc(value);
    return uscc.ok
      ? { kind: 'uscc' }
      : { issue: `issuer code of 18 characters must be a valid USCC: ${uscc.issue.reason}` };
  }
  if (value.length > MAX_OTHER_ISSUER_CODE_LENGTH) {
    return {
      issue: `issuer code must be a USCC or another code of 1-${MAX_OTHER_ISSUER_CODE_LENGTH} characters, got ${value.length}`,
    };
  }
  return { kind: 'other' };
}

export function serialIssue(value: string): string | undefined {
  const charset = charsetIssue('serial', value);
  if (charset) return charset;
  if (value.length > MAX_SERIAL_LENGTH)
    return `serial must be 1-${MAX_SERIAL_LENGTH} characters, got ${value.length}`;
  return undefined;
}

export function versionIssue(value: string): string | undefined {
  if (!/^\d{3}$/.test(value)) return `version must be 3 digits, got ${JSON.stringify(value)}`;
  if (value === '000') return 'version must be 001-999, got 000';
  return undefined;
}

export function checkCharIssue(value: string): string | undefined {
  const charset = charsetIssue('check character', value);
  if (charset) return charset;
  if (value.length !== 1) return `check character must be 1 character, got ${value.length}`;
  return undefined;
}
