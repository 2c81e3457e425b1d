// A test file's setup for running the built `lattice` against one real nats-server: the server (started before
// the file's tests, stopped after them with every spawned `lattice`), a temporary directory for input files,
// and a runner bound to the server and a prefix.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, beforeAll } from "vitest";
import { cleanEnv, killAllLattice, type RunResult, runLattice } from "./lattice-process.test-helpers.js";

/** What {@link cliAgainstNats} gives a test file. */
export interface CliAgainstNats {
  /** The server's URL (valid once the file's tests run). */
  readonly natsUrl: () => string;
  /** The clean environment every run gets (no LATTICE_* from the test process). */
  readonly env: NodeJS.ProcessEnv;
  /** Writes `text` to a file in the temporary directory and returns its path. */
  file(name: string, text: string): string;
  /** `lattice args… --nats-url <server> --prefix <prefix>`, with `input` on stdin. */
  lattice(prefix: string, args: readonly string[], input?: string): Promise<RunResult>;
}

/** Registers the file's `beforeAll`/`afterAll` (call at the top level of a test file). */
export function cliAgainstNats(name: string): CliAgainstNats {
  let nats: NatsServerHandle | undefined;
  const dir = mkdtempSync(join(tmpdir(), `lattice-${name}-`));
  const env = cleanEnv({ XDG_DATA_HOME: dir });
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await killAllLattice();
    await disposeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const natsUrl = () => {
    if (!nats) throw new Error("the nats-server is not started yet (use it inside a test)");
    return nats.url;
  };
  return {
    natsUrl,
    env,
    file(fileName, text) {
      const path = join(dir, fileName);
      writeFileSync(path, text);
      return path;
    },
    lattice: (prefix, args, input) =>
      runLattice([...args, "--nats-url", natsUrl(), "--prefix", prefix], { env, input }),
  };
}
