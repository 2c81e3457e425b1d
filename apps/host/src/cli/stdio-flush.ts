// Standard output and error reach their reader before the process exits. Through a pipe, Node hands writes to
// the kernel as the reader makes room; `process.exit()` drops what is still queued, so `lattice ls --json | jq`
// on a big lattice lost everything past the pipe's 64 KiB when the reader was slower than the command.

/** Resolves once everything written to stdout and stderr so far was handed on (or the reader went away). */
export async function flushStdio(): Promise<void> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    // A reader that closed its end (EPIPE) will never take the rest: nothing left to wait for.
    stream.once("error", () => resolve());
    // Writes are handed on in order: the callback of an empty write runs after every earlier one.
    stream.write("", () => resolve());
  });
}
