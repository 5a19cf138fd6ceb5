// The `httpApi` events of serverless.yml as routes, matched the way API Gateway HTTP APIs
// match them: exact method (or ANY), literal segments, `{name}` for one segment and
// `{name+}` for the rest of the path; more specific routes win.
import type { FunctionDescription } from '../service-description.js';

/** One route and the function it invokes. */
export interface HttpApiRoute {
  /** `POST /v1/ingest/{source}`, as API Gateway names it in `routeKey`. */
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly functionKey: string;
  readonly functionName: string;
  readonly timeoutSeconds: number;
}

/** A matched route with its path parameters. */
export interface RouteMatch {
  readonly route: HttpApiRoute;
  readonly pathParameters: Record<string, string>;
}

/**
 * The routes of every function's `httpApi` events, most specific first.
 *
 * @example httpApiRoutes(service.functions)[0].routeKey // 'POST /v1/ingest/{source}'
 */
export function httpApiRoutes(functions: readonly FunctionDescription[]): HttpApiRoute[] {
  const routes: HttpApiRoute[] = [];
  for (const fn of functions) {
    for (const event of fn.events) {
      const spec = event['httpApi'];
      if (spec === undefined) continue;
      const { method, path } = typeof spec === 'string' ? parseRouteString(spec) : (spec as { method?: string; path?: string });
      const normalizedMethod = (method ?? '*').toUpperCase() === '*' ? 'ANY' : (method ?? '').toUpperCase();
      const normalizedPath = path ?? '/';
      routes.push({
        routeKey: `${normalizedMethod} ${normalizedPath}`,
        method: normalizedMethod,
        segments: normalizedPath.split('/').filter(Boolean),
        functionKey: fn.key,
        functionName: fn.name,
        // API Gateway stops waiting after 30 s whatever the function's timeout.
        timeoutSeconds: Math.min(fn.timeoutSeconds, 30),
      });
    }
  }
  return routes.sort((a, b) => specificity(b) - specificity(a));
}

/**
 * The route for a request, or undefined (API Gateway answers 404).
 *
 * @example matchRoute(routes, 'POST', '/v1/ingest/acme')?.pathParameters // { source: 'acme' }
 */
export function matchRoute(routes: readonly HttpApiRoute[], method: string, path: string): RouteMatch | undefined {
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const pathParameters = matchSegments(route.segments, parts);
    if (pathParameters) return { route, pathParameters };
  }
  return undefined;
}

function matchSegments(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const greedy = /^\{(.+)\+\}$/.exec(segment);
    if (greedy) {
      if (i >= parts.length) return undefined;
      params[greedy[1]!] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(segment);
    if (param) params[param[1]!] = part;
    else if (segment !== part) return undefined;
  }
  return parts.length === segments.length ? params : undefined;
}

function parseRouteString(spec: string): { method: string; path?: string } {
  if (spec === '*') return { method: '*', path: '/{proxy+}' };
  const [method = '*', path] = spec.trim().split(/\s+/);
  return { method, ...(path ? { path } : {}) };
}

/** Literal segments beat parameters, which beat greedy parameters; a specific method beats ANY. */
function specificity(route: HttpApiRoute): number {
  let score = route.method === 'ANY' ? 0 : 1;
  for (const s of route.segments) score += /^\{.+\+\}$/.test(s) ? 10 : /^\{.+\}$/.test(s) ? 100 : 1000;
  return score;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
