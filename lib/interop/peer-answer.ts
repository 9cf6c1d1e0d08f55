import type { Readable } from 'node:stream';

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
 * The answer's body, read chunk by chunk from the response stream and cut off as soon as it passes
 * `maxBytes` (a peer streaming without end is not read to its end, and a declared length over the
 * bound is refused before any byte is read), then decoded as strict UTF-8. The stream is destroyed
 * when the answer is refused; a stream that closes before its end is a connection lost.
 */
export function readBounded(
  body: Readable,
  maxBytes: number,
  declaredLength?: string | null,
): Promise<AnswerBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (err: unknown, answer?: AnswerBody) => {
      if (done) return;
      done = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      if (err === undefined && answer) resolve(answer);
      else {
        body.destroy();
        reject(err);
      }
    };
    const tooLarge = () => new AnswerUnreadableError(`answer larger than ${maxBytes} bytes`);
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) settle(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => {
      // One chunk (the usual answer) is taken as it is; several are joined once.
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      let text: string;
      try {
        text = strictUtf8.decode(bytes);
      } catch {
        settle(new AnswerUnreadableError('answer is not valid UTF-8'));
        return;
      }
      settle(undefined, { bytes, text });
    };
    const onClose = () =>
      settle(Object.assign(new Error('the answer ended before its end'), { code: 'ECONNRESET' }));
    // Errors after the answer was settled (a destroyed socket) have nobody to tell.
    body.on('error', (err) => settle(err));
    if (declaredLength != null && Number(declaredLength) > maxBytes) {
      settle(tooLarge());
      return;
    }
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('close', onClose);
  });
}

/** The error code of a failed exchange: on the error itself, or on its `cause` (undici's fetch). */
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
