import { z } from 'zod';
import type { Hash } from '../audit/merkle.ts';

/** What LogStore keeps in the log table: the records it reads and writes, and their encoding as items. */

export const StoredCheckpointSchema = z.object({
  treeSize: z.number().int().nonnegative(),
  /** base64 */
  rootHash: z.string(),
  /** The signed note, as the log signed it: its own signature line only. */
  note: z.string(),
  signedAt: z.string(),
  /**
   * The witnesses' cosignature/v1 lines, by witness province (each verified before it was
   * stored, one per witness, never replaced): what the cosigned note appends (cosignedNote).
   */
  cosignatures: z.record(z.string(), z.string()).optional(),
  /** The cosignatures met the quorum of the log's witness policy when they were stored. */
  witnessed: z.boolean().optional(),
});
export type StoredCheckpoint = z.infer<typeof StoredCheckpointSchema>;

/** A witness's cosignature of a checkpoint, to be kept with it. */
export interface WitnessLine {
  /** The witness province. */
  witness: string;
  /** Its cosignature/v1 signature line, final newline included. */
  line: string;
}

/**
 * The cosigned checkpoint: the log's signed note with the witnesses' cosignature lines appended
 * after its own signature line, in the order of the witnesses' province ids (a C2SP signed note
 * with several signatures; the same stored lines always give the same text).
 */
export function cosignedNote(c: Pick<StoredCheckpoint, 'note' | 'cosignatures'>): string {
  const lines = Object.entries(c.cosignatures ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, line]) => line);
  return `${c.note}${lines.join('')}`;
}

/** The witnesses whose cosignatures are kept with a checkpoint, in province id order. */
export function cosignersOf(c: Pick<StoredCheckpoint, 'cosignatures'>): string[] {
  return Object.keys(c.cosignatures ?? {}).sort();
}

/** What the log table keeps per witness: the size of the checkpoint it last cosigned. */
export const WitnessSizeSchema = z.object({
  witness: z.string(),
  treeSize: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type WitnessSize = z.infer<typeof WitnessSizeSchema>;

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
