/**
 * Child process of erasure.test.ts.
 *
 *   purge  DEPOT IDS      prints `ready`, purges the comma-separated IDS, prints `purged` only after purge returned
 *   reader DEPOT EXPECTED loops reading the head (samples, and getMany of all of them compared byte for byte with
 *                         EXPECTED's records); prints `state old|new` at each change, `error ...` on anything else, and,
 *                         60 reads after it saw the new state, `maps clean|dirty` (whether it still maps a deleted
 *                         index file), then exits
 */
import { readFileSync } from 'node:fs';
import { Depot } from '../../src/depot/index.ts';

const [mode, depotPath, arg] = process.argv.slice(2);
const say = (s: string) => process.stdout.write(`${s}\n`);

if (mode === 'purge') {
  const d = Depot.open(depotPath!);
  say('ready');
  d.purge(arg!.split(','));
  say('purged');
  d.close();
} else if (mode === 'reader') {
  const exp = JSON.parse(readFileSync(arg!, 'utf8')) as { old: string[]; new: string[]; records: Record<string, string> };
  const d = Depot.open(depotPath!, { readOnly: true });
  say('ready');
  let state = '';
  let after = -1;
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    try {
      const ids = d.samples();
      const s = JSON.stringify(ids) === JSON.stringify(exp.old) ? 'old' : JSON.stringify(ids) === JSON.stringify(exp.new) ? 'new' : undefined;
      if (!s) say(`error samples ${ids.length}`);
      else if (s !== state) say(`state ${(state = s)}`);
      for (const v of d.getMany(ids)) {
        const got = Buffer.concat(v.records.map((r) => Buffer.from(r.bytes))).toString('base64');
        if (got !== exp.records[v.sampleId]) say(`error record ${v.sampleId}`);
      }
    } catch (err) {
      // the head may move between samples() and getMany(): only an unknown sample, and only across the purge
      if (!(err as { code?: string }).code?.includes('unknown-sample')) say(`error ${(err as Error).message}`);
    }
    if (state === 'new' && ++after >= 60) break;
  }
  const maps = readFileSync('/proc/self/maps', 'utf8');
  say(`maps ${/index\.mdb \(deleted\)/.test(maps) ? 'dirty' : 'clean'}`);
  d.close();
}
