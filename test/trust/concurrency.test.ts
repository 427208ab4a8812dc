/**
 * Concurrency (see test/trust/concurrency.ts): readers in other processes
 * always see one whole version while a writer puts, removes, tags, compacts
 * and purges; two writer processes interleave without losing an operation;
 * processes opening the depot while a writer commits lose no commit.
 */
import { describe, expect, it } from 'vitest';
import { runOpenersAndWriter, runReadersAndWriter, runTwoWriters } from './concurrency.ts';

describe('concurrency', () => {
  it('3 reader processes and 1 writer for 8 s: every snapshot is one version, no reader error', async () => {
    const s = await runReadersAndWriter({ ms: 8_000, readers: 3 });
    console.log(`readers: ${JSON.stringify(s)}`);
    expect(s.errors).toEqual([]);
    expect(s.versionsWritten).toBeGreaterThan(50);
    expect(s.snapshots).toBeGreaterThan(30);
    expect(s.versionsSeen).toBeGreaterThan(10);
    for (const k of ['put', 'remove', 'tag', 'compact']) expect(s.operations[k] ?? 0, k).toBeGreaterThan(0);
  }, 120_000);

  it('2 writer processes interleave for 4 s without losing an operation', async () => {
    const s = await runTwoWriters({ ms: 4_000 });
    console.log(`two writers: ${JSON.stringify(s)}`);
    expect(s.errors).toEqual([]);
    expect(s.done[0]).toBeGreaterThan(10);
    expect(s.done[1]).toBeGreaterThan(10);
    expect(s.tagsTaken).toBeGreaterThan(0);
    expect(s.versions).toBe(s.done[0] + s.done[1] - s.tagsTaken);
  }, 120_000);

  it('2 processes open the depot over and over while a writer commits for 3 s: no commit lost, each read back at once', async () => {
    const s = await runOpenersAndWriter({ ms: 3_000, openers: 2 });
    console.log(`openers: ${JSON.stringify(s)}`);
    expect(s.errors).toEqual([]);
    expect(s.commits).toBeGreaterThan(50);
    expect(s.opens).toBeGreaterThan(500);
  }, 60_000);
});
