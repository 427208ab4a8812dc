/**
 * Progress on stderr for long commands (create, append, export, compact,
 * purge, verify), only when the output is for a person (not --json):
 *
 * - stderr is a TTY: one cli-progress bar, redrawn in place until `stop()`
 *   (reaching 100% does not end it: a streamed import reports the bytes read
 *   and still has work after the last byte);
 * - stderr is not a TTY (a log file, CI): a plain line `label: 42% (done/total)`
 *   at most every {@link LINE_INTERVAL_MS}, the first only once the work has
 *   run that long, so short commands print nothing.
 *
 * `update` and `stop` are plain closures: they may be passed around unbound
 * (as `onProgress: bar.update`).
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

// Loaded when a bar is first drawn, so commands that never show one do not pay for it.
const require = createRequire(import.meta.url);

/** Milliseconds between two progress lines when stderr is not a TTY. */
export const LINE_INTERVAL_MS = 5_000;

export interface Progress {
  /** Reports `done` of `total` units (bytes, chunks, ...). Safe to call unbound. */
  readonly update: (done: number, total: number) => void;
  /** Ends the bar (idempotent). Safe to call unbound. */
  readonly stop: () => void;
}

export interface ProgressOptions {
  /** `bytes`: counts are shown in MiB. */
  unit?: 'items' | 'bytes';
  /** Where to draw; default `process.stderr` (tests pass a fake TTY). */
  stream?: NodeJS.WriteStream;
  /** Clock in milliseconds (tests); default `performance.now`. */
  now?: () => number;
}

const NOOP: Progress = { update: () => {}, stop: () => {} };

/** A progress reporter labelled `label`; a no-op when `enabled` is false. */
export function progress(label: string, enabled: boolean, options: ProgressOptions = {}): Progress {
  if (!enabled) return NOOP;
  const stream = options.stream ?? process.stderr;
  const bytes = options.unit === 'bytes';
  return stream.isTTY ? ttyBar(label, stream, bytes) : plainLines(label, stream, bytes, options.now ?? (() => performance.now()));
}

function ttyBar(label: string, stream: NodeJS.WriteStream, bytes: boolean): Progress {
  let bar: CliProgress.SingleBar | undefined;
  let stopped = false;
  const update = (done: number, total: number): void => {
    if (stopped) return;
    if (!bar) {
      const cliProgress = require('cli-progress') as typeof CliProgress;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {percentage}% | {value}/{total}${bytes ? ' MiB' : ''} | {duration_formatted}`,
          hideCursor: true,
          clearOnComplete: false,
          ...(bytes ? { formatValue: (v: number, _o: unknown, type: string) => (type === 'value' || type === 'total' ? (v / 2 ** 20).toFixed(1) : String(v)) } : {}),
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done);
    } else {
      if (total !== bar.getTotal()) bar.setTotal(total);
      bar.update(done);
    }
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    bar?.stop();
  };
  return { update, stop };
}

function plainLines(label: string, stream: NodeJS.WriteStream, bytes: boolean, now: () => number): Progress {
  const start = now();
  let last = start;
  let stopped = false;
  const fmt = (n: number) => (bytes ? `${(n / 2 ** 20).toFixed(1)} MiB` : String(n));
  const update = (done: number, total: number): void => {
    if (stopped) return;
    const t = now();
    if (t - last < LINE_INTERVAL_MS) return;
    last = t;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
    stream.write(`${label}: ${pct}% (${fmt(done)} of ${fmt(total)}, ${((t - start) / 1000).toFixed(0)} s)\n`);
  };
  const stop = (): void => {
    stopped = true;
  };
  return { update, stop };
}
