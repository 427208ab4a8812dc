/** A depot's observable reads as one string, to compare before/after an operation that must not change them. */
import type { Depot } from '../../src/index.ts';

/**
 * Every live sample's record bytes (base64) at the head and at every tag,
 * samples in `skip` left out, and the tags (name, version; and time with
 * `tagTimes`), as JSON.
 */
export function depotFingerprint(d: Depot, skip: readonly string[] = [], options: { readonly tagTimes?: boolean } = {}): string {
  const out: Record<string, unknown> = {};
  for (const at of [undefined, ...d.tags().map((t) => t.name)]) {
    const o = at === undefined ? {} : { at };
    const ids = d.samples(o).filter((s) => !skip.includes(s));
    out[at ?? 'head'] = d.getMany(ids, o).map((v) => [v.sampleId, v.records.map((r) => Buffer.from(r.bytes).toString('base64'))]);
  }
  out.tags = d.tags().map((t) => (options.tagTimes ? [t.name, t.version, t.time] : [t.name, t.version]));
  return JSON.stringify(out);
}
