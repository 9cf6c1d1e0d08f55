import { z } from 'zod';
import { findPersonalIdentifier, PERSONAL_IDENTIFIER_NAMES } from './codes/personal-identifiers.ts';

/** `YYYY-MM-DD`, a real calendar date. */
export const DateSchema = z.iso.date();
/** RFC 3339 UTC timestamp. */
export const TimestampSchema = z.iso.datetime();

/** W3C trace id: 32 lower-case hex characters, not all zero. */
export const TraceIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, '32 lower-case hex characters')
  .refine((s) => !/^0+$/.test(s), 'must not be all zeros');

/** 事项编码: national and provincial matter codes differ in shape; letters, digits and `-_.`. */
export const MatterCodeSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/, '1-64 letters, digits, . _ -');
/**
 * Not printable text: controls (Cc: NUL, CR, LF, C1 ...), invisible format and bidi controls (Cf:
 * U+200B, U+202E, the BOM ...), lone surrogates (Cs) and line or paragraph separators. They let
 * two texts that look the same differ, reorder what an officer reads, or break log lines.
 */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const isPrintable = (s: string) => !NOT_PRINTABLE.test(s);

/**
 * 用证事由 (docs/protocol.md §2.7): 1-200 characters of printable text without a personal
 * identifier in it. The one rule for both sides: `/v1/verify` refuses such a cause before it is
 * logged or sent, and `/v1/interop/verify` refuses it from a province that did not. Printability
 * is checked before trimming, so a trailing CR or LF is refused rather than silently cut.
 */
export const UseCauseSchema = z
  .string()
  .refine(isPrintable, 'must be printable text, without control or invisible format characters')
  .trim()
  .min(1)
  .max(200)
  .superRefine((s, ctx) => {
    const found = findPersonalIdentifier(s);
    if (found) {
      ctx.addIssue({
        code: 'custom',
        message: `must not contain ${PERSONAL_IDENTIFIER_NAMES[found]}: the use cause travels to other provinces and into append-only logs`,
      });
    }
  });

/** Text entered by people: printable, trimmed, bounded. */
export const text = (max: number) =>
  z
    .string()
    .refine(isPrintable, 'must not contain control or invisible format characters')
    .trim()
    .min(1)
    .max(max);
