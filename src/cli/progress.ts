/**
 * Progress bars on stderr (cli-progress). Shown only when stderr is a TTY
 * and the output is for a person (not --json); otherwise silent.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Reports `done` of `total` units. */
  update: (done: number, total: number) => void;
  stop: () => void;
}

export function progress(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done, total) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, hideCursor: true, clearOnComplete: false },
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
