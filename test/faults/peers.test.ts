import { Agent, createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { Federation } from '../../federation/federation.ts';
import { newTraceId, traceparentOf } from '../../lib/ids.ts';
import { testFederation } from '../support/federation.ts';
import { sampleIssue } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

/** The peer client's default: how long 330000 waits for 310000. */
const PEER_TIMEOUT_MS = 3000;
/** What a verification may take beyond the peer timeout: signing, storage, the audit events. */
const MARGIN_MS = 2000;

type Mode = 'forward' | 'hang' | 'stall-body' | 'flood';

/**
 * What 330000's trust registry says is 310000: a server that forwards to the real 310000 (and
 * closes each connection after its answer, so no pooled connection outlives a change of mode), or
 * accepts and never answers, or sends headers and then stalls the body, or streams a chunked
 * answer without end. Records how much it streamed and whether the caller cut it off.
 */
function hostilePeer(target: () => URL) {
  const state = { mode: 'forward' as Mode, streamed: 0, cutOff: false };
  const server = createServer((req, res) => {
    const mode = state.mode;
    if (mode === 'forward') {
      const up = request(
        new URL(req.url ?? '/', target()),
        { method: req.method, headers: { ...req.headers, host: target().host } },
        (answer) => {
          const { connection: _, 'keep-alive': __, ...headers } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, { ...headers, connection: 'close' });
          answer.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
      return;
    }
    req.resume();
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (mode === 'stall-body') {
      res.write('{"a":');
      return;
    }
    state.streamed = 0;
    state.cutOff = false;
    res.on('close', () => {
      state.cutOff = true;
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed) {
        state.streamed += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  let port = 0;
  const listenOn = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      });
    });
  return {
    state,
    /** Opens an ephemeral port; the URL the registry lists for 310000. */
    listen: async () => {
      await listenOn(0);
      return `http://127.0.0.1:${port}`;
    },
    /** Opens the same port again after `close`: the peer is back. */
    reopen: () => listenOn(port),
    get listening() {
      return server.listening;
    },
    /** Closes the port: the peer is down. */
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('verification when the issuing province is down or hostile', () => {
  let f: Federation;
  let identifier: string;
  const peer = hostilePeer(() => new URL(f.province('310000').url));

  beforeAll(async () => {
    const peerUrl = await peer.listen();
    f = await testFederation({
      name: 'fp',
      provinces: ['310000', '330000'],
      baseUrlOverrides: { '310000': peerUrl },
    });
    const sh = f.province('310000');
    const issued = await fetch(`${sh.url}/v1/licenses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sh.tokens.issuer}` },
      body: JSON.stringify(sampleIssue()),
    });
    expect(issued.status).toBe(201);
    identifier = ((await issued.json()) as { identifier: string }).identifier;
  });
  afterAll(async () => {
    if (peer.listening) await peer.close();
    await f?.stop();
  });

  /** A platform of 330000 verifies the 310000 license; returns the answer, its time and trace. */
  async function verify() {
    const zj = f.province('330000');
    const traceId = newTraceId();
    const started = Date.now();
    const res = await fetch(`${zj.url}/v1/verify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${zj.tokens.platform}`,
        traceparent: traceparentOf(traceId),
      },
      body: JSON.stringify({ identifier, matterCode: 'DEMO0001', useCause: '窗口核验' }),
      signal: AbortSignal.timeout(PEER_TIMEOUT_MS + 10_000),
    });
    const ms = Date.now() - started;
    const body: unknown = await res.json();
    return { status: res.status, body, ms, traceId };
  }

  async function eventsOf(traceId: string) {
    const { doc, tables } = f.province('330000').storage;
    return (await storedEvents(doc, tables.audit)).filter((e) => e.traceId === traceId);
  }

  /** The answer is a prompt `unverified` with PEER_UNAVAILABLE, and the attempt is on record. */
  async function expectPeerUnavailable(
    answer: Awaited<ReturnType<typeof verify>>,
    cause: string,
    withinMs: number,
  ) {
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(withinMs);
    const verdict = VerifyResponseSchema.parse(answer.body);
    expect(verdict.verdict).toBe('unverified');
    expect(verdict.checks.status).toBe('unavailable');
    expect(verdict.reasons.map((r) => r.code)).toEqual(['PEER_UNAVAILABLE']);
    const events = await eventsOf(answer.traceId);
    // The failed call is recorded in the verify event itself: one event on this side.
    expect(events.map((e) => e.action)).toEqual(['verify']);
    expect(events[0]).toMatchObject({
      peer: '310000',
      details: {
        verdict: 'unverified',
        reasons: 'PEER_UNAVAILABLE',
        direction: 'outbound',
        error: cause,
        receipt: null,
      },
    });
    expect(typeof events[0]?.details?.ms).toBe('number');
  }

  it('verifies through the stand-in while it forwards to the real 310000', async () => {
    peer.state.mode = 'forward';

    const answer = await verify();

    expect(answer.status).toBe(200);
    expect(VerifyResponseSchema.parse(answer.body).verdict).toBe('valid');
  });

  it('answers unverified, PEER_UNAVAILABLE, when the peer accepts the connection and never answers', async () => {
    peer.state.mode = 'hang';

    const answer = await verify();

    await expectPeerUnavailable(
      answer,
      `no answer within ${PEER_TIMEOUT_MS} ms`,
      PEER_TIMEOUT_MS + MARGIN_MS,
    );
  });

  it('answers unverified, PEER_UNAVAILABLE, when the peer sends its headers and stalls the body', async () => {
    peer.state.mode = 'stall-body';

    const answer = await verify();

    await expectPeerUnavailable(
      answer,
      `no answer within ${PEER_TIMEOUT_MS} ms`,
      PEER_TIMEOUT_MS + MARGIN_MS,
    );
  });

  it('cuts off a peer that streams a chunked answer without end once it passes 1 MB', async () => {
    peer.state.mode = 'flood';

    const answer = await verify();

    await expectPeerUnavailable(answer, 'answer larger than 1048576 bytes', PEER_TIMEOUT_MS);
    await expect.poll(() => peer.state.cutOff).toBe(true);
    expect(peer.state.streamed).toBeLessThan(16 * 1024 * 1024);
  });

  /** Verifies while the peer's port is closed, and opens it again whatever the outcome. */
  async function verifyWhileDown() {
    await peer.close();
    try {
      return await verify();
    } finally {
      await peer.reopen();
    }
  }

  it('verifies again once the peer answers properly: the failures did not open its circuit', async () => {
    // A success first, so the failures below are the only ones in a row, whatever ran before.
    peer.state.mode = 'forward';
    expect(VerifyResponseSchema.parse((await verify()).body).verdict).toBe('valid');
    // One failure of each kind this suite provokes, one after the other.
    for (const mode of ['hang', 'stall-body'] as const) {
      peer.state.mode = mode;
      await expectPeerUnavailable(
        await verify(),
        `no answer within ${PEER_TIMEOUT_MS} ms`,
        PEER_TIMEOUT_MS + MARGIN_MS,
      );
    }
    peer.state.mode = 'flood';
    await expectPeerUnavailable(await verify(), 'answer larger than 1048576 bytes', PEER_TIMEOUT_MS);
    peer.state.mode = 'forward';
    await expectPeerUnavailable(await verifyWhileDown(), 'unreachable (connection refused)', MARGIN_MS);

    const answer = await verify();

    expect(VerifyResponseSchema.parse(answer.body).verdict).toBe('valid');
  });

  it('answers unverified, PEER_UNAVAILABLE, at once when the peer is down (port closed)', async () => {
    peer.state.mode = 'forward';

    const answer = await verifyWhileDown();

    await expectPeerUnavailable(answer, 'unreachable (connection refused)', MARGIN_MS);
  });
});

describe('a keep-alive client that sends an oversized body', () => {
  let f: Federation;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    f = await testFederation({ name: 'f413', provinces: ['310000'] });
  });
  afterAll(async () => {
    agent.destroy();
    await f?.stop();
  });

  /**
   * One request over the shared keep-alive agent. Resolves with the answer once it is read; a
   * write error after that (the server closed while the body was still going out) is expected.
   */
  function send(method: 'GET' | 'POST', path: string, body?: { bytes: number; chunked: boolean }) {
    const url = new URL(path, f.province('310000').url);
    return new Promise<{ status: number; connection: string | undefined; text: string }>(
      (resolve, reject) => {
        let answered = false;
        const req = request(
          url,
          {
            method,
            agent,
            headers: {
              'content-type': 'application/json',
              ...(body && !body.chunked ? { 'content-length': String(body.bytes) } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
            });
            res.on('end', () => {
              answered = true;
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text });
            });
          },
        );
        req.on('error', (err) => {
          if (!answered) reject(err);
        });
        if (!body) return void req.end();
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        let left = body.bytes;
        const pump = () => {
          while (left > 0 && !req.destroyed) {
            const piece = chunk.subarray(0, Math.min(chunk.length, left));
            left -= piece.length;
            if (!req.write(piece)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      },
    );
  }

  const codeOf = (text: string) => ErrorBodySchema.parse(JSON.parse(text)).error.code;

  it.each([
    ['with a content-length', false],
    ['chunked, with no content-length', true],
  ])('answers 413 with Connection: close, and its next request succeeds (%s)', async (_, chunked) => {
    // Act
    const refused = await send('POST', '/v1/interop/verify', { bytes: 1024 * 1024, chunked });
    const next = await send('GET', '/.well-known/jwks.json');

    // Assess
    expect(refused.status).toBe(413);
    expect(codeOf(refused.text)).toBe('PAYLOAD_TOO_LARGE');
    expect(refused.connection).toBe('close');
    expect(next.status).toBe(200);
  });

  it('keeps the connection for the next request after an answer that is not a 413', async () => {
    // Act
    const first = await send('GET', '/.well-known/jwks.json');
    const second = await send('GET', '/.well-known/jwks.json');

    // Assess
    expect(first.connection).toBe('keep-alive');
    expect(second.status).toBe(200);
  });
});
