/**
 * Reading a file as lines: plain text, gzip or BGZF (node:zlib's gunzip
 * handles BGZF's many members), or BCF (told by the `BCF` magic of the
 * decompressed bytes, whatever the file's name, and decoded by ./bcf.ts
 * into the VCF lines `bcftools view` prints).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BcfDecoder, looksLikeBcf } from './bcf.ts';
import { VcfTruncatedError } from './errors.ts';
import type { LineHandler } from './types.ts';

/** The BGZF end-of-file block (SAM/BAM spec §4.1.2): an empty BGZF member. */
const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

/**
 * Streams the lines of `path` (decompressing gzip; a BCF's records as VCF
 * lines) to `onLine` as byte ranges (without the `\n` or a trailing `\r`),
 * with 1-based line numbers.
 *
 * @throws VcfTruncatedError when the gzip stream is cut short or corrupt,
 *   or a BGZF file lacks its end-of-file block; BcfFormatError (./bcf.ts);
 *   the reason of `signal` once it is aborted; whatever `onLine` and
 *   `afterChunk` (awaited after the lines of each decompressed chunk) throw.
 */
export async function forEachLine(
  path: string,
  onLine: LineHandler,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
  signal?: AbortSignal,
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const handle = await fsp.open(path, 'r');
  let gzip = false;
  let bgzfMissingEof = false;
  let totalBytes = 0;
  try {
    const { size } = await handle.stat();
    totalBytes = size;
    const head = Buffer.alloc(18);
    const { bytesRead } = await handle.read(head, 0, 18, 0);
    gzip = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const bgzf =
      gzip && bytesRead >= 16 && (head[3]! & 4) !== 0 && head[12] === 0x42 && head[13] === 0x43;
    if (bgzf) {
      const tail = Buffer.alloc(BGZF_EOF.length);
      if (size >= tail.length) await handle.read(tail, 0, tail.length, size - tail.length);
      bgzfMissingEof = size < tail.length || !tail.equals(BGZF_EOF);
    }
  } finally {
    await handle.close();
  }

  // 4 MiB reads and 4 MiB decompressed chunks: node:zlib runs each chunk on libuv's pool but starts the next from
  // this thread's event loop, so a chunk must cover a block's worth of text for gunzip to run beside the parsing
  // and encoding rather than between them (docs/scale.md, "Import on every core": 16.2 -> 14.6 s on one thread).
  const src = createReadStream(path, { highWaterMark: 1 << 22 });
  const input: NodeJS.ReadableStream = gzip ? pipeline(src, createGunzip({ chunkSize: 1 << 22 }), () => {}) : src;
  let line = 0;
  let carry: Buffer[] = [];
  const emit = (buf: Buffer, start: number, end: number): void => {
    line++;
    if (end > start && buf[end - 1] === 13) end--;
    onLine(buf, start, end, line);
  };
  // The first decompressed bytes tell BCF (`BCF\2\2`, plain or BGZF) from VCF text.
  let head: Buffer | undefined = Buffer.alloc(0);
  let bcf: BcfDecoder | undefined;
  try {
    for await (let chunk of input as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      onProgress?.(src.bytesRead, totalBytes);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 3) continue;
        chunk = head;
        head = undefined;
        if (looksLikeBcf(chunk)) bcf = new BcfDecoder(path, onLine);
      }
      if (bcf) {
        bcf.push(chunk);
        if (afterChunk) await afterChunk();
        continue;
      }
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (pos < chunk.length) carry.push(chunk.subarray(pos));
          break;
        }
        if (carry.length > 0) {
          carry.push(chunk.subarray(pos, nl));
          const joined = Buffer.concat(carry);
          carry = [];
          emit(joined, 0, joined.length);
        } else {
          emit(chunk, pos, nl);
        }
        pos = nl + 1;
      }
      if (afterChunk) await afterChunk();
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new VcfTruncatedError(path, bcf ? bcf.line : line, (err as Error).message, { cause: err });
    }
    throw err;
  }
  if (bcf) {
    bcf.end();
    if (bgzfMissingEof) throw new VcfTruncatedError(path, bcf.line, 'the BGZF end-of-file block is missing');
    return;
  }
  if (head !== undefined && head.length > 0) {
    // A file of fewer than 3 bytes: split it here.
    let pos = 0;
    for (let nl = head.indexOf(10); nl >= 0; nl = head.indexOf(10, pos)) {
      emit(head, pos, nl);
      pos = nl + 1;
    }
    if (pos < head.length) carry.push(head.subarray(pos));
  }
  if (carry.length > 0) {
    const joined = Buffer.concat(carry);
    emit(joined, 0, joined.length);
  }
  if (bgzfMissingEof) {
    throw new VcfTruncatedError(path, line, 'the BGZF end-of-file block is missing');
  }
}
