import { z } from 'zod';

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
/** 用证事由: 1-200 characters. */
export const UseCauseSchema = z.string().trim().min(1).max(200);

/** Text entered by people: no control characters, trimmed, bounded. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');
