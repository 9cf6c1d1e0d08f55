import { z } from 'zod';
import * as ex from '../../examples.ts';
import { HolderUsesQuerySchema } from '../../holder.ts';
import { json } from '../json-schema.ts';
import { answer, bearer, errors, queryParams, SIGNED_NOTE, signed } from '../operations.ts';

const LicensesQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

/** A holder's own licenses and their uses (docs/protocol.md §16; tags `verification`, `interop`). */
export function holderPaths() {
  return {
    '/v1/holder/licenses': {
      get: {
        tags: ['verification'],
        operationId: 'listHolderLicenses',
        summary: "The holder's licenses this province issued (role holder)",
        description: 'The holder is the one the token names (claims `holderType`, `holderCode`).',
        security: bearer,
        parameters: queryParams(LicensesQuery, {}),
        responses: {
          '200': answer('a page of licenses', 'bearer', json('HolderLicensesPage', ex.HOLDER_LICENSES_PAGE)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/holder/uses': {
      get: {
        tags: ['verification'],
        operationId: 'listHolderUses',
        summary: 'Every use of one of the holder’s licenses, newest first, each with its proof (role holder)',
        description:
          'For a license another province issued, the home province asks the issuer by `POST /v1/interop/holder-uses`. ' +
          'A license of another holder is 404, as a license that does not exist. Sealed uses show only time, province and the date they are sealed until.',
        security: bearer,
        parameters: queryParams(HolderUsesQuerySchema, ex.HOLDER_USES_QUERY),
        responses: {
          '200': answer('a page of uses', 'bearer', json('HolderUsesPage', ex.HOLDER_USES_PAGE)),
          ...errors('bearer', [400, 401, 403, 404, 429, 502, 503]),
        },
      },
    },
    '/v1/interop/holder-uses': {
      post: {
        tags: ['interop'],
        operationId: 'interopHolderUses',
        summary:
          "A holder's home province asks for the uses of one of this province's licenses (signed call)",
        description: `${SIGNED_NOTE} No agreement is needed; the holder must be the license's (else 404); at most 120 calls a minute from one province (429).`,
        security: signed,
        requestBody: {
          required: true,
          content: json('InteropHolderUsesRequest', ex.INTEROP_HOLDER_USES_REQUEST),
        },
        responses: {
          '200': answer('a page of uses', 'signed', json('HolderUsesPage', ex.HOLDER_USES_PAGE)),
          ...errors('signed', [400, 401, 404, 409, 413, 429, 503]),
        },
      },
    },
  };
}
