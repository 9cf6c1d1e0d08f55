import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RegistryError } from './errors.ts';
import type { TrustRegistryOptions } from './trust-registry.ts';

/** Reading the registry JWS from its source: a file, a `file:` URL or an http(s) URL. */

const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const MAX_REGISTRY_CHARS = 4 * 1024 * 1024;

/** The registry JWS as the source serves it, unverified. Throws RegistryError when it cannot be read. */
export async function readSource(options: TrustRegistryOptions): Promise<string> {
  const { source } = options;
  if (/^https?:\/\//i.test(source)) return fetchSource(source, options);
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry file ${path} cannot be read (${code})`, {
      cause: err,
    });
  }
}

async function fetchSource(url: string, options: TrustRegistryOptions): Promise<string> {
  // The deadline covers the body too and is held by this call's own timer: an
  // AbortSignal.timeout() can be collected once the headers are in, and a source that then stalls
  // would keep the refresh in flight for good.
  const ms = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  try {
    return await fetchWithin(url, options, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function fetchWithin(url: string, options: TrustRegistryOptions, signal: AbortSignal): Promise<string> {
  const fetchImpl = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { accept: 'application/jwt, text/plain' },
      signal,
    });
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry at ${url} cannot be reached`, {
      cause: err,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new RegistryError(
      'REGISTRY_UNAVAILABLE',
      `the registry at ${url} answered HTTP ${response.status}`,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry at ${url} broke off`, { cause: err });
  }
  if (text.length > MAX_REGISTRY_CHARS) {
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `the registry at ${url} is larger than ${MAX_REGISTRY_CHARS} characters`,
    );
  }
  return text;
}
