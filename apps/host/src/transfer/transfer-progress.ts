// Progress of export, import and copy on stderr: a phase line, then a throttled count with its rate.
import { ProgressLine } from "../cli/progress-line.js";

/** A progress line that counts with a rate (entries/s since the phase began). */
export class TransferProgress {
  private readonly line: ProgressLine;
  private phaseStarted = Date.now();

  constructor(write: (text: string) => void, tty: boolean) {
    this.line = new ProgressLine({ write, tty });
  }

  /** A new phase, on its own line. */
  phase(text: string): void {
    this.line.phase(text);
    this.phaseStarted = Date.now();
  }

  /** `verb n[/total] (rate entries/s)`, throttled. */
  count(verb: string, n: number, total?: number): void {
    const seconds = Math.max((Date.now() - this.phaseStarted) / 1000, 0.001);
    const rate = Math.round(n / seconds);
    this.line.count(`${verb} ${n}${total === undefined ? "" : `/${total}`} (${rate} entries/s)`);
  }

  /** Clears a count shown in place. */
  end(): void {
    this.line.end();
  }
}

/** `linkdefs 3, claims 1, refmaps 0`. */
export function countsText(counts: Readonly<Record<string, number | undefined>>): string {
  return Object.entries(counts)
    .map(([name, n]) => `${name} ${n ?? 0}`)
    .join(", ");
}
