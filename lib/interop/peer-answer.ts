/*
 * What the peer client makes of an exchange: the answer's body read within its bounds, or the
 * cause told, for the audit event and the error, when no answer could be read.
 */

/** Why an answer could not be read; the peer's fault, so it counts against its circuit. */
class AnswerUnreadableError extends Error {}

/** The cause of a failed exchange, as the audit event and the error tell it. */
export function whyUnavailable(err: unknown, timeoutMs: number): string {
  if (err instanceof AnswerUnreadableError) return err.message;
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = codeOf(err);
  if (code === 'ECONNREFUSED') return 'unreachable (connection refused)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unreachable (host not found)';
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return 'unreachable (connection lost)';
  return code ? `unreachable (${code})` : 'unreachable';
}

/** An answer's body: the exact bytes received, and the same as text. */
export interface AnswerBody {
  bytes: Uint8Array;
  /** The bytes decoded as strict UTF-8, a leading BOM kept: it encodes back to `bytes`. */
  text: string;
}

// ignoreBOM keeps a leading BOM in the text, so the text encodes back to the exact bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The answer's body, read chunk by chunk and cut off as soon as it passes `maxBytes` (a peer
 * streaming without end is not read to its end), and decoded as strict UTF-8.
 */
export async function readBounded(res: Response, maxBytes: number, signal: AbortSignal): Promise<AnswerBody> {
  const tooLarge = () => new AnswerUnreadableError(`answer larger than ${maxBytes} bytes`);
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return { bytes: new Uint8Array(0), text: '' };
  const reader = res.body.getReader();
  // The deadline cancels the read itself, whatever the fetch implementation does with the signal.
  const stop = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    return await readAll();
  } finally {
    signal.removeEventListener('abort', stop);
  }

  async function readAll(): Promise<AnswerBody> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    if (signal.aborted) throw signal.reason;
    // One chunk (the usual answer) is taken as it is; several are joined once.
    const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
    try {
      return { bytes, text: strictUtf8.decode(bytes) };
    } catch {
      throw new AnswerUnreadableError('answer is not valid UTF-8');
    }
  }
}

/** The error code of a fetch failure: undici puts the socket's on `cause`. */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The innermost error's name and message, short enough for an audit event. */
export function causeOf(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 4; depth++) e = e.cause;
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.slice(0, 200);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
