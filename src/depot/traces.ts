/**
 * Looking for traces of sample ids in a depot directory's files, for
 * `vczdepot verify --erased` and the erasure tests (docs/trust.md,
 * "Erasure"). Reads files only: no LMDB env is opened.
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CHUNK_HEADER_SIZE, decodeChunkHeader, decompress } from '../schunk/index.ts';
import { DepotIOError, type Trace } from './errors.ts';
import { fileSize } from './core.ts';

/** Window of a file read at once by {@link findTraces}, bytes. */
const WINDOW = 16 * 1024 * 1024;
/** The chunk header magic as it is on disk ("VZCK"). */
const CHUNK_MAGIC_BYTES = Buffer.from('VZCK', 'latin1');

/** Every regular file under `dir` (not following symbolic links), depth first. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Every offset of `needle` in `hay`. */
function offsetsOf(hay: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** Reads `length` bytes at `position` of `fd` (fewer at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * Every trace of `sampleIds` in the files of the depot directory `root`
 * (`vczdepot verify --erased`): each file under it (the index with its free
 * pages, the lock file, segment files, staging files, copies, anything else)
 * is read byte by byte for each id's UTF-8 bytes — how the index (msgpack
 * strings, lmdb-js keys) and the records (FlatBuffers strings) hold ids — and
 * every chunk found anywhere in a file (a valid "VZCK" chunk header,
 * referenced or not) is decompressed and its bytes are searched too. Reads
 * files only: no LMDB env is opened, nothing is written.
 *
 * @returns the traces, by file then offset; empty when no id is found.
 * @throws DepotIOError when a file cannot be read.
 */
export function findTraces(root: string, sampleIds: readonly string[]): Trace[] {
  const needles = [...new Set(sampleIds)].filter((id) => id.length > 0).map((id) => ({ id, bytes: Buffer.from(id, 'utf8') }));
  const overlap = Math.max(CHUNK_HEADER_SIZE, ...needles.map((n) => n.bytes.length)) - 1;
  const traces: Trace[] = [];
  for (const path of filesUnder(root)) {
    const file = relative(root, path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new DepotIOError(root, `reading ${file}`, { cause: err });
    }
    try {
      const size = fileSize(path);
      const seen = new Set<string>();
      const add = (t: Trace): void => {
        const key = `${t.sampleId}\0${t.offset}\0${t.chunkOffset ?? -1}`;
        if (!seen.has(key)) traces.push(t), seen.add(key);
      };
      for (let pos = 0; pos < size; pos += WINDOW) {
        const buf = readAt(fd, pos, WINDOW + overlap);
        for (const n of needles) for (const o of offsetsOf(buf, n.bytes)) add({ sampleId: n.id, file, offset: pos + o, where: 'raw' });
        for (const o of offsetsOf(buf, CHUNK_MAGIC_BYTES)) {
          if (o >= WINDOW) continue; // the next window sees it
          const at = pos + o;
          let raw: Uint8Array;
          try {
            const h = decodeChunkHeader(readAt(fd, at, CHUNK_HEADER_SIZE), { file: path, offset: at });
            const frame = readAt(fd, at + CHUNK_HEADER_SIZE, h.compressedLength);
            if (frame.length < h.compressedLength) continue;
            raw = decompress(frame, h.rawLength, { file: path, offset: at });
          } catch {
            continue; // not a chunk (bytes that look like a header), or a damaged one: its raw bytes were searched
          }
          const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
          for (const n of needles) for (const k of offsetsOf(b, n.bytes)) add({ sampleId: n.id, file, offset: at, where: 'chunk', chunkOffset: k });
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return traces;
}
