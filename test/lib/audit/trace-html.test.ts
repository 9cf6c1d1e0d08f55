import { describe, expect, it } from 'vitest';
import type { AuditedEvent } from '../../../contracts/audit-api.ts';
import { callClass } from '../../../lib/audit/trace-calls.ts';
import { traceHtml } from '../../../lib/audit/trace-html.ts';
import type { TraceReport } from '../../../lib/audit/trace-report.ts';

const TRACE = 'cd'.repeat(16);

function event(n: number, fields: Partial<AuditedEvent>): AuditedEvent {
  return {
    eventId: `01M8RJR5WFDNTM73ESYRMG${String(n).padStart(4, '0')}`,
    province: '330000',
    time: `2026-06-01T08:00:00.${String(n * 100).padStart(3, '0')}Z`,
    traceId: TRACE,
    action: 'verify',
    outcome: 'success',
    actor: { sub: 'officer-wang@330000', roles: ['platform'] },
    details: {},
    ...fields,
  };
}

/** Zhejiang verified a Shanghai license while Shanghai could not be reached. */
function unreachableReport(): TraceReport {
  const verify = event(1, {
    peer: '310000',
    identifier: '1.2.156.3005.2.<script>',
    details: {
      verdict: 'unverified',
      reasons: 'PEER_UNAVAILABLE',
      matterCode: 'DEMO0001',
      useCause: '<b>窗口</b>',
      officerRef: 'ofr_secret',
    },
  });
  const outbound = event(2, {
    action: 'interop.outbound',
    outcome: 'error',
    peer: '310000',
    details: { jti: 'j1', error: 'unreachable (connection refused)' },
  });
  return {
    traceId: TRACE,
    generatedAt: '2026-06-01T08:05:00.000Z',
    registry: { seq: 42, issuedAt: '2026-06-01T00:00:00.000Z' },
    found: true,
    provinces: [
      {
        id: '330000',
        name: '浙江省',
        reachable: true,
        events: 2,
        checkpoint: { treeSize: 9, root: `${'R'.repeat(43)}=`, verified: true },
      },
      { id: '310000', name: '上海市', reachable: false, events: 0 },
    ],
    timeline: [
      { province: '330000', event: verify, proof: 'verified', leafIndex: 7 },
      { province: '330000', event: outbound, proof: 'verified', leafIndex: 8 },
    ],
    calls: [
      {
        from: '330000',
        to: '310000',
        jti: 'j1',
        outbound: outbound.eventId,
        class: 'error',
        error: 'unreachable (connection refused)',
      },
    ],
    verdicts: [
      {
        province: '330000',
        eventId: verify.eventId,
        verdict: 'unverified',
        reasons: ['PEER_UNAVAILABLE'],
        proof: 'verified',
      },
    ],
    gaps: [
      { kind: 'PROVINCE_UNREACHABLE', province: '310000', message: 'events could not be read: fetch failed' },
    ],
    ok: false,
  };
}

describe('the trace page', () => {
  it('classes answers: 2xx success, 4xx refused, 5xx and no answer an error', () => {
    expect([200, 204, 403, 404, 500, 503, undefined].map(callClass)).toEqual([
      'success',
      'success',
      'refused',
      'refused',
      'error',
      'error',
      'error',
    ]);
  });

  it('draws a call that got no answer as an error, to the lane of the unreachable province', () => {
    const html = traceHtml(unreachableReport());
    expect(html).toMatch(
      /<g class="call error one-sided" data-from="330000" data-to="310000" data-status="">.*marker-end="url\(#arrow-error\)".*no answer · ✗ no inbound event/,
    );
    expect(html).toContain('class="lane-bg down"');
    expect(html).toContain('unreachable (connection refused)');
    expect(html).toContain('seq 42');
  });

  it('names no officer and escapes what the events say', () => {
    const html = traceHtml(unreachableReport());
    expect(html).not.toContain('officer-wang');
    expect(html).not.toContain('ofr_secret');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>窗口</b>');
    expect(html).toContain('&lt;b&gt;窗口&lt;/b&gt;');
  });
});
