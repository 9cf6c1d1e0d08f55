import { z } from 'zod';
import type { ParseResult } from './result.ts';

/**
 * A zod string schema accepting exactly what `parse` accepts, so a contract and a parser can
 * never drift apart. The failing segment travels in `params` for callers that want it.
 */
export const codeSchema = (parse: (input: string) => ParseResult<unknown>) =>
  z.string().superRefine((value, ctx) => {
    const result = parse(value);
    if (!result.ok) {
      ctx.addIssue({
        code: 'custom',
        message: result.issue.reason,
        params: { segment: result.issue.segment },
      });
    }
  });
