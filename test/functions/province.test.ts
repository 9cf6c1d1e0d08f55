import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { provinceApp } from '../../functions/province.ts';
import { RouteTable } from '../../lib/http/route-table.ts';
import { testGateway } from '../support/gateway.ts';

/**
 * The catalog's routes are what the HTTP API (and the local federation) sends to each function:
 * every route a function's app serves must reach that function, or on AWS it would reach another
 * function, or discovery's 404.
 */
describe("a province's functions behind the catalog's routes", () => {
  it('sends every route each function serves to that function', async () => {
    const t = await testGateway();
    const app = provinceApp(t.gateway);
    const table = new RouteTable(
      FUNCTIONS.flatMap((f) => f.routes.map((route) => ({ route, target: f.name }))),
    );
    const served = app.routes.filter((r) => r.method !== 'ALL');
    expect(new Set(served.map((r) => r.function))).toEqual(
      new Set(FUNCTIONS.filter((f) => f.routes.length > 0).map((f) => f.name)),
    );
    const misrouted = served
      .map((r) => ({ ...r, sample: r.path.replace(/:[A-Za-z0-9_]+/g, 'x1').replace(/\*$/, 'x1') }))
      .filter((r) => table.select(r.method, r.sample) !== r.function)
      .map((r) => `${r.method} ${r.path} (${r.function}) goes to ${table.select(r.method, r.sample)}`);
    expect(misrouted).toEqual([]);
  });

  it('answers a path no function serves with discovery’s 404 and the one error shape', async () => {
    const t = await testGateway();
    const res = await provinceApp(t.gateway).request('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
