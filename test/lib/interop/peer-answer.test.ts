import { describe, expect, it } from 'vitest';
import { readBounded, whyUnavailable } from '../../../lib/interop/peer-answer.ts';

/** A response streaming `chunks` as they are, without a content-length. */
function streamed(chunks: Uint8Array[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Response(body);
}

const read = (res: Response, max = 1024) => readBounded(res, max, new AbortController().signal);

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
    const answer = await read(new Response(null, { status: 204 }));

    expect(answer.bytes.byteLength).toBe(0);
    expect(answer.text).toBe('');
  });

  it('stops reading past the bound', async () => {
    const refused = await read(streamed([new Uint8Array(600), new Uint8Array(600)])).catch(
      (err: unknown) => err,
    );

    expect(whyUnavailable(refused, 1000)).toBe('answer larger than 1024 bytes');
  });
});
