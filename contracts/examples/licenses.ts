import type { z } from 'zod';
import type {
  IssueRequestSchema,
  IssueResponse,
  License,
  NewVersionRequest,
  StatusChangeRequest,
} from '../license.ts';
import { IDENTIFIER, IDENTIFIER_V2, SHANGHAI_HOUSING, TYPE_CODE, TYPE_NAME } from './parties.ts';

/* The license of the examples as issued, read, changed and suspended, with its credentials. */

/** The credential of IDENTIFIER, signed by the credential key of JWKS (it verifies). */
export const CREDENTIAL =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6Ijc4OVdsckVPNnExc245TVBrVmpGZkVkSlFkRnlZS2pmQzlLenJMOXpaOUUiLCJ0eXAiOiJlbGljZW5zZStqd3QifQ.' +
  'eyJpc3MiOiIzMTAwMDAiLCJqdGkiOiIxLjIuMTU2LjMwMDUuMi4xMTEwMDAwMDAwMDAxMzMzOFcwMzIuMTEzMTAwMDAwMDI0NjAxMzE1LjIwMjYwMDAwMDEuMDAxLjgiLCJpYXQiOjE3NzIzMzA0MDAsIm5iZiI6MTc3MjI5NDQwMCwiZXhwIjoxOTYxNTk2ODAwLCJsaWMiOnsidHlwZUNvZGUiOiIxMTEwMDAwMDAwMDAxMzMzOFcwMzIiLCJ0eXBlTmFtZSI6IuW7uuetkeaWveW3peeJueenjeS9nOS4muS6uuWRmOaTjeS9nOi1hOagvOivgeS5piIsIm51bWJlciI6IuayquW7uuWuiUEoMjAyNikwMDAxMjMiLCJpc3N1ZXIiOnsibmFtZSI6IuS4iua1t-W4guS9j-aIv-WSjOWfjuS5oeW7uuiuvueuoeeQhuWnlOWRmOS8miIsInVzY2MiOiIxMTMxMDAwMDAwMjQ2MDEzMTUifSwiaG9sZGVyIjp7Im5hbWUiOiLlvKDkuIkiLCJ0eXBlQ29kZSI6IjExMSIsImNvZGUiOiIxMTAxMDUxOTQ5MTIzMTAwMlgifSwiYXJlYUNvZGUiOiIzMTAwMDAiLCJpc3N1ZURhdGUiOiIyMDI2LTAzLTAxIiwidmVyc2lvbiI6IjAwMSIsImZpZWxkcyI6eyJjYXRlZ29yeSI6IuW7uuetkeeUteW3pSJ9fX0.' +
  '4ebhsE1Ti6iCX3A_gZ5fbfOBDrxYyOxLK3VrVtdznWn9d-QwQESZSV-ne4fudd0lr0LCb47O3z9jz_lGR5mXFw';

/** The credential of IDENTIFIER_V2 (after the change to 建筑架子工), by the same key. */
export const CREDENTIAL_V2 =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6Ijc4OVdsckVPNnExc245TVBrVmpGZkVkSlFkRnlZS2pmQzlLenJMOXpaOUUiLCJ0eXAiOiJlbGljZW5zZStqd3QifQ.' +
  'eyJpc3MiOiIzMTAwMDAiLCJqdGkiOiIxLjIuMTU2LjMwMDUuMi4xMTEwMDAwMDAwMDAxMzMzOFcwMzIuMTEzMTAwMDAwMDI0NjAxMzE1LjIwMjYwMDAwMDEuMDAyLjYiLCJpYXQiOjE3NzIzMzA0MDAsIm5iZiI6MTc3MjI5NDQwMCwiZXhwIjoxOTYxNTk2ODAwLCJsaWMiOnsidHlwZUNvZGUiOiIxMTEwMDAwMDAwMDAxMzMzOFcwMzIiLCJ0eXBlTmFtZSI6IuW7uuetkeaWveW3peeJueenjeS9nOS4muS6uuWRmOaTjeS9nOi1hOagvOivgeS5piIsIm51bWJlciI6IuayquW7uuWuiUEoMjAyNikwMDAxMjMiLCJpc3N1ZXIiOnsibmFtZSI6IuS4iua1t-W4guS9j-aIv-WSjOWfjuS5oeW7uuiuvueuoeeQhuWnlOWRmOS8miIsInVzY2MiOiIxMTMxMDAwMDAwMjQ2MDEzMTUifSwiaG9sZGVyIjp7Im5hbWUiOiLlvKDkuIkiLCJ0eXBlQ29kZSI6IjExMSIsImNvZGUiOiIxMTAxMDUxOTQ5MTIzMTAwMlgifSwiYXJlYUNvZGUiOiIzMTAwMDAiLCJpc3N1ZURhdGUiOiIyMDI2LTAzLTAxIiwidmVyc2lvbiI6IjAwMiIsImZpZWxkcyI6eyJjYXRlZ29yeSI6IuW7uuetkeaetuWtkOW3pSJ9fX0.' +
  'Ziub_yEv5E8WyqBJoxoP0hJ-FUse5sQwv39KoVdLiuchm8egSNc6VcBdmtleYpPVIs47oqH5y9ifUteFacziZw';

export const ISSUE_REQUEST = {
  typeCode: TYPE_CODE,
  typeName: TYPE_NAME,
  number: '沪建安A(2026)000123',
  issuer: SHANGHAI_HOUSING,
  holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
  areaCode: '310000',
  issueDate: '2026-03-01',
  validFrom: '2026-03-01',
  validUntil: '2032-02-28',
  fields: { category: '建筑电工' },
} satisfies z.input<typeof IssueRequestSchema>;

export const LICENSE: License = {
  identifier: IDENTIFIER,
  province: '310000',
  ...ISSUE_REQUEST,
  version: '001',
  status: '01',
  issuedAt: '2026-03-01T02:00:00.000Z',
};

/** As a platform reads it: the holder's code masked. */
export const LICENSE_MASKED: License = {
  ...LICENSE,
  holder: { ...LICENSE.holder, code: '110105********002X' },
};

export const ISSUE_RESPONSE: IssueResponse = {
  identifier: IDENTIFIER,
  version: '001',
  status: '01',
  credential: CREDENTIAL,
  license: LICENSE,
};

export const LICENSE_READ = { license: LICENSE, credential: CREDENTIAL };

export const NEW_VERSION_REQUEST: NewVersionRequest = {
  fields: { category: '建筑架子工' },
  reason: '变更操作类别',
};

/** Version 002 as issued. */
export const NEW_VERSION_RESPONSE: IssueResponse = {
  identifier: IDENTIFIER_V2,
  version: '002',
  status: '01',
  credential: CREDENTIAL_V2,
  license: { ...LICENSE, identifier: IDENTIFIER_V2, version: '002', fields: { category: '建筑架子工' } },
};

export const STATUS_CHANGE_REQUEST: StatusChangeRequest = { status: '02', reason: '违规作业，暂扣 30 日' };

export const STATUS_CHANGE_RESPONSE = {
  license: {
    ...LICENSE,
    identifier: IDENTIFIER_V2,
    version: '002',
    fields: { category: '建筑架子工' },
    status: '02',
    statusReason: '违规作业，暂扣 30 日',
    statusChangedAt: '2026-03-01T02:00:00.000Z',
  } satisfies License,
};
