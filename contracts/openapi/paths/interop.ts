import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, errors, SIGNED_NOTE, signed } from '../operations.ts';

/** Signed verification calls from other provinces (tag `interop`). */
export function interopPaths() {
  return {
    '/v1/interop/verify': {
      post: {
        tags: ['interop'],
        operationId: 'interopVerify',
        summary: 'Another province confirms a license of this province (signed call)',
        description: `${SIGNED_NOTE} An active agreement must grant the caller \`verify\` on the license type and matter; the license is shared up to the granted data level.`,
        security: signed,
        requestBody: { required: true, content: json('InteropVerifyRequest', ex.INTEROP_VERIFY_REQUEST) },
        responses: {
          '200': answer(
            'the live status and the shared license',
            'signed',
            json('InteropVerifyResponse', ex.INTEROP_VERIFY_RESPONSE),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
  };
}
