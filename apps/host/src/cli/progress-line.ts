// Progress of a long one-shot command on stderr: one line per phase, and a throttled count line — rewritten
// in place on a terminal, printed as plain lines (at most one per interval) when stderr is a file or pipe.
// Each text is one line, its control characters escaped (terminal-text.ts): only ERASE_LINE acts on the terminal.
import { escapeTerminalValue } from "./terminal-text.js";

/** Erases the terminal line the cursor is on and returns to its start. */
const ERASE_LINE = "\r\x1b[2K";

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  /** Writes to stderr. */
  readonly write: (text: string) => void;
  /** True when stderr is a terminal. */
  readonly tty: boolean;
  /** Least time between two count lines, in ms. Default 100 on a terminal, 1000 otherwise. */
  readonly intervalMs?: number;
  /** The clock (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** Progress lines for one command. */
export class ProgressLine {
  private readonly write: (text: string) => void;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastLineAt: number;
  /** A count line is on screen and the cursor is at its end (terminal only). */
  private showing = false;

  constructor(options: ProgressLineOptions) {
    this.write = options.write;
    this.tty = options.tty;
    this.intervalMs = options.intervalMs ?? (options.tty ? 100 : 1000);
    this.now = options.now ?? Date.now;
    this.lastLineAt = this.now();
  }

  /** A new phase: always printed, on a line of its own (replacing a count line shown in place). */
  phase(text: string): void {
    this.erase();
    this.write(`${escapeTerminalValue(text)}\n`);
    this.lastLineAt = this.now();
  }

  /**
   * A count within the current phase. Shown when `intervalMs` has passed since the last line — so a fast
   * phase prints no counts at all, and a log file gets one line per interval, not one per item.
   */
  count(text: string): void {
    const now = this.now();
    if (now - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = now;
    const shown = escapeTerminalValue(text);
    if (this.tty) {
      this.write(`${ERASE_LINE}${shown}`);
      this.showing = true;
    } else this.write(`${shown}\n`);
  }

  /** Removes a count line shown in place, so what follows starts on a clean line. */
  end(): void {
    this.erase();
  }

  private erase(): void {
    if (!this.showing) return;
    this.write(ERASE_LINE);
    this.showing = false;
  }
}
