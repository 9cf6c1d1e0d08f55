/**
 * Examples of the OpenAPI document: one day of the Shanghai gateway (310000) and its partner
 * Zhejiang (330000), taken from a real run, so every identifier carries its right check character,
 * every USCC is one of the local federation's (federation/provinces.ts), the credential verifies
 * against the JWKS and the proofs against the checkpoint. test/contracts/openapi.test.ts parses
 * each one with the zod schema it illustrates, so an example that no longer fits fails there.
 *
 * One file an area under contracts/examples/; parties.ts holds what they share, of which the type
 * code and the key ids stay inside the examples.
 */

export * from './examples/agreements.ts';
export * from './examples/audit.ts';
export * from './examples/discovery.ts';
export * from './examples/errors.ts';
export * from './examples/holder.ts';
export * from './examples/licenses.ts';
export {
  AGREEMENT_ID,
  EVENT_ID,
  IDENTIFIER,
  IDENTIFIER_V2,
  SHANGHAI_HOUSING,
  TRACE_ID,
  ZHEJIANG_HOUSING,
} from './examples/parties.ts';
export * from './examples/reports.ts';
export * from './examples/reviews.ts';
export * from './examples/signed-calls.ts';
export * from './examples/verification.ts';
