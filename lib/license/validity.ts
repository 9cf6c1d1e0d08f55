/**
 * License dates are calendar dates in China Standard Time (UTC+8, no daylight saving). A license
 * valid until 2032-02-28 is valid through the end of that day in Beijing.
 */
const CST_OFFSET_MS = 8 * 3600 * 1000;

/** Epoch seconds at 00:00 CST of a `YYYY-MM-DD` date. */
export function startOfDayCst(date: string): number {
  return Math.floor((Date.parse(`${date}T00:00:00Z`) - CST_OFFSET_MS) / 1000);
}

/** `nbf`/`exp` of a credential: from the start of validFrom to the end of validUntil. */
export function validityWindow(validFrom: string, validUntil?: string): { nbf: number; exp?: number } {
  const nbf = startOfDayCst(validFrom);
  if (!validUntil) return { nbf };
  return { nbf, exp: startOfDayCst(validUntil) + 86_400 };
}

/** Today's date in CST, `YYYY-MM-DD`. */
export function todayCst(now: Date): string {
  return new Date(now.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}
