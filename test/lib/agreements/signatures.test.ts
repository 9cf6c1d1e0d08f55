import { beforeAll, describe, expect, it } from 'vitest';
import type { AgreementDocument } from '../../../contracts/agreement.ts';
import { documentBytes, withdrawalBytes } from '../../../lib/agreements/canonical.ts';
import {
  signDocument,
  signWithdrawal,
  verifyDocumentSignature,
  verifyWithdrawal,
} from '../../../lib/agreements/signatures.ts';
import { AppError } from '../../../lib/errors.ts';
import { derToJose } from '../../../lib/signing/der.ts';
import { doc, grant, provinces, SC, SH, ZJ } from './fixtures.ts';

type World = Awaited<ReturnType<typeof provinces>>;

async function codeOf(pending: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('agreement signatures', () => {
  let w: World;
  let d: AgreementDocument;
  beforeAll(async () => {
    w = await provinces();
    d = doc({ grants: [grant({ licenseTypes: ['11100000000013338W032'] })] });
  });

  it('signs the RFC 8785 canonical JSON of exactly the document members', () => {
    const small = doc({ id: 'agr_01K00000000000000000000000', grants: [grant()] });

    const text = new TextDecoder().decode(documentBytes({ ...small, extra: 'x' } as AgreementDocument));

    expect(text).toBe(
      '{"grants":[{"actions":["verify","status"],"grantee":"*","grantor":"*","licenseTypes":["*"],' +
        '"matterCodes":["*"],"maxDataLevel":2}],"id":"agr_01K00000000000000000000000",' +
        '"name":"test agreement","parties":["310000","330000"],"proposedAt":"2026-01-01T00:00:00.000Z",' +
        '"proposer":"310000","validFrom":"2026-01-01","validUntil":"2030-12-31"}',
    );
  });

  it("verifies a party's signature whatever order the members arrive in", async () => {
    const sig = await signDocument(w.ring(ZJ).gateway, ZJ, d);
    const reordered = Object.fromEntries(Object.entries(d).reverse()) as AgreementDocument;

    await expect(verifyDocumentSignature(w.registry, reordered, sig)).resolves.toBeUndefined();
    expect(sig).toMatchObject({ party: ZJ, kid: w.ring(ZJ).gateway.kid });
    expect(sig.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it('refuses a signature over a tampered document', async () => {
    const sig = await signDocument(w.ring(ZJ).gateway, ZJ, d);
    const tampered = { ...d, grants: [{ ...grant(), maxDataLevel: 4 }] };

    const refusal = await codeOf(verifyDocumentSignature(w.registry, tampered, sig));

    expect(refusal.code).toBe('SIGNATURE_INVALID');
    expect(refusal.message).toContain('does not verify');
  });

  it('refuses the signature of a province that is not a party', async () => {
    const sig = await signDocument(w.ring(SC).gateway, SC, d);

    expect((await codeOf(verifyDocumentSignature(w.registry, d, sig))).code).toBe('FORBIDDEN');
  });

  it("refuses a signature made with another party's key", async () => {
    const sig = await signDocument(w.ring(ZJ).gateway, SH, d);

    const refusal = await codeOf(verifyDocumentSignature(w.registry, d, sig));

    expect(refusal.code).toBe('SIGNATURE_INVALID');
    expect(refusal.message).toContain('UNKNOWN_KEY');
  });

  it('refuses a signature made with the party’s key of another purpose', async () => {
    const credential = w.ring(ZJ).credential;
    const raw = derToJose(await credential.signDer(documentBytes(d)));
    const sig = { party: ZJ, kid: credential.kid, signature: Buffer.from(raw).toString('base64url') };

    const refusal = await codeOf(verifyDocumentSignature(w.registry, d, sig));

    expect(refusal.code).toBe('SIGNATURE_INVALID');
    expect(refusal.message).toContain('WRONG_KEY_PURPOSE');
  });

  it('refuses to sign with a key that is not the gateway key', async () => {
    await expect(signDocument(w.ring(SH).credential, SH, d)).rejects.toThrow(TypeError);
  });

  it('refuses a second spelling of a valid signature (non-canonical base64url)', async () => {
    const sig = await signDocument(w.ring(ZJ).gateway, ZJ, d);
    // The last of 86 characters carries 4 unused bits: flipping one decodes to the same bytes.
    const last = sig.signature.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${sig.signature.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(sig.signature, 'base64url'));

    const refusal = await codeOf(verifyDocumentSignature(w.registry, d, { ...sig, signature: respelled }));

    expect(refusal.code).toBe('SIGNATURE_INVALID');
  });
});

describe('withdrawal signatures', () => {
  let w: World;
  let d: AgreementDocument;
  beforeAll(async () => {
    w = await provinces();
    d = doc();
  });

  const statement = (party: string, id = d.id) => ({
    agreementId: id,
    party,
    withdrawnAt: '2026-06-01T08:00:00.000Z',
  });

  it('signs the canonical {agreementId, party, withdrawnAt} and verifies', async () => {
    const wd = await signWithdrawal(w.ring(ZJ).gateway, statement(ZJ));

    expect(new TextDecoder().decode(withdrawalBytes(wd))).toBe(
      `{"agreementId":"${d.id}","party":"330000","withdrawnAt":"2026-06-01T08:00:00.000Z"}`,
    );
    await expect(verifyWithdrawal(w.registry, d, wd)).resolves.toBeUndefined();
  });

  it('refuses a withdrawal whose time was changed after signing', async () => {
    const wd = await signWithdrawal(w.ring(ZJ).gateway, statement(ZJ));

    const refusal = await codeOf(
      verifyWithdrawal(w.registry, d, { ...wd, withdrawnAt: '2026-01-01T00:00:00Z' }),
    );

    expect(refusal.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a withdrawal signed for another agreement', async () => {
    const wd = await signWithdrawal(w.ring(ZJ).gateway, statement(ZJ, 'agr_01K99999999999999999999999'));

    expect((await codeOf(verifyWithdrawal(w.registry, d, wd))).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a withdrawal by a province that is not a party', async () => {
    const wd = await signWithdrawal(w.ring(SC).gateway, statement(SC));

    expect((await codeOf(verifyWithdrawal(w.registry, d, wd))).code).toBe('FORBIDDEN');
  });
});
