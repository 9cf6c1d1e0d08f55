/** The type of a code list written as an object: the union of its members' values. */
export type ValueOf<T> = T[keyof T];

/**
 * A code list whose codes are their own names (`{ NOT_FOUND: 'NOT_FOUND' }`), each code written
 * once: `ErrorCode.NOT_FOUND`, `z.enum(ErrorCode)` and `Object.values(ErrorCode)` all read it.
 */
export function selfNamed<const T extends string>(...codes: readonly T[]): { readonly [K in T]: K } {
  return Object.fromEntries(codes.map((code) => [code, code])) as { readonly [K in T]: K };
}
