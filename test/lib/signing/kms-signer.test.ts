import { verify } from 'node:crypto';
import { SignCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../lib/errors.ts';
import { jwksOf, signCompactJws } from '../../../lib/signing/jws.ts';
import { createKmsKeyRing, KmsSigner } from '../../../lib/signing/kms-signer.ts';
import { fakeKey, fakeKms, sha256, signDigest } from './fake-kms.ts';

const keys = () => ({
  credential: fakeKey('cred'),
  gateway: fakeKey('gw'),
  audit: fakeKey('audit'),
  witness: fakeKey('witness', 'ed25519'),
});

describe('the fake KMS used below', () => {
  it('signs a digest so that node:crypto verifies the signature over the original message', () => {
    // Prepare
    const key = fakeKey('k');
    const message = new TextEncoder().encode('hello');

    // Act
    const der = signDigest(key.privateKey, sha256(message));

    // Assess
    expect(verify('sha256', message, key.publicKey, der)).toBe(true);
  });
});

describe('KmsSigner', () => {
  it('publishes the KMS public key under its RFC 7638 thumbprint', async () => {
    // Prepare
    const key = fakeKey('k');
    const { client } = fakeKms([key]);

    // Act
    const signer = await KmsSigner.create(client, key.arn, 'credential');

    // Assess
    const { kty, crv, x, y } = await exportJWK(key.publicKey);
    expect(signer.publicJwk).toEqual({
      kty,
      crv,
      x,
      y,
      kid: await calculateJwkThumbprint({ kty: kty ?? '', crv, x, y }, 'sha256'),
      alg: 'ES256',
      use: 'sig',
      purpose: 'credential',
    });
    expect(signer.kid).toBe(signer.publicJwk.kid);
  });

  it('makes a JWS that jose verifies against the published JWKS', async () => {
    // Prepare
    const k = keys();
    const { client } = fakeKms(Object.values(k));
    const { credential, gateway, audit, witness } = await createKmsKeyRing(client, {
      credential: k.credential.arn,
      gateway: k.gateway.arn,
      audit: k.audit.arn,
      witness: k.witness.arn,
    });
    if (!credential || !gateway || !audit || !witness) throw new Error('a key of the ring is missing');
    const ring = { credential, gateway, audit, witness };

    // Act
    const jws = await signCompactJws(ring.credential, { typ: 'elicense+jwt' }, { jti: 'x' });

    // Assess
    const { protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwksOf(ring)), {
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe(ring.credential.kid);
    expect(jwksOf(ring).keys.map((j) => j.purpose)).toEqual(['credential', 'gateway', 'audit', 'witness']);
  });

  it('sends KMS only the SHA-256 digest, as ECDSA_SHA_256 with MessageType DIGEST, to the reported key ARN', async () => {
    // Prepare
    const key = fakeKey('k');
    const { client, mock } = fakeKms([key]);
    const signer = await KmsSigner.create(client, 'alias/k', 'gateway');
    const message = new TextEncoder().encode('a large request body '.repeat(1000));

    // Act
    const der = await signer.signDer(message);

    // Assess
    const calls = mock.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect({ ...input, Message: new Uint8Array(input?.Message ?? []) }).toEqual({
      KeyId: key.arn,
      Message: sha256(message),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(verify('sha256', message, key.publicKey, der)).toBe(true);
  });

  it('reads the public key once, however often it signs', async () => {
    // Prepare
    const key = fakeKey('k');
    const { client, mock } = fakeKms([key]);
    const signer = await KmsSigner.create(client, key.arn, 'audit');

    // Act
    for (let i = 0; i < 3; i++) await signer.signDer(new Uint8Array([i]));

    // Assess
    expect(mock.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'GetPublicKeyCommand',
      'SignCommand',
      'SignCommand',
      'SignCommand',
    ]);
  });

  it.each([
    [{ KeySpec: 'ECC_SECG_P256K1' as const }, /KeySpec ECC_SECG_P256K1; expected ECC_NIST_P256/],
    [{ KeySpec: 'RSA_2048' as const }, /KeySpec RSA_2048; expected ECC_NIST_P256/],
    [{ KeyUsage: 'ENCRYPT_DECRYPT' as const }, /KeyUsage ENCRYPT_DECRYPT; expected SIGN_VERIFY/],
    [{ SigningAlgorithms: ['ECDSA_SHA_384' as const] }, /does not offer ECDSA_SHA_256/],
  ])('refuses a key described as %o', async (override, message) => {
    // Prepare
    const key = fakeKey('k');
    const { client } = fakeKms([key], override);

    // Act
    const act = KmsSigner.create(client, key.arn, 'credential');

    // Assess
    await expect(act).rejects.toThrow(message);
  });

  it('turns a failing Sign call into DEPENDENCY_UNAVAILABLE, keeping the cause', async () => {
    // Prepare
    const key = fakeKey('k');
    const { client, mock } = fakeKms([key]);
    const signer = await KmsSigner.create(client, key.arn, 'credential');
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    mock.on(SignCommand).rejects(throttled);

    // Act
    const act = signer.signDer(new Uint8Array([1]));

    // Assess
    await expect(act).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(act).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      status: 503,
      message: 'KMS signing with the credential key is unavailable',
      cause: throttled,
    });
  });

  it('turns an unreachable KMS at start-up into DEPENDENCY_UNAVAILABLE', async () => {
    // Prepare
    const { client } = fakeKms([fakeKey('k')]);

    // Act
    const act = KmsSigner.create(client, 'alias/missing', 'gateway');

    // Assess
    await expect(act).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('refuses a Sign answer that is not a DER signature', async () => {
    // Prepare
    const key = fakeKey('k');
    const { client, mock } = fakeKms([key]);
    const signer = await KmsSigner.create(client, key.arn, 'credential');
    mock.on(SignCommand).resolves({ Signature: new Uint8Array(64) });

    // Act
    const act = signer.signDer(new Uint8Array([1]));

    // Assess
    await expect(act).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});
