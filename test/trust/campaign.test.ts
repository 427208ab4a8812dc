/**
 * Crash campaign (see test/trust/campaign.ts): 200 SIGKILLs of a writer
 * doing random appends (chr22 samples and synthetic ones, single puts and
 * putMany), removes, tags, purges, compactions and transactions. After every
 * kill the depot opens, verify is clean, every returned operation is there,
 * the one in flight is all or nothing, every record is byte-exact and the
 * export of every tag is byte-identical to its reference.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.ts';

const KILLS = Number(process.env.VCZDEPOT_CAMPAIGN_KILLS ?? 200);

describe('crash campaign', () => {
  it(`survives ${KILLS} SIGKILLs at random instants: nothing lost, nothing partial, verify clean, tag exports identical`, async () => {
    const s = await runCampaign({ kills: KILLS, seed: 4 });
    console.log(
      `campaign: ${s.kills} kills on ${s.depots} depots in ${s.seconds.toFixed(1)} s; ${s.operationsDone} operations done (${s.expectedErrors} expected errors); ` +
        `in flight at a kill: ${JSON.stringify(s.inFlight)} → ${s.inFlightApplied} applied, ${s.inFlightAbsent} absent; ` +
        `${s.recordsChecked} records and ${s.exportsCompared} tag exports compared (${s.referenceExports} references); warnings ${JSON.stringify(s.warnings)}; ` +
        `verify errors ${s.verifyErrors}, lost ${s.lostOperations}, partial ${s.partialOperations}`,
    );
    expect(s.failures).toEqual([]);
    expect(s.kills).toBe(KILLS);
    expect(s.verifyErrors).toBe(0);
    expect(s.lostOperations).toBe(0);
    expect(s.partialOperations).toBe(0);
    // the campaign did what it claims: kills inside operations of every kind, exports compared
    expect(s.inFlightApplied + s.inFlightAbsent).toBeGreaterThan(KILLS / 2);
    for (const kind of ['put', 'putMany', 'remove', 'purge', 'compact']) expect(s.inFlight[kind] ?? 0, kind).toBeGreaterThan(0);
    expect(s.exportsCompared).toBeGreaterThan(KILLS / 2);
    expect(s.operationsDone).toBeGreaterThan(KILLS * 3);
  }, 600_000);
});
