import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBounded, whyUnavailable } from '../../../lib/interop/peer-answer.ts';

/** An answer's body streaming `chunks` as they are, as node:http gives it. */
function streamed(chunks: Uint8Array[]): Readable {
  return Readable.from(
    chunks.map((c) => Buffer.from(c)),
    { objectMode: false },
  );
}

const read = (body: Readable, max = 1024, declared?: string) => readBounded(body, max, declared);

describe('reading a peer’s answer', () => {
  it('gives the exact bytes and their text, whether they came in one chunk or in many', async () => {
    const bytes = Buffer.from('{"name":"张三","note":"😀"}');
    // Cut inside multibyte characters.
    const pieces = [bytes.subarray(0, 10), bytes.subarray(10, 11), bytes.subarray(11)];

    const one = await read(streamed([new Uint8Array(bytes)]));
    const many = await read(streamed(pieces.map((p) => new Uint8Array(p))));

    for (const answer of [one, many]) {
      expect(Buffer.from(answer.bytes).equals(bytes)).toBe(true);
      expect(answer.text).toBe('{"name":"张三","note":"😀"}');
    }
  });

  it('keeps a leading BOM, so the text encodes back to the bytes', async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);

    const answer = await read(streamed([new Uint8Array(bytes)]));

    expect(answer.text).toBe('\uFEFF{}');
    expect(Buffer.from(answer.text).equals(bytes)).toBe(true);
  });

  it('refuses bytes that are not UTF-8, and reads the next answer as before', async () => {
    const refused = await read(streamed([new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])])).catch(
      (err: unknown) => err,
    );
    const next = await read(streamed([new Uint8Array(Buffer.from('{"ok":"✓"}'))]));

    expect(whyUnavailable(refused, 1000)).toBe('answer is not valid UTF-8');
    expect(next.text).toBe('{"ok":"✓"}');
  });

  it('answers an absent body as empty bytes and empty text', async () => {
    const answer = await read(streamed([]));

    expect(answer.bytes.byteLength).toBe(0);
    expect(answer.text).toBe('');
  });

  it('stops reading past the bound, and destroys the stream', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(600));
      },
    });

    const refused = await read(endless).catch((err: unknown) => err);

    expect(whyUnavailable(refused, 1000)).toBe('answer larger than 1024 bytes');
    expect(endless.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  it('refuses a declared length over the bound before reading any of it', async () => {
    const body = streamed([new Uint8Array(10)]);

    const refused = await read(body, 1024, '2048').catch((err: unknown) => err);

    expect(whyUnavailable(refused, 1000)).toBe('answer larger than 1024 bytes');
    expect(body.destroyed).toBe(true);
  });

  it('tells a body that stops before its end as a connection lost', async () => {
    const cut = new Readable({ read() {} });
    cut.push(Buffer.from('{"status":'));
    setImmediate(() => cut.destroy());

    const refused = await read(cut).catch((err: unknown) => err);

    expect(whyUnavailable(refused, 1000)).toBe('unreachable (connection lost)');
  });
});
