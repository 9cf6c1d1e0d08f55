import { z } from 'zod';
import type { Hash } from '../audit/merkle.ts';

/** What LogStore keeps in the log table: the records it reads and writes, and their encoding as items. */

export const StoredCheckpointSchema = z.object({
  treeSize: z.number().int().nonnegative(),
  /** base64 */
  rootHash: z.string(),
  /** The signed note. */
  note: z.string(),
  signedAt: z.string(),
});
export type StoredCheckpoint = z.infer<typeof StoredCheckpointSchema>;

export const BatchIntentSchema = z.object({
  start: z.number().int().nonnegative(),
  /** In leaf order: event i of the list becomes leaf start + i. */
  eventIds: z.array(z.string()).min(1),
  createdAt: z.string(),
});
export type BatchIntent = z.infer<typeof BatchIntentSchema>;

export interface StoredLeaf {
  index: number;
  eventId: string;
  hash: Hash;
}

/** Leaf and node items as LogStore reads them back; hashes are stored in base64. */
export const HashItemSchema = z.object({ pk: z.string(), sk: z.string(), hash: z.string() });
export const LeafItemSchema = z.object({ index: z.number().int(), eventId: z.string(), hash: z.string() });
export const NodeItemSchema = z.object({ index: z.number().int(), hash: z.string() });

/** A number in a sort key: zero-padded to 16 digits so that it sorts as a number. */
export function pad(n: number): string {
  return String(n).padStart(16, '0');
}

export function toBase64(h: Hash): string {
  return Buffer.from(h).toString('base64');
}

export function fromBase64(text: string): Hash {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
