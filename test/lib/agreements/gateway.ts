import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AgreementDocument, AgreementSignature } from '../../../contracts/agreement.ts';
import { type AuditEvent, AuditEventSchema } from '../../../contracts/audit.ts';
import { SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { provinceApp } from '../../../functions/province.ts';
import { signDocument } from '../../../lib/agreements/signatures.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';

export interface AgreementWorld extends TestGateway {
  /** The keys of every province in this gateway's registry (its own, 330000, 320000, 340000, 510000). */
  ring(id: string): KeyRing;
  /** A request to this gateway signed by `from`'s gateway key, as the signed-call layer checks it. */
  signed(
    from: string,
    path: string,
    body: unknown,
    options?: { signer?: KeyRing['gateway'] },
  ): Promise<Request>;
  /** Every item of the agreements table. */
  agreementItems(): Promise<Record<string, unknown>[]>;
  /** Audit events with this action. */
  events(action: string): Promise<AuditEvent[]>;
  /** `party`'s signature over `doc` with its gateway key. */
  signature(party: string, doc: AgreementDocument): Promise<AgreementSignature>;
}

const EXTRA = ['320000', '340000', '510000'];

/**
 * testGateway with a wider registry: three more provinces with local keys, so alliances,
 * outsiders and relayed signatures can be exercised. The app is rebuilt over that registry.
 */
export async function agreementWorld(province = '310000', now?: string): Promise<AgreementWorld> {
  const t = await testGateway(province, now);
  const dir = await mkdtemp(join(tmpdir(), 'elg-agr-'));
  const peer = province === '330000' ? '310000' : '330000';
  const rings = new Map<string, KeyRing>([
    [province, t.keys],
    [peer, t.peerKeys],
  ]);
  for (const id of EXTRA.filter((e) => e !== province)) {
    rings.set(id, await loadLocalKeyRing(join(dir, id)));
  }
  const registry = TrustRegistry.fromClaims({
    iss: 'test-root',
    iat: Math.floor(t.clock.now().getTime() / 1000),
    seq: 1,
    provinces: [...rings].map(([id, keys]) => ({
      id,
      name: id,
      baseUrl: `http://127.0.0.1:${id.slice(0, 2)}`,
      jwks: jwksOf(keys),
      status: 'active' as const,
    })),
  });
  const gateway = t.gateway.withParts({ registry });
  const ring = (id: string) => {
    const keys = rings.get(id);
    if (!keys) throw new TypeError(`no keys for ${id}`);
    return keys;
  };
  const { doc, tables } = t.storage;
  const scan = async (table: string) =>
    (await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
  return {
    ...t,
    gateway,
    app: provinceApp(gateway),
    ring,
    async signed(from, path, body, options = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const { header } = await signRequest(options.signer ?? ring(from).gateway, {
        iss: from,
        aud: province,
        method: 'POST',
        pathWithQuery: path,
        body: text,
        traceId: randomBytes(16).toString('hex'),
        now: t.clock.now(),
      });
      return new Request(`http://gateway.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: header },
        body: text,
      });
    },
    agreementItems: () => scan(tables.agreements),
    events: async (action) =>
      (await scan(tables.audit)).map((e) => AuditEventSchema.parse(e)).filter((e) => e.action === action),
    signature: (party, d) => signDocument(ring(party).gateway, party, d),
  };
}
