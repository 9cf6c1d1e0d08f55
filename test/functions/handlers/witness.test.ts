import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { witnessName } from '../../../contracts/registry.ts';
import { EvidencePageSchema, WitnessedLogsSchema } from '../../../contracts/witness.ts';
import { functionSpec } from '../../../functions/catalog.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { leafHash, MemoryTree } from '../../../lib/audit/merkle.ts';
import { verifyReceipt } from '../../../lib/interop/receipt.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { formatAddCheckpoint } from '../../../lib/witness/add-checkpoint.ts';
import { verifyCosignature } from '../../../lib/witness/cosignature.ts';
import { errorOf, httpApiEvent, httpFunction, type Invoke } from './apigw.ts';
import { SH, startWorld, type World, ZJ } from './world.ts';

const PATH = '/v1/witness/add-checkpoint';
const TEXT = 'text/plain; charset=utf-8';

/**
 * The witness function behind API Gateway, cold-started with only its catalog entry's variables:
 * 310000 witnesses 330000's log (the registry says so), cosigns with its KMS witness key
 * (Ed25519, ED25519_SHA_512 over the message itself), answers the spec's text bodies through the
 * Lambda adapter, and serves the auditors' routes.
 */
describe('the witness function behind API Gateway', () => {
  let world: World;
  let fn: Invoke;
  let readAtStart: string[];
  const log = MemoryTree.of(
    Array.from({ length: 16 }, (_, i) => leafHash(new TextEncoder().encode(`330000/${i}`))),
  );
  const checkpoint = (size: number) =>
    signCheckpoint(world.peer.keys.audit, auditOrigin(ZJ), size, log.root(size));

  /** 330000's signed call carrying `body`, as API Gateway hands it to the function. */
  async function call(body: string) {
    const traceId = randomBytes(16).toString('hex');
    const { header, jti } = await signRequest(world.peer.keys.gateway, {
      iss: ZJ,
      aud: SH,
      method: 'POST',
      pathWithQuery: PATH,
      body,
      traceId,
      now: new Date(),
    });
    const res = await fn(
      httpApiEvent({
        method: 'POST',
        path: PATH,
        headers: {
          'content-type': TEXT,
          [SIGNATURE_HEADER]: header,
          traceparent: `00-${traceId}-${'1'.repeat(16)}-01`,
        },
        body,
      }),
    );
    return { res, jti, traceId };
  }

  beforeAll(async () => {
    world = await startWorld();
    // 310000 cosigns under its witness name; 330000's log names it as its one witness.
    await world.publishRegistry((e) => ({ ...e, witnessName: witnessName(SH) }));
    await world.publishRegistry((e) => ({ ...e, witnessPolicy: { witnesses: [SH], quorum: 1 } }), ZJ);
    const before = world.kmsCalls.getPublicKey.length;
    fn = await httpFunction('witness', world);
    readAtStart = world.kmsCalls.getPublicKey.slice(before);
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('reads only the keys its entry signs with: the witness key and the gateway key', () => {
    expect(new Set(readAtStart)).toEqual(
      new Set(functionSpec('witness').signsWith.map((p) => world.keys[p].arn)),
    );
    expect(new Set(readAtStart)).toEqual(new Set([world.keys.witness.arn, world.keys.gateway.arn]));
  });

  it('cosigns a checkpoint of 330000 with the KMS witness key, under a receipt by the KMS gateway key', async () => {
    const note = await checkpoint(8);
    const signsBefore = world.kmsCalls.sign.length;

    const { res, jti, traceId } = await call(
      formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note }),
    );

    expect(res.statusCode, res.body).toBe(200);
    expect(res.isBase64Encoded).toBe(false);
    expect(res.headers['content-type']).toBe(TEXT);
    const cosignature = verifyCosignature(note, res.body, witnessName(SH), world.keys.witness.publicKey);
    expect(cosignature.name).toBe('elg/310000/witness');
    expect(world.kmsCalls.sign.slice(signsBefore).sort()).toEqual(
      [world.keys.witness.arn, world.keys.gateway.arn].sort(),
    );
    await verifyReceipt(res.headers['elg-receipt'], {
      peer: SH,
      self: ZJ,
      rjti: jti,
      body: res.body,
      status: 200,
      traceId,
      registry: world.peer.gateway.registry,
    });
  });

  it('answers a stale old size 409 `<size>\\n` as text/x.tlog.size through the Lambda adapter', async () => {
    const { res, jti, traceId } = await call(
      formatAddCheckpoint({
        oldSize: 4,
        proof: log.consistencyProof(4, 12),
        checkpoint: await checkpoint(12),
      }),
    );

    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe('text/x.tlog.size');
    // Sent as text (lib/wiring/lambda.ts), not base64: hono's default takes text/x.tlog.size for binary.
    expect(res.isBase64Encoded).toBe(false);
    const wire = res.body;
    expect(wire).toBe('8\n');
    await verifyReceipt(res.headers['elg-receipt'], {
      peer: SH,
      self: ZJ,
      rjti: jti,
      body: wire,
      status: 409,
      traceId,
      registry: world.peer.gateway.registry,
    });
  });

  it('refuses a checkpoint of a log it does not witness: 404 WITNESS_UNKNOWN_LOG', async () => {
    const note = await signCheckpoint(world.peer.keys.audit, auditOrigin('320000'), 8, log.root(8));

    const { res } = await call(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note }));

    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('WITNESS_UNKNOWN_LOG');
  });

  it("serves the auditors' routes: the logs it witnesses, and its evidence", async () => {
    const auditor = { authorization: `Bearer ${await world.token('auditor')}` };

    const logs = await fn(httpApiEvent({ method: 'GET', path: '/v1/witness/logs', headers: auditor }));
    const evidence = await fn(
      httpApiEvent({ method: 'GET', path: '/v1/witness/evidence?limit=5', headers: auditor }),
    );
    const one = await fn(
      httpApiEvent({ method: 'GET', path: `/v1/witness/evidence/${'0'.repeat(32)}`, headers: auditor }),
    );
    const platform = await fn(
      httpApiEvent({
        method: 'GET',
        path: '/v1/witness/evidence',
        headers: { authorization: `Bearer ${await world.token('platform')}` },
      }),
    );

    expect(logs.statusCode, logs.body).toBe(200);
    expect(WitnessedLogsSchema.parse(JSON.parse(logs.body)).logs).toEqual([
      expect.objectContaining({
        origin: 'elg/330000/audit',
        logProvince: ZJ,
        cosigned: expect.objectContaining({ treeSize: 8, caller: ZJ }),
      }),
    ]);
    expect(evidence.statusCode, evidence.body).toBe(200);
    expect(EvidencePageSchema.parse(JSON.parse(evidence.body)).items).toEqual([]);
    expect(one.statusCode).toBe(404);
    expect(errorOf(one).code).toBe('NOT_FOUND');
    expect(platform.statusCode).toBe(403);
    expect(errorOf(platform).code).toBe('FORBIDDEN');
  });
});
