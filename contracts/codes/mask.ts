/** Codes at least this long show their first 6 and last 4 characters (area and check). */
const LONG_CODE = 14;

/**
 * Masks a holder code for people who may see that a code exists but not which: the length
 * stays visible so an officer can still tell a citizen ID from a passport number.
 */
export function maskCode(code: string): string {
  const chars = [...code];
  const n = chars.length;
  const [head, tail] = n >= LONG_CODE ? [6, 4] : n >= 3 ? [1, 1] : [0, 0];
  return chars.slice(0, head).join('') + '*'.repeat(n - head - tail) + chars.slice(n - tail).join('');
}
