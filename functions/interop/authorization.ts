import type { AgreementAction } from '../../contracts/agreement.ts';
import type { DataLevel } from '../../contracts/interop.ts';

/** What an inbound call asks of the grantor's agreements. */
export interface AuthorizationQuery {
  grantor: string;
  grantee: string;
  action: AgreementAction;
  licenseType: string;
  matterCode: string;
  dataLevel?: DataLevel;
}

export type Authorization =
  | { ok: true; agreementId: string; maxDataLevel: DataLevel }
  | { ok: false; code: 'AGREEMENT_REQUIRED' | 'SCOPE_DENIED'; message: string };

/** Enforcement at the grantor: an active agreement must grant the caller this very call. */
export interface AgreementAuthorizer {
  authorize(query: AuthorizationQuery): Promise<Authorization>;
}

/** Until agreements are loaded, nothing is granted: enforcement fails closed. */
export const denyAll: AgreementAuthorizer = {
  authorize: async (q) => ({
    ok: false,
    code: 'AGREEMENT_REQUIRED',
    message: `no active agreement grants ${q.grantee} ${q.action} on ${q.grantor}'s licenses`,
  }),
};
