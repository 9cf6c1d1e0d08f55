import { sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { LICENSE as EXAMPLE_LICENSE } from '../contracts/examples.ts';
import { checkCredential } from '../functions/verification/credential-check.ts';
import { signCredential } from '../lib/license/credential.ts';
import { loadLocalKeyRing } from '../lib/signing/local-signer.ts';
import { generateP256PrivateKey, importPublicKey } from '../lib/signing/public-jwk.ts';
import { type Measurement, measure, ratio, type Section } from './harness.ts';

// The documented example license (contracts/examples.ts), as signCredential takes it.
const { status: _status, ...LICENSE } = EXAMPLE_LICENSE;

/**
 * Credential signing and verification against raw node:crypto P-256 on the same signing input,
 * measured in the same run: the raw figures are the ceiling, the ratios what the JWS layer costs.
 */
export const credentials: Section = {
  name: 'credentials',
  title: 'credentials (ES256 compact JWS)',
  async run(budget) {
    const dir = await mkdtemp(join(tmpdir(), 'elg-bench-'));
    try {
      const keys = await loadLocalKeyRing(dir);
      const signer = keys.credential;
      const now = new Date('2026-03-01T02:00:00Z');
      const jws = await signCredential(signer, LICENSE, now);
      const [header = '', payload = '', signature = ''] = jws.split('.');
      const signingInput = Buffer.from(`${header}.${payload}`);
      const joseSignature = Buffer.from(signature, 'base64url');

      const publicKeyObject = importPublicKey(signer.publicJwk);
      const cryptoKey = await importJWK(signer.publicJwk, 'ES256');
      const rawVerifyOnce = () =>
        verify('sha256', signingInput, { key: publicKeyObject, dsaEncoding: 'ieee-p1363' }, joseSignature);
      if (!rawVerifyOnce())
        throw new Error('bench: the credential signature does not verify with node:crypto');
      await compactVerify(jws, cryptoKey, { algorithms: ['ES256'] });

      // The local signer keeps its private key to itself; a fresh P-256 key costs the same to use.
      const privateKey = generateP256PrivateKey();

      const rawSign = await measure(
        'raw node:crypto P-256 sign (ceiling)',
        () => sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
        budget,
      );
      const credentialSign = await measure(
        'credential sign (signCredential, local key)',
        () => signCredential(signer, LICENSE, now),
        budget,
      );
      const rawVerify = await measure('raw node:crypto P-256 verify (ceiling)', rawVerifyOnce, budget);
      const credentialVerify = await measure(
        'credential verify (jose compactVerify, imported JWK)',
        () => compactVerify(jws, cryptoKey, { algorithms: ['ES256'] }),
        budget,
      );
      const keyObjectVerify = await measure(
        'credential verify (jose compactVerify, KeyObject)',
        () => compactVerify(jws, publicKeyObject, { algorithms: ['ES256'] }),
        budget,
      );
      // What a verifying gateway runs: the strict form, the key by kid, the signature over the
      // exact input, the claims contract and the issuer bindings (docs/protocol.md §4).
      const registry = { keyByKid: () => ({ key: publicKeyObject, owner: '310000' }) };
      if (!(await checkCredential(jws, registry)).ok) throw new Error('bench: the strict check refuses');
      const strictVerify = await measure(
        'credential check (strict form, checkCredential)',
        () => checkCredential(jws, registry),
        budget,
      );
      const rows: Measurement[] = [
        rawSign,
        { ...credentialSign, note: ratio(credentialSign, rawSign, 'raw sign') },
        rawVerify,
        { ...credentialVerify, note: ratio(credentialVerify, rawVerify, 'raw verify') },
        { ...keyObjectVerify, note: ratio(keyObjectVerify, rawVerify, 'raw verify') },
        { ...strictVerify, note: ratio(strictVerify, rawVerify, 'raw verify') },
      ];
      return rows;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
