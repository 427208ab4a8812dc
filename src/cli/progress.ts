/**
 * Progress bars on stderr (cli-progress). Shown only when stderr is a TTY
 * and the output is for a person (not --json); otherwise silent.
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

// Loaded when a bar is first drawn, so commands that never show one do not pay for it.
const require = createRequire(import.meta.url);

export interface Progress {
  /** Reports `done` of `total` units. */
  update: (done: number, total: number) => void;
  stop: () => void;
}

/**
 * A bar labelled `label`; with `unit: 'bytes'` the counts are shown in MiB.
 */
export function progress(label: string, enabled: boolean, options: { unit?: 'items' | 'bytes' } = {}): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  let bar: CliProgress.SingleBar | undefined;
  return {
    update(done, total) {
      if (!bar) {
        const cliProgress = require('cli-progress') as typeof CliProgress;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {percentage}% | {value}/{total}${options.unit === 'bytes' ? ' MiB' : ''} | {duration_formatted}`,
            hideCursor: true,
            clearOnComplete: false,
            ...(options.unit === 'bytes'
              ? { formatValue: (v: number, _o: unknown, type: string) => (type === 'value' || type === 'total' ? (v / 2 ** 20).toFixed(1) : String(v)) }
              : {}),
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
      if (done >= total) this.stop();
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
