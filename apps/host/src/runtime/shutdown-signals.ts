// Ctrl-C / SIGTERM handling for long-running commands: the first signal asks for a clean stop, a second forces exit.

/** Signals that stop a long-running command. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * Resolves with the first SIGINT/SIGTERM. While the caller shuts down, a second signal exits at once with
 * code 1 (the user insisted). Returns a function that removes the handlers.
 */
export function waitForStopSignal(onForced: (signal: NodeJS.Signals) => void): {
  readonly signal: Promise<NodeJS.Signals>;
  readonly dispose: () => void;
} {
  let first: NodeJS.Signals | undefined;
  let resolve!: (signal: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const handler = (s: NodeJS.Signals) => {
    if (first === undefined) {
      first = s;
      resolve(s);
    } else {
      onForced(s);
      process.exit(1);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    signal,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, handler);
    },
  };
}
