import { type CheckOutcome, type CheckOutcomes, passed } from '../../lib/verify/checks.ts';
import type { CredentialCheck } from './credential-check.ts';

/** The offline checks of a presented credential: what passed up to the stage that failed. */
export function credentialOutcomes(checked: CredentialCheck): CheckOutcomes {
  if (checked.ok) return { format: passed, issuer: passed, signature: passed };
  const failure: CheckOutcome = { result: 'fail', reasons: [checked.reason] };
  switch (checked.stage) {
    case 'format':
      return { format: failure };
    case 'issuer':
      return { format: passed, issuer: failure };
    case 'signature':
      return { format: passed, issuer: passed, signature: failure };
  }
}
