/**
 * Packing variable-length records into chunks before compression.
 */

import { RECORD_ALIGNMENT } from './format.ts';

/** Where one record sits inside a packed chunk. */
export interface PackedItem {
  /** 0-based index of the record in the `records` argument of {@link packRecords}. */
  readonly index: number;
  /** Byte offset of the record inside `raw`; always a multiple of 8. */
  readonly offset: number;
  /** Record length, bytes. */
  readonly length: number;
}

/** One chunk's decompressed bytes and the records laid out in it. */
export interface Packed {
  /** Records at 8-byte aligned offsets, zero padding between them; ends with the last record's last byte. */
  readonly raw: Uint8Array<ArrayBuffer>;
  /** Records in input order. */
  readonly items: PackedItem[];
}

/** Default target size of a decompressed chunk, bytes (4 MiB). */
export const DEFAULT_CHUNK_TARGET_BYTES = 4 * 1024 * 1024;

const align = (n: number): number => (n + (RECORD_ALIGNMENT - 1)) & ~(RECORD_ALIGNMENT - 1);

/**
 * Lays `records` out, in order, into chunks of about `targetBytes`: each
 * record starts at a multiple of 8 bytes (zero padding in between), and a new
 * chunk starts when the next record would end past `targetBytes`. A record
 * larger than the target gets a chunk of its own. Copies each record once.
 *
 * @param records - record bytes; each at most 1 GiB (the chunk limit)
 * @param targetBytes - target decompressed chunk size, bytes (default 4 MiB)
 * @returns chunks in order; empty when `records` is empty
 * @throws RangeError when `targetBytes` is not a positive integer
 */
export function packRecords(records: readonly Uint8Array[], targetBytes: number = DEFAULT_CHUNK_TARGET_BYTES): Packed[] {
  return [...packRecordsIncrementally(records, targetBytes)];
}

/**
 * {@link packRecords}, one chunk at a time: each chunk is built when the
 * consumer asks for it, so a caller that compresses it and drops the raw
 * bytes (and the records it holds) before asking for the next keeps about
 * one chunk of packed bytes alive instead of all of them.
 *
 * @throws RangeError when `targetBytes` is not a positive integer (on the first `next()`)
 */
export function* packRecordsIncrementally(records: readonly Uint8Array[], targetBytes: number = DEFAULT_CHUNK_TARGET_BYTES): Generator<Packed, void, void> {
  if (!Number.isSafeInteger(targetBytes) || targetBytes <= 0) {
    throw new RangeError(`targetBytes must be a positive integer, got ${targetBytes}`);
  }
  let items: PackedItem[] = [];
  let used = 0; // bytes used in the current chunk (end of its last record)
  const build = (): Packed => {
    const raw = new Uint8Array(used);
    for (const it of items) raw.set(records[it.index]!, it.offset);
    const packed = { raw, items };
    items = [];
    used = 0;
    return packed;
  };
  for (let index = 0; index < records.length; index++) {
    const length = records[index]!.length;
    let offset = align(used);
    if (items.length > 0 && offset + length > targetBytes) {
      yield build();
      offset = 0;
    }
    items.push({ index, offset, length });
    used = offset + length;
  }
  if (items.length > 0) yield build();
}
