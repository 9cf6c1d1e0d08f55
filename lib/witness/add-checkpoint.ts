import { CheckpointError, parseCheckpoint, strictBase64 } from '../audit/checkpoint.ts';
import { HASH_BYTES } from '../audit/merkle.ts';

/**
 * The request body of the C2SP tlog-witness `add-checkpoint` call (https://c2sp.org/tlog-witness):
 *
 *     old <old size>\n
 *     <base64 consistency proof hash>\n        (zero to 63 lines)
 *     \n
 *     <signed checkpoint note>
 *
 * The old size is ASCII decimal without leading zeroes (`0` for zero); every line ends in \n.
 */

/** tlog-witness: "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;
/** 2^63 - 1, the largest tree size of a checkpoint. */
const MAX_SIZE = (1n << 63n) - 1n;
const MAX_BODY_CHARS = 128 * 1024;
const OLD_LINE = /^old (0|[1-9][0-9]*)$/;

export interface AddCheckpoint {
  /** The size of the checkpoint the witness last cosigned for this log (0 if none). */
  oldSize: number;
  /** RFC 6962 §2.1.2 consistency proof from oldSize to the checkpoint's size; empty if oldSize is 0. */
  proof: Uint8Array[];
  /** The signed checkpoint note, final newline included. */
  checkpoint: string;
}

/** An add-checkpoint body that is off the format: a witness answers it with 400 Bad Request. */
export class AddCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddCheckpointError';
  }
}

/** The add-checkpoint request body. Throws TypeError for a request this module would refuse to parse. */
export function formatAddCheckpoint({ oldSize, proof, checkpoint }: AddCheckpoint): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new TypeError(`bad old size ${oldSize}`);
  if (proof.length > MAX_PROOF_LINES) throw new TypeError(`more than ${MAX_PROOF_LINES} proof hashes`);
  if (oldSize === 0 && proof.length > 0) throw new TypeError('the proof from old size 0 is empty');
  if (proof.some((h) => h.length !== HASH_BYTES)) throw new TypeError(`a proof hash has ${HASH_BYTES} bytes`);
  const body = `old ${oldSize}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${checkpoint}`;
  parseAddCheckpoint(body);
  return body;
}

/**
 * Reads an add-checkpoint request body, strictly: the `old` line, at most 63 canonical base64
 * SHA-256 proof lines, exactly one empty line, then a signed checkpoint (checked for form, not
 * signature). Refuses an old size above the checkpoint's size, and a proof from old size 0.
 * Throws AddCheckpointError.
 *
 * `oldAboveSize: 'allow'` leaves the comparison of the old size with the checkpoint's to the
 * caller: a witness checks the checkpoint's signature first, so that a log's own signed
 * checkpoint below what it cosigned is seen (and kept as evidence) before that 400.
 */
export function parseAddCheckpoint(
  text: string,
  options: { oldAboveSize?: 'refuse' | 'allow' } = {},
): AddCheckpoint {
  const bad = (why: string) => new AddCheckpointError(`not an add-checkpoint body: ${why}`);
  if (typeof text !== 'string' || text.length === 0) throw bad('empty');
  if (text.length > MAX_BODY_CHARS) throw bad(`longer than ${MAX_BODY_CHARS} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a signed note allows no control character but \n
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw bad('it contains a control character');

  const oldEnd = text.indexOf('\n');
  if (oldEnd < 0) throw bad('the old size line does not end with a newline');
  const old = OLD_LINE.exec(text.slice(0, oldEnd));
  if (!old?.[1]) throw bad('the first line is not "old <size>" in decimal without leading zeroes');
  const big = BigInt(old[1]);
  if (big > MAX_SIZE) throw bad('the old size exceeds 2^63 - 1');
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('the old size exceeds 2^53 - 1');
  const oldSize = Number(big);

  const proof: Uint8Array[] = [];
  let at = oldEnd + 1;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end < 0) throw bad('no empty line before the checkpoint');
    const line = text.slice(at, end);
    at = end + 1;
    if (line.length === 0) break;
    if (proof.length === MAX_PROOF_LINES) throw bad(`more than ${MAX_PROOF_LINES} consistency proof lines`);
    const hash = strictBase64(line);
    if (!hash || hash.length !== HASH_BYTES) throw bad(`a proof line is not a base64 SHA-256 hash: ${line}`);
    proof.push(hash);
  }
  if (oldSize === 0 && proof.length > 0) throw bad('a consistency proof from old size 0');

  const checkpoint = text.slice(at);
  if (checkpoint.startsWith('\n')) throw bad('more than one empty line before the checkpoint');
  let treeSize: number;
  try {
    treeSize = parseCheckpoint(checkpoint).treeSize;
  } catch (err) {
    if (err instanceof CheckpointError) throw bad(err.message);
    throw err;
  }
  if (options.oldAboveSize !== 'allow' && oldSize > treeSize)
    throw bad(`old size ${oldSize} is above the checkpoint size ${treeSize}`);
  return { oldSize, proof, checkpoint };
}
