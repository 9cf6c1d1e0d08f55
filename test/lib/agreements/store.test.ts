import { beforeAll, describe, expect, it } from 'vitest';
import type { AgreementDocument } from '../../../contracts/agreement.ts';
import { AGREEMENT_STAMP_REUSE_MS, AgreementPolicy } from '../../../lib/agreements/enforcement.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { NotFoundError } from '../../../lib/errors.ts';
import { ulid } from '../../../lib/ids.ts';
import { doc, SH, TYPE, ZJ } from './fixtures.ts';
import { type AgreementWorld, agreementWorld } from './gateway.ts';

const TRACE = 'ab'.repeat(16);

describe('the agreement store', () => {
  let w: AgreementWorld;
  beforeAll(async () => {
    w = await agreementWorld();
  });

  const event = () =>
    auditEvent(
      { province: SH, traceId: TRACE, action: 'agreement.receive', outcome: 'success' },
      w.clock.now(),
    );

  async function stored(): Promise<AgreementDocument> {
    const document = doc({ id: `agr_${ulid(w.clock.now())}`, name: 'store test', proposer: ZJ });
    const outcome = await w.gateway.agreements.create({
      record: { document, signatures: [await w.signature(ZJ, document)], withdrawals: [] },
      deliveries: [],
      audit: event(),
    });
    expect(outcome).toBe('created');
    return document;
  }

  it('reads back the document and its signatures as stored', async () => {
    const document = await stored();

    const record = await w.gateway.agreements.get(document.id);

    expect(record?.document).toEqual(document);
    expect(record?.signatures.map((s) => s.party)).toEqual([ZJ]);
    expect(record?.withdrawals).toEqual([]);
  });

  it('holds one signature per party: another valid one of the same party is held, not added, and not audited', async () => {
    const document = await stored();
    const events = (await w.events('agreement.receive')).length;
    const before = await w.agreementItems();

    const outcome = await w.gateway.agreements.addSignature({
      agreementId: document.id,
      signature: await w.signature(ZJ, document),
      deliveries: [],
      audit: event(),
    });

    expect(outcome).toBe('held');
    expect(await w.agreementItems()).toEqual(before);
    expect(await w.events('agreement.receive')).toHaveLength(events);
  });

  it('refuses a signature for an agreement it does not hold, storing nothing', async () => {
    const before = await w.agreementItems();
    const events = (await w.events('agreement.receive')).length;

    const adding = w.gateway.agreements.addSignature({
      agreementId: 'agr_01K00000000000000000000000',
      signature: { party: SH, kid: 'k', signature: 'A'.repeat(86) },
      deliveries: [],
      audit: event(),
    });

    await expect(adding).rejects.toBeInstanceOf(NotFoundError);
    expect(await w.agreementItems()).toEqual(before);
    expect(await w.events('agreement.receive')).toHaveLength(events);
  });

  it('answers exists for an id already taken', async () => {
    const document = await stored();

    const again = await w.gateway.agreements.create({
      record: { document, signatures: [], withdrawals: [] },
      deliveries: [],
      audit: event(),
    });

    expect(again).toBe('exists');
  });

  it('lets a policy on another instance see a change once its stamp read is older than the bound', async () => {
    const document = await stored();
    const elsewhere = new AgreementPolicy(w.gateway.agreements, w.clock);
    const query = {
      grantor: SH,
      grantee: ZJ,
      action: 'verify',
      licenseType: TYPE,
      matterCode: 'M1',
    } as const;
    const before = await elsewhere.authorize(query);

    await w.gateway.agreements.addSignature({
      agreementId: document.id,
      signature: await w.signature(SH, document),
      deliveries: [],
      audit: event(),
    });
    const within = await elsewhere.authorize(query);
    w.clock.set(new Date(w.clock.now().getTime() + AGREEMENT_STAMP_REUSE_MS));

    expect(before.ok).toBe(false);
    expect(within.ok).toBe(false);
    expect(await elsewhere.authorize(query)).toMatchObject({ ok: true, agreementId: document.id });
  });
});
