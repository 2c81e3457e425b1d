// Where an export's lines go: a file created mode 0600 (link definition values are often provider secrets),
// written under a temporary name and renamed into place once complete — an interrupted export never leaves a
// file that looks whole — or a writer such as stdout. Both buffer and write synchronously: memory stays flat.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const BUFFER_CHARS = 1 << 16;

/** Text collected until it is worth one write (both outputs buffer the same way). */
class PendingText {
  private parts: string[] = [];
  private chars = 0;

  /** Adds `text`; true once a write's worth is pending. */
  add(text: string): boolean {
    this.parts.push(text);
    this.chars += text.length;
    return this.chars >= BUFFER_CHARS;
  }

  /** The pending text, now no longer pending; `""` when there is none. */
  take(): string {
    if (this.chars === 0) return "";
    const text = this.parts.join("");
    this.parts = [];
    this.chars = 0;
    return text;
  }
}

/** A destination for an export's text. */
export interface ExportOutput {
  /** Appends text. */
  write(text: string): void;
  /** Everything was written: make it final. */
  commit(): void;
  /** Something failed: leave nothing behind (a file output deletes its temporary file). */
  abort(): void;
}

/** The export's file: created 0600 under a temporary name beside `path`, renamed to `path` by `commit`. */
export class ExportFile implements ExportOutput {
  private readonly partial: string;
  private readonly fd: number;
  private readonly pending = new PendingText();
  private closed = false;

  /** Opens the temporary file (fails when the directory is not writable). */
  constructor(readonly path: string) {
    this.partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
    this.fd = openSync(this.partial, "wx", 0o600);
  }

  write(text: string): void {
    if (this.pending.add(text)) this.flush();
  }

  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    this.close();
    renameSync(this.partial, this.path);
  }

  abort(): void {
    this.close();
    rmSync(this.partial, { force: true });
  }

  private flush(): void {
    const text = this.pending.take();
    if (text === "") return;
    const bytes = Buffer.from(text);
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** An export to a writer (stdout), in chunks. */
export class ExportStream implements ExportOutput {
  private readonly pending = new PendingText();

  constructor(private readonly out: (text: string) => void) {}

  write(text: string): void {
    if (this.pending.add(text)) this.flush();
  }

  commit(): void {
    this.flush();
  }

  abort(): void {
    this.flush();
  }

  private flush(): void {
    const text = this.pending.take();
    if (text !== "") this.out(text);
  }
}
