import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, errors } from '../operations.ts';

/** The files of the reference page under `/docs/`. */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js'] as const;

/** The files of the holder page under `/holder/` (lib/holder/page). */
export const HOLDER_PAGE_FILES = ['app.js', 'verify.js', 'style.css'] as const;

/** Public routes (tag `discovery`): keys, health, this document, its reference page and the holder page. */
export function discoveryPaths() {
  return {
    '/.well-known/jwks.json': {
      get: {
        tags: ['discovery'],
        operationId: 'getJwks',
        summary: 'Public keys, each with its purpose',
        description:
          'The current credential, gateway and audit keys, and earlier generations still needed to ' +
          'verify what they signed. Cacheable for 5 minutes.',
        responses: {
          '200': answer('JWKS', 'none', json('Jwks', ex.JWKS)),
          ...errors('none', []),
        },
      },
    },
    '/healthz': {
      get: {
        tags: ['discovery'],
        operationId: 'getHealth',
        summary: 'Liveness and dependency status',
        responses: {
          '200': answer('storage answers and a trust registry is loaded', 'none', json('Health', ex.HEALTH)),
          '503': answer(
            'a dependency is down',
            'none',
            json('Health', {
              ...ex.HEALTH,
              status: 'degraded',
              dependencies: { ...ex.HEALTH.dependencies, storage: 'down' },
            }),
          ),
          ...errors('none', []),
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['discovery'],
        operationId: 'getOpenApi',
        summary: 'This document',
        responses: {
          '200': answer('OpenAPI 3.1 document', 'none', {
            'application/json': {
              schema: { type: 'object' },
              example: { openapi: '3.1.0', info: { title: 'E-license interoperability gateway 310000' } },
            },
          }),
          ...errors('none', []),
        },
      },
    },
    '/docs': {
      get: {
        tags: ['discovery'],
        operationId: 'getDocs',
        summary: 'This document as an interactive reference page',
        description:
          'Swagger UI, served with all its files from the gateway itself: the page loads nothing ' +
          'from anywhere else (its Content-Security-Policy says so too).',
        responses: {
          '200': answer('the page', 'none', {
            'text/html; charset=utf-8': {
              schema: { type: 'string' },
              example: '<!doctype html><html lang="zh-CN"><head><title>API reference</title>…',
            },
          }),
          ...errors('none', []),
        },
      },
    },
    '/docs/{asset}': {
      get: {
        tags: ['discovery'],
        operationId: 'getDocsAsset',
        summary: 'A file of the reference page',
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: [...DOCS_ASSETS] },
            example: 'swagger-ui.css',
          },
        ],
        responses: {
          '200': answer('the file; gzip-encoded when the client accepts it', 'none', {
            'text/javascript; charset=utf-8': {
              schema: { type: 'string' },
              example: 'window.ui = SwaggerUIBundle({…});',
            },
            'text/css; charset=utf-8': { schema: { type: 'string' }, example: '.swagger-ui{…}' },
          }),
          ...errors('none', [404]),
        },
      },
    },
    '/holder': {
      get: {
        tags: ['discovery'],
        operationId: 'getHolderPage',
        summary: 'The holder page: a license holder sees every use of their licenses (知情权)',
        description:
          'A page for citizens and company representatives, in Chinese. With the bearer token of ' +
          'their home platform (typed in, or passed in the URL fragment `#token=`, which the page ' +
          'removes from the address bar) it calls `GET /v1/holder/licenses` and `GET /v1/holder/uses` ' +
          "on this gateway, and checks each use's inclusion proof and checkpoint itself with WebCrypto. " +
          'All its files come from the gateway; its Content-Security-Policy allows nothing else.',
        responses: {
          '200': answer('the page', 'none', {
            'text/html; charset=utf-8': {
              schema: { type: 'string' },
              example: '<!doctype html><html lang="zh-CN"><head><title>我的证照使用记录</title>…',
            },
          }),
          ...errors('none', []),
        },
      },
    },
    '/holder/{file}': {
      get: {
        tags: ['discovery'],
        operationId: 'getHolderPageFile',
        summary: 'A file of the holder page',
        parameters: [
          {
            name: 'file',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: [...HOLDER_PAGE_FILES] },
            example: 'verify.js',
          },
        ],
        responses: {
          '200': answer('the file', 'none', {
            'text/javascript; charset=utf-8': {
              schema: { type: 'string' },
              example: "import { verifyUseProof } from './verify.js';…",
            },
            'text/css; charset=utf-8': { schema: { type: 'string' }, example: 'html{font-size:18px}…' },
          }),
          ...errors('none', [404]),
        },
      },
    },
  };
}
