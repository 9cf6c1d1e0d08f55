/**
 * Route selection as API Gateway's HTTP API does it (routes `METHOD /path`, path variables
 * `{name}` for one segment, a greedy `{proxy+}` last, and `$default` for whatever matches no route),
 * so the local federation sends each request to the function the deployed API would: a route the
 * catalog forgets fails here as it would on AWS. Among routes that match, the most specific wins:
 * no variables before variables, more literal segments before fewer, a greedy variable last.
 */
export interface RouteTarget<T> {
  /** `METHOD /path` or `$default`. */
  route: string;
  target: T;
}

interface ParsedRoute<T> {
  method: string;
  segments: string[];
  greedy: boolean;
  literals: number;
  variables: number;
  target: T;
}

export class RouteTable<T> {
  private readonly routes: ParsedRoute<T>[] = [];
  private readonly fallback: T | undefined;

  constructor(entries: readonly RouteTarget<T>[]) {
    let fallback: T | undefined;
    const seen = new Set<string>();
    for (const { route, target } of entries) {
      if (seen.has(route)) throw new TypeError(`the route ${route} is given twice`);
      seen.add(route);
      if (route === '$default') {
        fallback = target;
        continue;
      }
      this.routes.push(parse(route, target));
    }
    this.fallback = fallback;
    this.routes.sort(
      (a, b) =>
        Number(a.greedy) - Number(b.greedy) ||
        a.variables - b.variables ||
        b.literals - a.literals ||
        b.segments.length - a.segments.length,
    );
  }

  /** The target of the most specific route matching, else that of `$default`, else undefined. */
  select(method: string, path: string): T | undefined {
    const segments = path.split('/').slice(1);
    for (const route of this.routes) {
      if ((route.method === method || route.method === 'ANY') && matches(route, segments))
        return route.target;
    }
    return this.fallback;
  }
}

function parse<T>(route: string, target: T): ParsedRoute<T> {
  const match = /^([A-Z]+) (\/\S*)$/.exec(route);
  if (!match?.[1] || !match[2]) throw new TypeError(`${JSON.stringify(route)} is not METHOD /path`);
  const segments = match[2].split('/').slice(1);
  const greedy = segments.at(-1) === '{proxy+}';
  if (segments.slice(0, -1).some((s) => s.endsWith('+}'))) {
    throw new TypeError(`${route}: a greedy variable may only end the path`);
  }
  const variables = segments.filter((s) => s.startsWith('{')).length;
  return {
    method: match[1],
    segments,
    greedy,
    literals: segments.length - variables,
    variables,
    target,
  };
}

function matches(route: ParsedRoute<unknown>, segments: readonly string[]): boolean {
  const fixed = route.greedy ? route.segments.length - 1 : route.segments.length;
  if (route.greedy ? segments.length <= fixed : segments.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const want = route.segments[i] ?? '';
    const got = segments[i] ?? '';
    if (want.startsWith('{') ? got === '' : want !== got) return false;
  }
  // A greedy variable takes one or more segments, the first of them not empty.
  return !route.greedy || (segments[fixed] ?? '') !== '';
}
