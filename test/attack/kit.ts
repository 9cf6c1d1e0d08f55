import { createHmac, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { type Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { Role } from '../../contracts/auth.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { Federation, RunningProvince } from '../../federation/federation.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';
import { loadOrCreatePrivateKey } from '../../lib/signing/key-file.ts';
import { generateP256PrivateKey } from '../../lib/signing/public-jwk.ts';
import { unknownIdentifier } from '../support/gateway.ts';
import { scanAll } from '../support/scan.ts';
import type { ProvinceSnapshot, RawAnswer } from './harness.ts';
import { newEvents, snapshot } from './harness.ts';

/**
 * What the bearer, input and leak attack files need beyond the shared harness: the province's
 * own dev IdP key (to forge every kind of token by hand), raw HTTP where fetch would tidy the
 * request up, whole-table text for "this string appears nowhere" and a leak check of error bodies.
 */

export interface IdpKey {
  privateKey: KeyObject;
  kid: string;
  issuer: string;
  audience: string;
  publicPem: string;
  publicJwk: Record<string, unknown>;
  idp: DevIdentityProvider;
}

/** The province's dev IdP, from the key file the federation keeps in its directory. */
export async function idpKeyOf(f: Federation, p: RunningProvince): Promise<IdpKey> {
  const file = join(dirname(f.file), 'idp', `${p.id}.jwk`);
  const idp = await DevIdentityProvider.loadOrCreate(file);
  const privateKey = await loadOrCreatePrivateKey(file);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    kid: idp.kid,
    issuer: `${p.url}/dev-idp`,
    audience: `elg-${p.id}`,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    idp,
  };
}

/** A token of the province's IdP with the given roles (and USCC), as the IdP itself mints them. */
export function mintAs(key: IdpKey, roles: Role[], uscc?: string, sub = `atk-${roles.join('+')}`) {
  return key.idp.mint({
    sub,
    roles,
    ...(uscc === undefined ? {} : { uscc }),
    ttlSeconds: 3600,
    issuer: key.issuer,
    audience: key.audience,
  });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export type Signing =
  | { kind: 'es256'; key: KeyObject }
  | { kind: 'hs256'; secret: string | Buffer }
  | { kind: 'none' };

/** A compact JWS built byte by byte: any header, any claims, any (or no) signature. */
export function craftJws(header: Record<string, unknown>, claims: Record<string, unknown>, signing: Signing) {
  const input = `${b64(header)}.${b64(claims)}`;
  switch (signing.kind) {
    case 'none':
      return `${input}.`;
    case 'hs256':
      return `${input}.${createHmac('sha256', signing.secret).update(input).digest('base64url')}`;
    case 'es256':
      return `${input}.${sign('sha256', Buffer.from(input), { key: signing.key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }
}

/** Claims the province's IdP would issue for an issuer of its first department, now. */
export function issuerClaims(key: IdpKey, uscc: string, now = Math.floor(Date.now() / 1000)) {
  return {
    iss: key.issuer,
    aud: key.audience,
    sub: 'atk-issuer',
    iat: now,
    exp: now + 600,
    jti: `atk-${now}-${Math.random().toString(36).slice(2)}`,
    roles: ['issuer'],
    uscc,
  };
}

export const freshP256 = () => generateP256PrivateKey();

/** A well-formed identifier of the department that does not exist in its province. */
export function missingIdentifier(issuerCode: string, serial = 'NOSUCH0001') {
  return unknownIdentifier({ issuerCode, serial });
}

export const scanTable = (p: RunningProvince, table: string) => scanAll(p.storage.doc, table);

/** Every item of the province's audit table (and, if asked, its Merkle log table) as one text. */
export async function auditText(p: RunningProvince, withLog = false): Promise<string> {
  const items = await scanTable(p, p.storage.tables.audit);
  if (withLog) items.push(...(await scanTable(p, p.storage.tables.log)));
  return items.map((i) => JSON.stringify(i)).join('\n');
}

/** For unaudited routes (and requests dropped before any route): nothing changed at all. */
export async function expectNothingChanged(p: RunningProvince, before: ProvinceSnapshot) {
  const after = await snapshot(p);
  expect(after.licenses).toEqual(before.licenses);
  expect(after.agreements).toEqual(before.agreements);
  expect(after.nonces).toEqual(before.nonces);
  expect((await newEvents(p, before)).map((e) => `${e.action}:${e.outcome}`)).toEqual([]);
}

/** An error body of the contract (even a 5xx one) whose text shows nothing of the implementation. */
export function expectCleanError(answer: RawAnswer) {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(ErrorBodySchema.safeParse(answer.json).success, answer.text).toBe(true);
  expectNoImplementationDetail(answer.text);
}

export function expectNoImplementationDetail(text: string) {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\bat [^\s]+ \(/);
  expect(text).not.toContain('/work/');
  expect(text).not.toContain('node_modules');
  expect(text).not.toContain('file://');
  expect(text).not.toMatch(/\.ts:\d/);
  expect(text).not.toMatch(/\.ts\b/);
  expect(text).not.toMatch(/\b(TypeError|ReferenceError|SyntaxError|RangeError|URIError)\b/);
}

export interface NodeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  code: string | undefined;
  socket: Socket;
  reusedSocket: boolean;
}

/**
 * One request through node:http, with the path exactly as given (fetch would normalise `..`)
 * and, with `chunked`, the body in chunks without a content-length. With a keep-alive agent the
 * answer tells which socket carried it.
 */
export function nodeRequest(
  base: string,
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunked?: boolean;
    agent?: Agent;
  } = {},
): Promise<NodeAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.body !== undefined && !init.chunked)
      headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path,
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.agent ? { agent: init.agent } : {}),
    });
    let socket: Socket | undefined;
    req.on('socket', (s) => {
      socket = s;
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let code: string | undefined;
        try {
          const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
          code = parsed.success ? parsed.data.error.code : undefined;
        } catch {
          code = undefined;
        }
        if (!socket) return reject(new Error('no socket'));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          code,
          socket,
          reusedSocket: req.reusedSocket,
        });
      });
    });
    if (init.body !== undefined) {
      if (init.chunked) {
        const body = Buffer.from(init.body);
        const step = 8192;
        for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      } else {
        req.write(init.body);
      }
    }
    req.end();
  });
}
