import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../../lib/http/route-table.ts';

describe('route selection as the HTTP API does it', () => {
  const table = new RouteTable([
    { route: 'GET /v1/licenses/{proxy+}', target: 'greedy' },
    { route: 'POST /v1/licenses', target: 'exact' },
    { route: 'GET /v1/items/{id}', target: 'variable' },
    { route: 'GET /v1/items/new', target: 'literal' },
    { route: 'ANY /v1/any', target: 'any' },
    { route: '$default', target: 'default' },
  ]);

  it.each([
    ['POST', '/v1/licenses', 'exact'],
    ['GET', '/v1/licenses/a', 'greedy'],
    ['GET', '/v1/licenses/a/b/c', 'greedy'],
    ['GET', '/v1/items/new', 'literal'],
    ['GET', '/v1/items/42', 'variable'],
    ['DELETE', '/v1/any', 'any'],
    // What no route matches goes to $default: the method, a missing greedy segment, a longer path.
    ['GET', '/v1/licenses', 'default'],
    ['GET', '/v1/licenses/', 'default'],
    ['DELETE', '/v1/licenses', 'default'],
    ['GET', '/v1/items/42/more', 'default'],
    ['GET', '/v1/items/', 'default'],
    ['GET', '/', 'default'],
  ])('%s %s goes to %s', (method, path, target) => {
    expect(table.select(method, path)).toBe(target);
  });

  it('answers nothing without $default, and refuses a route given twice or a greedy variable mid-path', () => {
    expect(new RouteTable([{ route: 'GET /a', target: 1 }]).select('GET', '/b')).toBeUndefined();
    expect(
      () =>
        new RouteTable([
          { route: 'GET /a', target: 1 },
          { route: 'GET /a', target: 2 },
        ]),
    ).toThrow(/twice/);
    expect(() => new RouteTable([{ route: 'GET /{proxy+}/a', target: 1 }])).toThrow(/greedy/);
    expect(() => new RouteTable([{ route: 'get /a', target: 1 }])).toThrow(/METHOD \/path/);
  });
});
