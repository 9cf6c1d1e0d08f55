import { createHash, createHmac } from 'node:crypto';

export interface SigV4Request {
  method: string;
  url: string;
  /** Headers to send and sign; `host` and `x-amz-date` are added. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  service: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  now?: Date;
}

/**
 * AWS Signature Version 4 (header form), for the few LocalStack APIs the suite calls without an
 * SDK client of the project (CloudFormation DescribeStacks, S3 puts). Returns the headers to send:
 * the given ones, `host`, `x-amz-date`, `x-amz-content-sha256` for S3, and `authorization`.
 */
export function signV4(request: SigV4Request): Record<string, string> {
  const url = new URL(request.url);
  const now = request.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const body = request.body ?? '';
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    host: url.host,
    'x-amz-date': amzDate,
    ...(request.service === 's3' ? { 'x-amz-content-sha256': payloadHash } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  // S3 encodes each path segment once, every other service twice.
  const times = request.service === 's3' ? 1 : 2;
  const path = url.pathname
    .split('/')
    .map((segment) => {
      let s = decodeURIComponent(segment);
      for (let i = 0; i < times; i++) s = uriEncode(s);
      return s;
    })
    .join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    path || '/',
    query,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${request.secretAccessKey}`, day);
  for (const part of [request.region, request.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${request.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants it. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
