import type { Authorization, AuthorizationQuery } from '../../contracts/agreement.ts';

/** Enforcement at the grantor: an active agreement must grant the caller this very call. */
export interface AgreementAuthorizer {
  authorize(query: AuthorizationQuery): Promise<Authorization>;
}
