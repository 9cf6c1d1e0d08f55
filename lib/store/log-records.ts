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

/** Tile and event-bundle items as LogStore reads them back (lib/store/log-store.ts). */
export const TileItemSchema = z.object({
  height: z.number().int().positive(),
  level: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  hashes: z.instanceof(Uint8Array),
});
export const BundleItemSchema = z.object({
  height: z.number().int().positive(),
  index: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  eventIds: z.array(z.string().min(1)),
});

/** A number in a sort key: zero-padded to 16 digits so that it sorts as a number. */
export function pad(n: number): string {
  return String(n).padStart(16, '0');
}
