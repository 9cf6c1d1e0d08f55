const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * ISO/IEC 7064 MOD 37,36 (GB/T 17710) hybrid check character over `0-9A-Z`.
 *
 * Detects every single substitution. Adjacent transpositions are detected except one pair per
 * running state (values differing by 1 where the state plus them lands on 18 and 19 mod 36):
 * that blind spot is the standard's, not this code's.
 *
 * @throws TypeError on a character outside `0-9A-Z`: callers validate input before checking it.
 */
export function mod37_36Check(payload: string): string {
  let p = 36;
  for (const ch of payload) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new TypeError(`mod37_36Check: character ${JSON.stringify(ch)} is not one of 0-9A-Z`);
    p = (p + value) % 36;
    if (p === 0) p = 36;
    p = (2 * p) % 37;
  }
  return ALPHABET.charAt((37 - p) % 36);
}
