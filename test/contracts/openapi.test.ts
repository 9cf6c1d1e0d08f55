import { createHash } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgreementDocumentSchema } from '../../contracts/agreement.ts';
import { AuditEventIdSchema, AuditQuerySchema, ConsistencyQuerySchema } from '../../contracts/audit-api.ts';
import { IdentifierSchema } from '../../contracts/codes/index.ts';
import { CredentialClaimsSchema } from '../../contracts/credential.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import * as ex from '../../contracts/examples.ts';
import { ReceiptClaimsSchema, RequestClaimsSchema } from '../../contracts/interop.ts';
import { COMPONENTS, type ComponentName, DOCS_ASSETS, TAGS } from '../../contracts/openapi.ts';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { auditOrigin, verifyCheckpoint } from '../../lib/audit/checkpoint.ts';
import { verifyInclusion } from '../../lib/audit/merkle.ts';
import { get, post, type TestGateway, testGateway } from '../support/gateway.ts';

interface MediaType {
  schema: { $ref?: string };
  example?: unknown;
}
interface Operation {
  tags: string[];
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; example?: unknown; schema: unknown }[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { $ref?: string; content?: Record<string, MediaType>; headers?: object }>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  tags: { name: string }[];
  components: {
    schemas: Record<string, object>;
    responses: Record<string, { content: Record<string, MediaType> }>;
    headers: Record<string, { example: string }>;
  };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

function operations(doc: Document): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Operation })),
  );
}

/** Every media type of an operation with where it is: request bodies and answers. */
function mediaTypes(op: Operation): { where: string; side: 'request' | 'response'; media: MediaType }[] {
  const out: { where: string; side: 'request' | 'response'; media: MediaType }[] = [];
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    out.push({ where: `request ${type}`, side: 'request', media });
  }
  for (const [status, res] of Object.entries(op.responses)) {
    for (const [type, media] of Object.entries(res.content ?? {})) {
      out.push({ where: `${status} ${type}`, side: 'response', media });
    }
  }
  return out;
}

const componentOf = (media: MediaType): ComponentName | undefined =>
  media.schema.$ref?.replace('#/components/schemas/', '') as ComponentName | undefined;

/** A concrete path for a documented one: sample values for its parameters. */
const concrete = (path: string) =>
  path
    .replace('{identifier}', ex.IDENTIFIER)
    .replace('{id}', ex.AGREEMENT_ID)
    .replace('{eventId}', ex.EVENT_ID)
    .replace('{asset}', 'docs.js');

/** The catalog function API Gateway sends a request to: exact route, longest greedy path, $default. */
function catalogFunction(method: string, path: string): string | undefined {
  const routes = FUNCTIONS.flatMap((f) => f.routes.map((r) => ({ route: r, fn: f.name })));
  const exact = routes.find((r) => r.route === `${method} ${path}`);
  if (exact) return exact.fn;
  const greedy = routes
    .filter((r) => r.route.startsWith(`${method} `) && r.route.endsWith('/{proxy+}'))
    .map((r) => ({ ...r, prefix: r.route.slice(method.length + 1, -'{proxy+}'.length) }))
    .filter((r) => path.startsWith(r.prefix) && path.length > r.prefix.length)
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  return greedy?.fn ?? routes.find((r) => r.route === '$default')?.fn;
}

/** Routes called by other gateways with ELG-Signature: the interop routes and the witness's add-checkpoint. */
const signedRoute = (path: string) =>
  path.startsWith('/v1/interop/') || path === '/v1/witness/add-checkpoint';

describe('the OpenAPI document', () => {
  let t: TestGateway;
  let doc: Document;

  beforeAll(async () => {
    t = await testGateway();
    const res = await t.app.request(get('/openapi.json'));
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });

  it('describes every route the gateway serves, and no route it does not', () => {
    const served = new Set(
      t.app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations(doc).map(({ method, path }) => `${method.toUpperCase()} ${path}`));

    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
    // The comparison is only as good as the route list: it holds every area's routes.
    expect([...served]).toEqual(
      expect.arrayContaining([
        'GET /docs',
        'POST /v1/licenses',
        'POST /v1/verify',
        'POST /v1/interop/verify',
        'GET /v1/agreements/{id}',
        'POST /v1/interop/agreements/{id}/withdrawal',
        'GET /v1/audit/events/{eventId}/proof',
      ]),
    );
  });

  it('names the province gateway as its server, with the base URL of its trust registry entry', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:1' })]);
  });

  it('tags every operation with the catalog function API Gateway sends it to', () => {
    const names = FUNCTIONS.map((f) => f.name);
    expect(doc.tags.map((tag) => tag.name)).toEqual(TAGS.map((tag) => tag.name));
    for (const tag of doc.tags) expect(names).toContain(tag.name);
    for (const { method, path, op } of operations(doc)) {
      expect(op.tags, `${method} ${path}`).toHaveLength(1);
      expect(catalogFunction(method.toUpperCase(), concrete(path)), `${method} ${path}`).toBe(op.tags[0]);
    }
    const ids = operations(doc).map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares bearer or ELG-Signature security on every route but the public ones, with their errors', () => {
    for (const { method, path, op } of operations(doc)) {
      const where = `${method} ${path}`;
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      if (op.tags[0] === 'discovery') {
        expect(schemes, where).toEqual([]);
      } else if (signedRoute(path)) {
        expect(schemes, where).toEqual(['elgSignature']);
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '409', '429']));
        // Every answer to a verified caller carries the receipt.
        for (const [status, res] of Object.entries(op.responses)) {
          if (res.$ref) continue;
          expect(Object.keys(res.headers ?? {}), `${where} ${status}`).toContain('ELG-Receipt');
        }
      } else {
        expect(schemes, where).toEqual(['bearer']);
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '403', '429']));
      }
      expect(Object.keys(op.responses), where).toContain('500');
    }
  });

  it('names the zod contracts as reusable schemas, each one used, every $ref resolving', () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(Object.keys(COMPONENTS).sort());
    const refs = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.add(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    for (const r of refs) {
      const [, , kind, name] = r.split('/');
      expect(r.startsWith('#/components/'), r).toBe(true);
      expect(
        (doc.components as unknown as Record<string, Record<string, unknown>>)[kind ?? '']?.[name ?? ''],
        r,
      ).toBeDefined();
    }
    for (const name of Object.keys(COMPONENTS)) expect(refs, name).toContain(`#/components/schemas/${name}`);
    // Request bodies and answers point at named schemas, never at inline copies of a contract.
    for (const { method, path, op } of operations(doc)) {
      for (const { where, media } of mediaTypes(op)) {
        // The document itself is the one JSON answer that is no contract.
        if (where.includes('json') && path !== '/openapi.json') {
          expect(media.schema.$ref, `${method} ${path} ${where}`).toBeDefined();
        }
      }
    }
  });

  it('gives every request body and answer an example that its zod schema accepts', () => {
    let checked = 0;
    const all = [
      ...operations(doc).flatMap(({ method, path, op }) =>
        mediaTypes(op).map((m) => ({ ...m, where: `${method} ${path} ${m.where}` })),
      ),
      ...Object.entries(doc.components.responses).flatMap(([name, res]) =>
        Object.values(res.content).map((media) => ({ where: name, side: 'response' as const, media })),
      ),
    ];
    for (const { where, side, media } of all) {
      expect(media.example, where).toBeDefined();
      const name = componentOf(media);
      if (!name) continue;
      const contract = COMPONENTS[name];
      expect(contract.use === 'both' || contract.use === side, where).toBe(true);
      const parsed = contract.schema.safeParse(media.example);
      expect(parsed.error?.issues ?? [], `${where}: ${name}`).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('answers each status with an error example whose code means that status', () => {
    const statusOf: Record<string, number> = {
      INVALID_REQUEST: 400,
      UNAUTHENTICATED: 401,
      SIGNATURE_INVALID: 401,
      FORBIDDEN: 403,
      AGREEMENT_REQUIRED: 403,
      SCOPE_DENIED: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      REPLAYED: 409,
      TRANSITION_NOT_ALLOWED: 409,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
      IDEMPOTENCY_KEY_REUSED: 422,
      RATE_LIMITED: 429,
      CIRCUIT_OPEN: 429,
      WITNESS_UNKNOWN_LOG: 404,
      CHECKPOINT_SIGNATURE_INVALID: 403,
      WITNESS_SIZE_MISMATCH: 409,
      WITNESS_ROOT_MISMATCH: 409,
      CONSISTENCY_PROOF_INVALID: 422,
      INTERNAL: 500,
      PEER_UNAVAILABLE: 502,
      DEPENDENCY_UNAVAILABLE: 503,
    };
    for (const { method, path, op } of operations(doc)) {
      for (const [status, res] of Object.entries(op.responses)) {
        const media = res.content?.['application/json'];
        if (!media || componentOf(media) !== 'ErrorBody') continue;
        const body = ErrorBodySchema.parse(media.example);
        expect(statusOf[body.error.code], `${method} ${path} ${status}`).toBe(Number(status));
        if (signedRoute(path) && status === '401') expect(body.error.code).toBe('SIGNATURE_INVALID');
      }
    }
  });

  it('gives parameters examples their contracts accept', () => {
    const byName = (path: string, method: string) =>
      Object.fromEntries(
        (doc.paths[path]?.[method]?.parameters ?? []).map((p) => [p.name, p.example] as const),
      );
    expect(AuditQuerySchema.safeParse(byName('/v1/audit/events', 'get')).error).toBeUndefined();
    expect(ConsistencyQuerySchema.safeParse(byName('/v1/audit/consistency', 'get')).error).toBeUndefined();
    for (const { method, path, op } of operations(doc)) {
      for (const p of op.parameters ?? []) {
        // Optional filters have none: Swagger UI's "Try it out" would fill them all in.
        if (p.in === 'path' || (p as { required?: boolean }).required) {
          expect(p.example, `${method} ${path} ${p.name}`).toBeDefined();
        }
        const schema = {
          identifier: IdentifierSchema,
          id: AgreementDocumentSchema.shape.id,
          eventId: AuditEventIdSchema,
        }[p.name];
        if (p.in === 'path' && schema) expect(schema.safeParse(p.example).success, p.name).toBe(true);
        if (p.name === 'asset') expect(DOCS_ASSETS).toContain(p.example);
      }
    }
  });

  it('keeps the examples true to each other: the credential verifies, the proof proves, the hashes match', async () => {
    // The credential: signed by the credential key of the example JWKS, about the example license.
    const kid = decodeProtectedHeader(ex.CREDENTIAL).kid;
    const jwk = ex.JWKS.keys.find((k) => k.kid === kid);
    expect(jwk?.purpose).toBe('credential');
    const key = await importJWK({ ...jwk }, 'ES256');
    for (const [credential, license] of [
      [ex.CREDENTIAL, ex.ISSUE_RESPONSE.license],
      [ex.CREDENTIAL_V2, ex.NEW_VERSION_RESPONSE.license],
    ] as const) {
      await compactVerify(credential, key);
      const claims = CredentialClaimsSchema.parse(decodeJwt(credential));
      expect(claims.jti).toBe(license.identifier);
      expect(claims.lic).toMatchObject({
        holder: license.holder,
        version: license.version,
        fields: license.fields,
      });
    }
    expect(ex.ISSUE_RESPONSE.credential).toBe(ex.CREDENTIAL);
    expect(ex.NEW_VERSION_RESPONSE.credential).toBe(ex.CREDENTIAL_V2);

    // The inclusion proof, against the checkpoint the audit key of the JWKS signed.
    const auditKey = ex.JWKS.keys.find((k) => k.purpose === 'audit');
    if (!auditKey) throw new Error('no audit key in the example JWKS');
    const checkpoint = verifyCheckpoint(ex.CHECKPOINT, auditKey, auditOrigin('310000'));
    const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
    const p = ex.INCLUSION_PROOF;
    expect(checkpoint.treeSize).toBe(p.treeSize);
    expect(verifyInclusion(p.index, p.treeSize, b64(p.leafHash), p.proof.map(b64), checkpoint.rootHash)).toBe(
      true,
    );

    // The signed-call headers: their claims fit, and bind the example bodies.
    const sha = (s: string) => createHash('sha256').update(s).digest('base64url');
    const request = RequestClaimsSchema.parse(decodeJwt(ex.ELG_SIGNATURE));
    expect(request.bsh).toBe(sha(JSON.stringify(ex.INTEROP_VERIFY_REQUEST)));
    expect(decodeProtectedHeader(ex.ELG_SIGNATURE).typ).toBe('elg-request+jwt');
    const receipt = ReceiptClaimsSchema.parse(decodeJwt(ex.ELG_RECEIPT));
    expect(receipt).toMatchObject({ rjti: request.jti, aud: request.iss, iss: request.aud, sts: 200 });
    expect(receipt.bsh).toBe(sha(JSON.stringify(ex.INTEROP_VERIFY_RESPONSE)));
    expect(doc.components.headers['ELG-Receipt']?.example).toBe(ex.ELG_RECEIPT);
    expect(ex.TRACEPARENT).toMatch(new RegExp(`^00-${ex.TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it('documents the status each route answers a caller without credentials and one of the wrong role', async () => {
    const wrongRole = await t.token('platform');
    const auditorToken = await t.token('auditor');
    for (const { method, path, op } of operations(doc)) {
      if (op.tags[0] === 'discovery') continue;
      const url = concrete(path);
      const where = `${method} ${path}`;
      // The documented method (PUT /v1/review-policy is no POST route), with an empty JSON body.
      const request = (token?: string) =>
        method === 'get'
          ? get(url, token)
          : new Request(post(url, {}, token), { method: method.toUpperCase() });
      const bare = request();
      const anonymous = await t.app.request(bare);
      expect(Object.keys(op.responses), `${where} without credentials: ${anonymous.status}`).toContain(
        String(anonymous.status),
      );
      expect(anonymous.status, where).toBe(401);
      if (signedRoute(path)) continue;
      // A role this route does not take (platform may read licenses, verify, file and read reports,
      // read notices and read its held verifications; auditor may do none of these).
      const platformRoute =
        (path.startsWith('/v1/licenses/') && method === 'get') ||
        path === '/v1/verify' ||
        (path === '/v1/reports' && method === 'post') ||
        (path === '/v1/reports/{reportId}' && method === 'get') ||
        path === '/v1/notices' ||
        (path === '/v1/reviews/{reviewId}' && method === 'get');
      const role = platformRoute ? auditorToken : wrongRole;
      const refused = await t.app.request(request(role));
      expect(Object.keys(op.responses), `${where} wrong role: ${refused.status}`).toContain(
        String(refused.status),
      );
      expect(refused.status, where).toBe(403);
    }
  });
});
