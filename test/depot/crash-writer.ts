/**
 * Child process of the crash test: opens a depot and appends samples
 * S<start>, S<start+1>, ... forever (single puts, and every fifth a putMany
 * of two), printing `ack <i>` after each call returned. The parent kills it
 * with SIGKILL at random moments.
 */
import { Depot } from '../../src/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';

const [path, startArg, nVariants] = process.argv.slice(2);
const vs = syntheticVariantSet({ numVariants: Number(nVariants), seed: 21 });
const d = Depot.open(path!);
for (let i = Number(startArg); ; ) {
  if (i % 5 === 4) {
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
