/**
 * Outcome of parsing untrusted input against a code scheme. Bad input is data, not an exception
 * (the jose split): callers branch on `ok` and show `issue.reason` to people.
 */
export interface CodeIssue<S extends string = string> {
  /** Which part of the code is wrong, so an API can point at it. */
  segment: S;
  /** Human-readable, self-contained: names what is wrong and, where known, what was expected. */
  reason: string;
}

export type ParseResult<T, S extends string = string> =
  | { ok: true; value: T }
  | { ok: false; issue: CodeIssue<S> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <S extends string>(segment: S, reason: string): { ok: false; issue: CodeIssue<S> } => ({
  ok: false,
  issue: { segment, reason },
});
