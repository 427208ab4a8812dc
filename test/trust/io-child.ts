/**
 * Child process of the disk-full and export-safety tests: runs one
 * operation that the parent limits (`ulimit -f`) or kills, and reports the
 * outcome as a JSON line.
 *
 * argv: mode, depot, data file, out
 *   append           putMany of 80 synthetic samples
 *   export           exportVcz(depotExportSource(depot), out)
 *   guarded-export   the same through guardedExport (src/vcz/export-guard.ts)
 * stdout: `start`, then `result {"ok": true}` or `result {"ok": false, "name", "tag", "code", "message"}`.
 */
import { Depot } from '../../src/depot/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz, guardedExport } from '../../src/vcz/index.ts';
import { SampleData, loadChr22 } from './data.ts';

const [mode, path, dataFile, out] = process.argv.slice(2);
const report = (r: unknown) => process.stdout.write(`result ${JSON.stringify(r)}\n`);
try {
  if (mode === 'append') {
    const data = new SampleData(loadChr22(dataFile!), 30);
    const d = Depot.open(path!);
    process.stdout.write('start\n');
    try {
      d.putMany(Array.from({ length: 80 }, (_, i) => ({ sampleId: `syn${500 + i}#full`, calls: data.calls(`syn${500 + i}`) })));
    } finally {
      d.close();
    }
  } else {
    const d = Depot.open(path!, { readOnly: true });
    process.stdout.write('start\n');
    try {
      const source = depotExportSource(d, undefined, 'vczdepot-trust');
      if (mode === 'export') await exportVcz(source, out!);
      else await guardedExport(out!, {}, (p) => exportVcz(source, p));
    } finally {
      d.close();
    }
  }
  report({ ok: true });
} catch (err) {
  const e = err as Error & { code?: string };
  // `code`: the system error code (ENOSPC, EFBIG) of the first error in the cause chain that has one
  // (a vczdepot error's `errno`, or a Node error's `code`; a vczdepot error's own `code` is its kind).
  const errno = (x: any): string | undefined =>
    x == null ? undefined : typeof x.errno === 'string' ? x.errno : typeof x.code === 'string' && /^E[A-Z0-9]+$/.test(x.code) ? x.code : errno(x.cause);
  report({ ok: false, name: e.name, kind: e.code, code: errno(e), message: e.message });
}
