import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { RECEIPT_HEADER } from '../../contracts/interop.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { type TestFederation, type TestFederationOptions, testFederation } from '../support/federation.ts';
import { scanAll } from '../support/scan.ts';

/**
 * The attack suite's common ground: a real local federation over HTTP, raw requests that can
 * carry anything an attacker would send, and a before/after view of a province's tables so each
 * case proves that nothing changed but the refusal's audit event.
 */

/**
 * The suite's federation of `ids`, its tables and directory named after the attack file. Its logs
 * are not witnessed unless the suite asks (`witnessed`): every case counts the events and nonces a
 * refusal leaves, and the sequencers' collections of cosignatures would add theirs at any moment.
 */
export function attackFederation(
  ids: readonly string[],
  name: string,
  extra: Pick<TestFederationOptions, 'clock' | 'baseUrlOverrides' | 'scheduled' | 'witnessed'> = {},
): Promise<TestFederation> {
  return testFederation({ name: `atk${name}`, provinces: ids, witnessed: false, ...extra });
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The stable error code of an error body, if the answer is one. */
  code: string | undefined;
  receipt: string | null;
  json: unknown;
}

/** An answer as read off the wire: its body parsed as JSON where it is JSON, its error code if any. */
function rawAnswer(status: number, headers: Headers, text: string): RawAnswer {
  const json = parseJsonOrUndefined(text);
  const error = ErrorBodySchema.safeParse(json);
  return {
    status,
    headers,
    text,
    code: error.success ? error.data.error.code : undefined,
    receipt: headers.get(RECEIPT_HEADER),
    json,
  };
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One HTTP request with exactly the given method, path, headers and body bytes. */
export async function send(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<RawAnswer> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return rawAnswer(res.status, res.headers, await res.text());
}

/**
 * Like `send`, but over node:http with the request target exactly as given: fetch would resolve
 * dot segments (`/a/../b`) before the gateway ever saw them.
 */
export function sendRawPath(
  base: string,
  rawPath: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: init.method ?? 'POST',
        path: rawPath,
        headers: init.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') headers.set(k, v);
            else if (Array.isArray(v)) for (const one of v) headers.append(k, one);
          }
          resolve(rawAnswer(res.statusCode ?? 0, headers, text));
        });
      },
    );
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : Buffer.from(init.body));
  });
}

export function bearer(p: RunningProvince, role: keyof RunningProvince['tokens']) {
  return { authorization: `Bearer ${p.tokens[role]}`, 'content-type': 'application/json' };
}

type Item = Record<string, unknown>;

export interface ProvinceSnapshot {
  licenses: string[];
  agreements: string[];
  nonces: string[];
  auditIds: Set<string>;
}

const scan = (p: RunningProvince, table: string) => scanAll(p.storage.doc, table);

const sorted = (items: Item[]) => items.map((i) => JSON.stringify(i, Object.keys(i).sort())).sort();

/**
 * The state a refused request must not touch: licenses, agreements (with their outbox) and
 * recorded request ids, item by item; and which audit events exist (the sequencer rewrites
 * audit items as it integrates them, so only their ids are compared).
 */
export async function snapshot(p: RunningProvince): Promise<ProvinceSnapshot> {
  const t = p.storage.tables;
  const [licenses, agreements, nonces, audit] = await Promise.all([
    scan(p, t.licenses),
    scan(p, t.agreements),
    scan(p, t.nonces),
    scan(p, t.audit),
  ]);
  return {
    licenses: sorted(licenses),
    agreements: sorted(agreements),
    nonces: sorted(nonces),
    auditIds: new Set(audit.map((e) => String(e.eventId))),
  };
}

/** Audit events written since `before`, read back in full. */
export async function newEvents(p: RunningProvince, before: ProvinceSnapshot): Promise<Item[]> {
  const audit = await scan(p, p.storage.tables.audit);
  return audit.filter((e) => !before.auditIds.has(String(e.eventId)));
}

/**
 * Asserts that between `before` and now the province changed nothing but its audit log, and
 * that what the audit log gained is the refusal: at least one event, each refused (or, for a
 * dependency failure, error), none a success. Returns the new events for further checks.
 * `nonceRecorded` allows the one recorded request id of a call whose signature verified.
 */
export async function expectOnlyRefusal(
  p: RunningProvince,
  before: ProvinceSnapshot,
  options: { nonceRecorded?: boolean } = {},
): Promise<Item[]> {
  const after = await snapshot(p);
  expect(after.licenses).toEqual(before.licenses);
  expect(after.agreements).toEqual(before.agreements);
  if (!options.nonceRecorded) expect(after.nonces).toEqual(before.nonces);
  const events = await newEvents(p, before);
  expect(events.length).toBeGreaterThanOrEqual(1);
  for (const e of events) expect(['refused', 'error']).toContain(e.outcome);
  return events;
}
