/**
 * Child process of the crash test: opens a depot and appends samples
 * S<start>, S<start+1>, ... forever: single puts; every fifth a putMany of
 * two; every seventh a putBlocks of three in a transaction that spills every
 * chunk to staging files (renamed into segment files at the commit). Prints
 * `ack <i>` after each call returned. The parent kills it with SIGKILL at
 * random moments.
 */
import { Depot, blockRange, sliceCalls } from '../../src/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';

const [path, startArg, nVariants] = process.argv.slice(2);
const vs = syntheticVariantSet({ numVariants: Number(nVariants), seed: 21 });
const d = Depot.open(path!);

for (let i = Number(startArg); ; ) {
  if (i % 7 === 6) {
    const ids = [i, i + 1, i + 2];
    const calls = ids.map((k) => syntheticCalls(vs, { seed: k }));
    const txn = d.begin({ spillBytes: 0 });
    const w = txn.putBlocks(ids.map((k) => `S${k}`));
    for (let b = 0; b * d.meta.blockSize < vs.numVariants; b++) {
      const [s, e] = blockRange(vs.numVariants, d.meta.blockSize, b);
      w.add((j) => sliceCalls(calls[j]!, s, e));
    }
    txn.commit();
    process.stdout.write(ids.map((k) => `ack ${k}\n`).join(''));
    i += 3;
  } else if (i % 5 === 4) {
    d.putMany([
      { sampleId: `S${i}`, calls: syntheticCalls(vs, { seed: i }) },
      { sampleId: `S${i + 1}`, calls: syntheticCalls(vs, { seed: i + 1 }) },
    ]);
    process.stdout.write(`ack ${i}\nack ${i + 1}\n`);
    i += 2;
  } else {
    d.put(`S${i}`, syntheticCalls(vs, { seed: i }));
    process.stdout.write(`ack ${i}\n`);
    i += 1;
  }
}
