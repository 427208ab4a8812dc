/**
 * `npm run soak`: the long version of test/trust. Runs the crash campaign
 * (test/trust/campaign.ts) for N kills, then the concurrency phase (reader
 * processes + one writer, then two writers), and prints a summary. Exit
 * code 0 only when nothing was lost, nothing partial was seen, verify never
 * found an error and no reader failed.
 *
 *   npm run soak                      # 2000 kills, 30 s of readers + writer, 15 s of two writers
 *   npm run soak -- --kills 300 --seconds 30 --readers 4 --seed 1 --kills-per-depot 50 --json
 *
 * Scratch files go to /dev/shm when available (VCZDEPOT_TRUST_DIR overrides;
 * a SIGKILL does not depend on the file system: the page cache survives it).
 */
import { runCampaign } from '../test/trust/campaign.ts';
import { runReadersAndWriter, runTwoWriters } from '../test/trust/concurrency.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`--${name} needs a number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const kills = arg('kills', 2000);
const seconds = arg('seconds', 30);
const readers = arg('readers', 4);
const seed = arg('seed', Date.now() % 1_000_000);
const killsPerDepot = arg('kills-per-depot', 25);
const json = process.argv.includes('--json');
const log = (s: string) => process.stderr.write(s + '\n');

log(`soak: ${kills} kills (seed ${seed}, ${killsPerDepot} kills per depot), then ${seconds} s of ${readers} readers + 1 writer and ${Math.max(10, seconds / 2)} s of 2 writers`);
const campaign = await runCampaign({
  kills,
  seed,
  killsPerDepot,
  maxFailures: 50,
  onKill: (s) => {
    if (s.kills % 50 === 0 || s.failures.length) {
      log(`  ${s.kills} kills, ${s.seconds.toFixed(0)} s: ${s.operationsDone} operations, ${s.exportsCompared} exports compared, ${s.failures.length} failures`);
    }
  },
});
log(`concurrency: ${readers} readers + 1 writer for ${seconds} s`);
const readersRun = await runReadersAndWriter({ ms: seconds * 1000, readers, seed });
const writersSeconds = Math.max(10, seconds / 2);
log(`concurrency: 2 writers for ${writersSeconds} s`);
const writersRun = await runTwoWriters({ ms: writersSeconds * 1000, seed });

const summary = {
  seed,
  killsSurvived: campaign.failures.length === 0 ? campaign.kills : campaign.kills - campaign.failures.length,
  kills: campaign.kills,
  depots: campaign.depots,
  operationsDone: campaign.operationsDone,
  expectedErrors: campaign.expectedErrors,
  inFlightAtKill: campaign.inFlight,
  inFlightApplied: campaign.inFlightApplied,
  inFlightAbsent: campaign.inFlightAbsent,
  verifyErrors: campaign.verifyErrors,
  lostOperations: campaign.lostOperations,
  partialOperations: campaign.partialOperations,
  recordsChecked: campaign.recordsChecked,
  exportsCompared: campaign.exportsCompared,
  referenceExports: campaign.referenceExports,
  verifyWarnings: campaign.warnings,
  campaignSeconds: Math.round(campaign.seconds),
  campaignFailures: campaign.failures,
  concurrency: {
    seconds: Math.round(readersRun.seconds),
    readers: readersRun.readers,
    versionsWritten: readersRun.versionsWritten,
    operations: readersRun.operations,
    snapshotsChecked: readersRun.snapshots,
    recordsChecked: readersRun.records,
    readerErrors: readersRun.errors,
    twoWriters: { seconds: Math.round(writersRun.seconds), done: writersRun.done, versions: writersRun.versions, errors: writersRun.errors },
  },
};
const ok =
  campaign.failures.length === 0 &&
  campaign.verifyErrors === 0 &&
  campaign.lostOperations === 0 &&
  campaign.partialOperations === 0 &&
  readersRun.errors.length === 0 &&
  writersRun.errors.length === 0;

if (json) console.log(JSON.stringify({ ok, ...summary }, null, 2));
else {
  console.log(
    [
      `soak ${ok ? 'PASSED' : 'FAILED'} (seed ${seed})`,
      `  kills survived        ${summary.killsSurvived} of ${campaign.kills} (${campaign.depots} depots, ${summary.campaignSeconds} s)`,
      `  operations done       ${campaign.operationsDone} (${campaign.expectedErrors} failed with the expected typed error)`,
      `  in flight at a kill   ${campaign.inFlightApplied + campaign.inFlightAbsent}: ${campaign.inFlightApplied} fully applied, ${campaign.inFlightAbsent} fully absent ${JSON.stringify(campaign.inFlight)}`,
      `  verify errors         ${campaign.verifyErrors}  (warnings: ${JSON.stringify(campaign.warnings)})`,
      `  lost operations       ${campaign.lostOperations}`,
      `  partial operations    ${campaign.partialOperations}`,
      `  records compared      ${campaign.recordsChecked}`,
      `  exports compared      ${campaign.exportsCompared} (+${campaign.referenceExports} reference exports)`,
      `  readers + writer      ${readersRun.readers} readers, ${Math.round(readersRun.seconds)} s, ${readersRun.versionsWritten} versions written, ${readersRun.snapshots} snapshots checked, ${readersRun.errors.length} reader errors`,
      `  two writers           ${writersRun.done[0]} + ${writersRun.done[1]} operations, ${writersRun.versions} versions, ${writersRun.errors.length} errors`,
      ...campaign.failures.map((f) => `  FAILURE: ${f}`),
      ...readersRun.errors.map((f) => `  READER ERROR: ${f}`),
      ...writersRun.errors.map((f) => `  WRITERS ERROR: ${f}`),
    ].join('\n'),
  );
}
process.exit(ok ? 0 : 1);
