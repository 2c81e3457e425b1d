// Where an export's lines go: a file created mode 0600 (link definition values are often provider secrets),
// written under a temporary name and renamed into place once complete — an interrupted export never leaves a
// file that looks whole — or a writer such as stdout. Both buffer and write synchronously: memory stays flat.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const BUFFER_CHARS = 1 << 16;

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
  private pending: string[] = [];
  private pendingChars = 0;
  private closed = false;

  /** Opens the temporary file (fails when the directory is not writable). */
  constructor(readonly path: string) {
    this.partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
    this.fd = openSync(this.partial, "wx", 0o600);
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= BUFFER_CHARS) this.flush();
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
    if (this.pendingChars === 0) return;
    const bytes = Buffer.from(this.pending.join(""));
    this.pending = [];
    this.pendingChars = 0;
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
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly out: (text: string) => void) {}

  write(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= BUFFER_CHARS) this.flush();
  }

  commit(): void {
    this.flush();
  }

  abort(): void {
    this.flush();
  }

  private flush(): void {
    if (this.pendingChars === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.pendingChars = 0;
    this.out(text);
  }
}
