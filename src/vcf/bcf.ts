/**
 * BCF input: a decoder of BCF 2.2 (hts-specs VCFv4.3 §6 "BCF specification")
 * that turns the binary records back into the VCF text lines `bcftools view`
 * prints for them, which the VCF reader (./builder.ts) then parses as it parses
 * any VCF. Going through the text keeps one parser, so a BCF imports to
 * exactly what the equivalent VCF imports to; floats are printed with the
 * shortest decimal that reads back as the same float32, so no bit is lost.
 *
 * Layout (all little-endian): magic `BCF\2\2`, uint32 l_text, the header
 * text (NUL-terminated), then records: uint32 l_shared, uint32 l_indiv,
 * shared = int32 CHROM (index into the contig dictionary), int32 POS
 * (0-based), int32 rlen, float32 QUAL, uint32 n_allele << 16 | n_info,
 * uint32 n_fmt << 24 | n_sample, ID (typed string), n_allele alleles
 * (typed strings), FILTER (typed int vector of string-dictionary indices),
 * n_info × (typed int key, typed value); indiv = n_fmt × (typed int key,
 * typed descriptor, n_sample × count values). A typed descriptor byte holds
 * the type in its low 4 bits (0 none, 1 int8, 2 int16, 3 int32, 5 float32,
 * 7 char) and the count in its high 4 (15: the count follows as a typed int).
 * Missing / end-of-vector sentinels: int8 0x80 / 0x81, int16 0x8000 /
 * 0x8001, int32 0x80000000 / 0x80000001, float32 0x7F800001 / 0x7F800002,
 * char: NUL pads (end of vector), 0x07 missing. GT values are
 * (allele + 1) << 1 | phased, 0 for a missing allele.
 *
 * Dictionaries (VCF 4.3 §6.2.1): strings = `PASS` (index 0) then the IDs of the
 * ##FILTER, ##INFO and ##FORMAT lines in header order, each ID once;
 * contigs = the ##contig lines in order; an `IDX=n` attribute sets an
 * entry's index explicitly (bcftools writes it on every line).
 */
import { BcfFormatError } from './errors.ts';
import { structuredAttributes } from './header.ts';
import type { LineHandler } from './types.ts';

const MAGIC = Buffer.from('BCF', 'latin1');

/** True when `head` (the first decompressed bytes of a file) starts with the BCF magic `BCF`. */
export function looksLikeBcf(head: Buffer): boolean {
  return head.length >= 3 && head.subarray(0, 3).equals(MAGIC);
}

const INT8_MISSING = -128;
const INT8_EOV = -127;
const INT16_MISSING = -32768;
const INT16_EOV = -32767;
const INT32_MISSING = -2147483648;
const INT32_EOV = -2147483647;
const FLOAT_MISSING_BITS = 0x7f800001;
const FLOAT_EOV_BITS = 0x7f800002;

const T_NULL = 0;
const T_INT8 = 1;
const T_INT16 = 2;
const T_INT32 = 3;
const T_FLOAT = 5;
const T_CHAR = 7;
const TYPE_SIZE: Record<number, number> = { [T_NULL]: 0, [T_INT8]: 1, [T_INT16]: 2, [T_INT32]: 4, [T_FLOAT]: 4, [T_CHAR]: 1 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Decimal text of the float32 with bit pattern `bits` that parses back to
 * the same float32: missing → `.`, other NaNs → `nan`, ±inf → `inf`/`-inf`,
 * else the shortest decimal of the exact value (JavaScript's double
 * formatting of the float32's value, e.g. `0.10000000149011612`).
 */
function floatText(bits: number): string {
  if (bits === FLOAT_MISSING_BITS) return '.';
  u32[0] = bits;
  const x = f32[0]!;
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  // Shortest float32 round-trip: try increasing precision (as numpy's repr of float32 does).
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

/**
 * Decodes a BCF byte stream pushed chunk by chunk (decompressed), handing
 * out the header's lines and one VCF line per record, as `bcftools view`
 * prints them (IDX attributes dropped, as bcftools drops them in VCF).
 * Holds one record's bytes at a time (plus a partial chunk).
 */
export class BcfDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Chunks waiting until `wanted` bytes are there (a long record or header is joined once, not chunk by chunk). */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private wanted = 0;
  private headerDone = false;
  /** 1-based number of the last line handed out. */
  line = 0;
  private strings: (string | undefined)[] = [];
  private contigs: (string | undefined)[] = [];
  private flagInfo = new Set<string>();
  private records = 0;

  constructor(
    private readonly file: string,
    private readonly onLine: LineHandler,
  ) {}

  /** Adds decompressed bytes and decodes every record they complete. */
  push(chunk: Buffer): void {
    if (this.wanted > 0) {
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      if (this.waitingBytes < this.wanted) return;
      chunk = Buffer.concat(this.waiting);
      this.waiting = [];
      this.waitingBytes = 0;
      this.wanted = 0;
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (!this.headerDone && !this.header()) return this.wait();
    while (this.record());
    this.wait();
  }

  /** Sets aside the undecoded bytes until the record (or header) they start is complete. */
  private wait(): void {
    const b = this.buf;
    const left = b.length - this.pos;
    let need = 0;
    if (!this.headerDone) need = left >= 9 ? 9 + b.readUInt32LE(5) : 9;
    else need = left >= 8 ? 8 + b.readUInt32LE(this.pos) + b.readUInt32LE(this.pos + 4) : 8;
    if (left === 0 || need <= left) return;
    this.waiting = [b.subarray(this.pos)];
    this.waitingBytes = left;
    this.wanted = need;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
  }

  /** Call at the end of the stream. @throws BcfFormatError when it ends inside the header or a record. */
  end(): void {
    if (!this.headerDone) throw new BcfFormatError(this.file, 0, 'the file ends inside the header');
    const left = this.buf.length - this.pos + this.waitingBytes;
    if (left > 0) throw new BcfFormatError(this.file, this.line + 1, `the file ends inside record ${this.records + 1} (${left} byte(s) left over)`);
  }

  private header(): boolean {
    const b = this.buf;
    if (b.length < 9) return false;
    if (!looksLikeBcf(b) || b[3] !== 2 || (b[4] !== 2 && b[4] !== 1)) {
      throw new BcfFormatError(this.file, 0, `unsupported BCF version ${b[3]}.${b[4]} (magic ${JSON.stringify(b.toString('latin1', 0, 5))}); BCF 2.1 and 2.2 are read`);
    }
    const lText = b.readUInt32LE(5);
    if (b.length < 9 + lText) return false;
    let end = 9 + lText;
    while (end > 9 && (b[end - 1] === 0 || b[end - 1] === 10)) end--;
    const text = b.toString('utf8', 9, end);
    this.pos = 9 + lText;
    this.headerDone = true;
    const lines = text.split('\n');
    // Dictionaries: PASS first, then FILTER/INFO/FORMAT IDs in order; IDX overrides.
    const stringIndex = new Map<string, number>([['PASS', 0]]);
    this.strings = ['PASS'];
    for (const l of lines) {
      const m = /^##(FILTER|INFO|FORMAT|contig)=(<.*)$/.exec(l);
      if (!m) continue;
      const attrs = structuredAttributes(m[2]!);
      const id = attrs.get('ID');
      if (id === undefined) continue;
      const idxText = attrs.get('IDX');
      const idx = idxText !== undefined && /^\d+$/.test(idxText) ? Number(idxText) : undefined;
      if (m[1] === 'contig') {
        this.contigs[idx ?? this.contigs.length] = id;
        continue;
      }
      if (m[1] === 'INFO' && attrs.get('Type') === 'Flag') this.flagInfo.add(id);
      if (stringIndex.has(id)) continue;
      const at = idx ?? this.strings.length;
      stringIndex.set(id, at);
      this.strings[at] = id;
    }
    for (const l of lines) {
      const text = l.replace(/,IDX=\d+>$/, '>');
      const bytes = Buffer.from(text, 'utf8');
      this.onLine(bytes, 0, bytes.length, ++this.line);
    }
    return true;
  }

  private bad(reason: string): never {
    throw new BcfFormatError(this.file, this.line + 1, `record ${this.records + 1}: ${reason}`);
  }

  /** Decodes one record if its bytes are all there. */
  private record(): boolean {
    const b = this.buf;
    const p0 = this.pos;
    if (b.length - p0 < 8) return false;
    const lShared = b.readUInt32LE(p0);
    const lIndiv = b.readUInt32LE(p0 + 4);
    if (lShared < 24) this.bad(`l_shared ${lShared} is below the 24 bytes of the fixed fields`);
    const total = 8 + lShared + lIndiv;
    if (b.length - p0 < total) return false;
    const line = this.decode(b, p0 + 8, p0 + 8 + lShared, p0 + 8 + lShared + lIndiv);
    this.pos = p0 + total;
    const bytes = Buffer.from(line, 'utf8');
    this.records++;
    this.onLine(bytes, 0, bytes.length, ++this.line);
    return true;
  }

  // ---- typed values ------------------------------------------------------

  private p = 0;
  private limit = 0;

  private need(n: number): void {
    if (this.p + n > this.limit) this.bad(`a value runs past the end of its block (${n} byte(s) at offset ${this.p})`);
  }

  /** Reads a typed descriptor: [type, count]. */
  private descriptor(): [number, number] {
    this.need(1);
    const d = this.buf[this.p++]!;
    const type = d & 0xf;
    if (!(type in TYPE_SIZE)) this.bad(`unknown typed-value type ${type}`);
    let count = d >> 4;
    if (count === 15) {
      const [t] = this.descriptor();
      const n = this.intValue(t);
      if (n < 0) this.bad(`negative vector length ${n}`);
      count = n;
    }
    return [type, count];
  }

  /** Reads one integer of `type` (int8/16/32). */
  private intValue(type: number): number {
    const b = this.buf;
    if (type === T_INT8) {
      this.need(1);
      return b.readInt8(this.p++);
    }
    if (type === T_INT16) {
      this.need(2);
      const x = b.readInt16LE(this.p);
      this.p += 2;
      return x;
    }
    if (type === T_INT32) {
      this.need(4);
      const x = b.readInt32LE(this.p);
      this.p += 4;
      return x;
    }
    return this.bad(`expected an integer type, got type ${type}`);
  }

  /** Reads a typed int (descriptor + one value): a dictionary key. */
  private typedInt(): number {
    const [type, count] = this.descriptor();
    if (count !== 1) this.bad(`a key must be one integer, got ${count} value(s) of type ${type}`);
    return this.intValue(type);
  }

  /** Reads a typed string (char vector); `''` for none. */
  private typedString(): string {
    const [type, count] = this.descriptor();
    if (type === T_NULL || count === 0) return '';
    if (type !== T_CHAR) this.bad(`expected a string, got type ${type}`);
    return this.chars(count);
  }

  /** `count` chars: up to the first NUL, 0x07 (missing) as `.`. */
  private chars(count: number): string {
    this.need(count);
    const b = this.buf;
    let e = this.p;
    const end = this.p + count;
    while (e < end && b[e] !== 0) e++;
    let s = b.toString('utf8', this.p, e);
    if (/[\t\n\r]/.test(s)) this.bad(`a string holds a tab or line break, which a VCF line cannot carry (${JSON.stringify(s.slice(0, 40))})`);
    if (s.includes('\x07')) s = s.replace(/\x07/g, '.'); // htslib's bcf_str_missing
    this.p = end;
    return s;
  }

  /**
   * `count` values of `type` as VCF text: comma-separated, missing `.`,
   * stopping at the first end-of-vector; `.` when no value precedes it.
   */
  private values(type: number, count: number): string {
    if (type === T_CHAR) {
      const s = this.chars(count);
      return s;
    }
    if (type === T_NULL || count === 0) return '.';
    const size = TYPE_SIZE[type]!;
    this.need(size * count);
    const b = this.buf;
    const parts: string[] = [];
    let ended = false;
    for (let i = 0; i < count; i++) {
      const at = this.p + i * size;
      if (ended) continue;
      if (type === T_FLOAT) {
        const bits = b.readUInt32LE(at);
        if (bits === FLOAT_EOV_BITS) ended = true;
        else parts.push(floatText(bits));
      } else {
        const x = type === T_INT8 ? b.readInt8(at) : type === T_INT16 ? b.readInt16LE(at) : b.readInt32LE(at);
        const [missing, eov] = type === T_INT8 ? [INT8_MISSING, INT8_EOV] : type === T_INT16 ? [INT16_MISSING, INT16_EOV] : [INT32_MISSING, INT32_EOV];
        if (x === eov) ended = true;
        else parts.push(x === missing ? '.' : String(x));
      }
    }
    this.p += size * count;
    return parts.length === 0 ? '.' : parts.join(',');
  }

  /** One sample's GT: `count` int values (allele + 1) << 1 | phased, as htslib's bcf_format_gt prints them. */
  private genotype(type: number, count: number): string {
    if (type === T_NULL || count === 0) return '.';
    if (type !== T_INT8 && type !== T_INT16 && type !== T_INT32) this.bad(`GT must be integers, got type ${type}`);
    const eov = type === T_INT8 ? INT8_EOV : type === T_INT16 ? INT16_EOV : INT32_EOV;
    let out = '';
    let n = 0;
    let ended = false;
    for (let i = 0; i < count; i++) {
      const x = this.intValue(type);
      if (ended) continue;
      if (x === eov) {
        ended = true;
        continue;
      }
      if (n > 0) out += x & 1 ? '|' : '/';
      out += x >> 1 > 0 ? String((x >> 1) - 1) : '.';
      n++;
    }
    return n === 0 ? '.' : out;
  }

  private dictString(index: number, what: string): string {
    const s = index >= 0 ? this.strings[index] : undefined;
    if (s === undefined) this.bad(`${what} index ${index} is not in the header's dictionary of strings`);
    return s;
  }

  /** Decodes the record whose shared part is [a, m) and indiv part [m, z) into a VCF line. */
  private decode(b: Buffer, a: number, m: number, z: number): string {
    const chromIndex = b.readInt32LE(a);
    const chrom = chromIndex >= 0 ? this.contigs[chromIndex] : undefined;
    if (chrom === undefined) this.bad(`CHROM index ${chromIndex} is not a ##contig of the header`);
    const pos = b.readInt32LE(a + 4) + 1;
    const qual = floatText(b.readUInt32LE(a + 12));
    const nAlleleInfo = b.readUInt32LE(a + 16);
    const nInfo = nAlleleInfo & 0xffff;
    const nAllele = nAlleleInfo >>> 16;
    const nFmtSample = b.readUInt32LE(a + 20);
    const nSample = nFmtSample & 0xffffff;
    const nFmt = nFmtSample >>> 24;
    this.p = a + 24;
    this.limit = m;
    const id = this.typedString() || '.';
    const alleles: string[] = [];
    for (let i = 0; i < nAllele; i++) alleles.push(this.typedString());
    const ref = alleles.length > 0 && alleles[0] !== '' ? alleles[0]! : '.';
    const alt = alleles.length > 1 ? alleles.slice(1).join(',') : '.';
    // FILTER
    const [ft, fn] = this.descriptor();
    let filter = '.';
    if (ft !== T_NULL && fn > 0) {
      const names: string[] = [];
      for (let i = 0; i < fn; i++) names.push(this.dictString(this.intValue(ft), 'FILTER'));
      filter = names.join(';');
    }
    // INFO
    const info: string[] = [];
    for (let i = 0; i < nInfo; i++) {
      const key = this.dictString(this.typedInt(), 'INFO key');
      const [t, n] = this.descriptor();
      if (this.flagInfo.has(key)) {
        this.values(t, n);
        info.push(key);
      } else if (t === T_NULL || n === 0) info.push(key);
      else info.push(`${key}=${this.values(t, n)}`);
    }
    const cols = [chrom, String(pos), id, ref, alt, qual, filter, info.length ? info.join(';') : '.'];
    if (this.p !== m) this.bad(`the shared part has ${m - this.p} byte(s) after the INFO fields`);
    if (nSample === 0) {
      if (nFmt > 0) {
        // FORMAT keys without samples: the VCF line carries the FORMAT column alone.
        this.p = m;
        this.limit = z;
        const keys: string[] = [];
        for (let f = 0; f < nFmt; f++) {
          keys.push(this.dictString(this.typedInt(), 'FORMAT key'));
          this.descriptor();
        }
        cols.push(keys.join(':'));
      }
      return cols.join('\t');
    }
    // FORMAT: the per-sample layout, field by field
    this.p = m;
    this.limit = z;
    const keys: string[] = [];
    const perSample: string[][] = Array.from({ length: nSample }, () => []);
    for (let f = 0; f < nFmt; f++) {
      const key = this.dictString(this.typedInt(), 'FORMAT key');
      keys.push(key);
      const [t, n] = this.descriptor();
      for (let s = 0; s < nSample; s++) {
        if (key === 'GT') perSample[s]!.push(this.genotype(t, n));
        else if (t === T_CHAR) {
          const text = this.chars(n);
          perSample[s]!.push(text);
        } else perSample[s]!.push(this.values(t, n));
      }
    }
    if (this.p !== z) this.bad(`the FORMAT part has ${z - this.p} byte(s) after its ${nFmt} field(s)`);
    cols.push(keys.length ? keys.join(':') : '.');
    for (const s of perSample) cols.push(s.length ? s.join(':') : '.');
    return cols.join('\t');
  }
}
