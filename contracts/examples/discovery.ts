import type { Jwks } from '../keys.ts';
import { SHANGHAI_KIDS } from './parties.ts';

/* The public answers: the keys and health of the Shanghai gateway. */

export const JWKS: Jwks = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: '1KNtYHOzBmDI-PK2RVGnF8bJjrL277EwFuiFNuNUG08',
      y: 'PnLlTNzbFLv9__vBAWG0vDeJKmKjNEeU7-qELjNjNbI',
      kid: SHANGHAI_KIDS.credential,
      alg: 'ES256',
      use: 'sig',
      purpose: 'credential',
    },
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'RijxBM1PEheZwMF46CCYkayizjhMAeBLtDG_igl3-a8',
      y: 'UIzEPU5jrmhwcgdv_jwtX4rhWrhl-Ybm_Rny5PkQLU0',
      kid: SHANGHAI_KIDS.gateway,
      alg: 'ES256',
      use: 'sig',
      purpose: 'gateway',
    },
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'NzjZHilzh2AwpZEkd8h6d48N5-KV33jUMl9uqXKG70s',
      y: 'PgqO2qc7Wc-op9aPdtOAhHI-rzPFFgy4yMzGjUHjht8',
      kid: SHANGHAI_KIDS.audit,
      alg: 'ES256',
      use: 'sig',
      purpose: 'audit',
    },
  ],
};
export const HEALTH = {
  status: 'ok' as const,
  province: '310000',
  dependencies: {
    storage: 'up' as const,
    registry: {
      seq: 1772330400,
      iat: 1772330400,
      loadedAt: '2026-03-01T02:00:00.000Z',
      from: 'source' as const,
      lastRefreshAt: '2026-03-01T02:59:00.000Z',
    },
  },
};
