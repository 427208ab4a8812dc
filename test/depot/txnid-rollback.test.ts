/**
 * Another process's LMDB open can set the lock file's last transaction id
 * one commit back: lmdb-js's `mdb_env_open2` stores the id of the newest meta
 * page it read, without a lock, so a commit landing between that read and
 * the store is undone in the lock file (src/depot/env.ts). These tests put
 * the lock file in exactly that state (a child process writes the id a racing
 * open stores: the previous one) and check that the depot neither overwrites
 * the newest commit nor reads an older head than it committed. The real race
 * (a process opening the depot over and over while another commits) is
 * test/trust/concurrency.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('txnid', { each: true });
const vs = syntheticVariantSet({ numVariants: 120, seed: 5 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.05 });

/**
 * In a child process (an fd of the lock file closed in this process would
 * drop this process's LMDB locks on it): sets the lock file's last
 * transaction id (`MDB_txninfo.mti_txnid`, the u64 after the u32 magic
 * 0xBEEFC0DE and the u32 format) one back, as a racing open does.
 * Returns [before, after].
 */
function setLastTxnIdBack(depot: string): [number, number] {
  const script = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'r+');
const b = Buffer.alloc(16);
fs.readSync(fd, b, 0, 16, 0);
if (b.readUInt32LE(0) !== 0xbeefc0de) { process.stderr.write('not an LMDB lock file'); process.exit(1); }
const id = b.readBigUInt64LE(8);
b.writeBigUInt64LE(id - 1n, 8);
fs.writeSync(fd, b, 8, 8, 8);
fs.closeSync(fd);
process.stdout.write(JSON.stringify([Number(id), Number(id - 1n)]));`;
  const r = spawnSync(process.execPath, ['-e', script, join(depot, 'index.mdb-lock')], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as [number, number];
}

/** A depot at version 2 (S1, S2), its lock file's last transaction id then set back one, as after a racing open. */
function depotSetBack(): { path: string; d: Depot } {
  const path = join(dir(), 'd');
  const d = Depot.create(path, vs, { blockSize: 40 });
  d.put('S1', calls(1));
  d.put('S2', calls(2));
  setLastTxnIdBack(path);
  return { path, d };
}

describe('the lock file\'s last transaction id set back by a racing open', () => {
  it('the next commit does not overwrite the newest one: a new version, every sample there, verify clean', () => {
    const path = join(dir(), 'd');
    const d = Depot.create(path, vs, { blockSize: 40 });
    try {
      expect(d.put('S1', calls(1)).version).toBe(1);
      expect(d.put('S2', calls(2)).version).toBe(2);
      const [before, after] = setLastTxnIdBack(path);
      expect(after).toBe(before - 1);
      // Unrepaired, this transaction starts from version 1's meta page and commits version 2 again (S2 lost).
      expect(d.put('S3', calls(3)).version).toBe(3);
      expect(d.version()).toBe(3);
      expect(d.samples()).toEqual(['S1', 'S2', 'S3']);
      expect(d.log().map((e) => [e.version, e.added])).toEqual([[0, []], [1, ['S1']], [2, ['S2']], [3, ['S3']]]);
      expect(d.verify().issues.filter((i) => i.severity === 'error')).toEqual([]);
    } finally {
      d.close();
    }
    // Another process sees the same: the repaired id is in the lock file.
    const r = Depot.open(path, { readOnly: true });
    try {
      expect(r.samples()).toEqual(['S1', 'S2', 'S3']);
    } finally {
      r.close();
    }
  });

  it('a tag after it names the newest version', () => {
    const { d } = depotSetBack();
    try {
      expect(d.tag('t2').version).toBe(2);
      expect(d.samples({ at: 't2' })).toEqual(['S1', 'S2']);
    } finally {
      d.close();
    }
  });

  it('a read after it in the process that committed sees its commit, not the version before', () => {
    const { d } = depotSetBack();
    try {
      // Unrepaired, the read transaction starts at the older id: version 1, without S2.
      expect(d.version()).toBe(2);
      expect(d.samples()).toEqual(['S1', 'S2']);
      expect(d.get('S2').sampleId).toBe('S2');
    } finally {
      d.close();
    }
  });
});
