// Property-based fuzzing of the command line, in-process and in a dry run (nothing connects, nothing starts):
// any argv built from the real vocabulary plus junk ends in a valid parse (exit 0) or a usage error (exit 2)
// with a message — never an unhandled exception, never a crash, never a network connection.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT_CODES } from "./exit-codes.js";
import { runCli } from "./program.js";

const RUNS = 10_000;
/** Bounds a hang, not speed: CPU-bound runs slow down several-fold on a busy 2-core machine. */
const FUZZ_TIMEOUT_MS = 600_000;
const dir = mkdtempSync(join(tmpdir(), "lattice-cli-fuzz-"));
const files = {
  claims: join(dir, "claims.json"),
  badClaims: join(dir, "bad-claims.json"),
  config: join(dir, "lattice.yaml"),
  badConfig: join(dir, "bad.yaml"),
  missing: join(dir, "missing.json"),
};
let connects: ReturnType<typeof vi.spyOn>;

beforeAll(() => {
  writeFileSync(files.claims, JSON.stringify({ sub: "MABC", name: "echo", caps: ["a", "b"] }));
  writeFileSync(files.badClaims, '{"sub": "M*", "rev": []');
  writeFileSync(files.config, "backend: memory\nprefix: fuzz\n");
  writeFileSync(files.badConfig, "backend: [nope\n");
  // Every TCP/TLS client (nats.js, the Redis status channel, fetch) connects through Socket#connect.
  connects = vi.spyOn(Socket.prototype, "connect").mockImplementation(() => {
    throw new Error("a dry run must not connect");
  });
});

afterAll(() => {
  connects.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

const words = fc.constantFrom(
  "up",
  "host",
  "linkdefs",
  "claims",
  "refmaps",
  "watch",
  "status",
  "doctor",
  "config",
  "bridge",
  "migrate",
  "compact",
  "apply",
  "put",
  "get",
  "del",
  "ls",
  "print",
  "help",
);
const flags = fc.constantFrom(
  "--backend",
  "--nats-url",
  "--redis-url",
  "--prefix",
  "--js-domain",
  "--config",
  "--json",
  "--host-id",
  "--log-level",
  "--http-port",
  "--ready-timeout",
  "--tombstone-retention",
  "--older-than",
  "--max-value-bytes",
  "--actor",
  "--provider",
  "--contract",
  "--link-name",
  "--value",
  "--file",
  "-f",
  "--hosts",
  "--window",
  "--strict",
  "--policy",
  "--from",
  "--dry-run",
  "--delete-source",
  "--help",
  "-h",
  "--version",
  "-V",
  "--",
);
const values = fc.constantFrom(
  "memory",
  "jetstream",
  "redis",
  "legacy",
  "nats://127.0.0.1:1",
  "redis://:pw@127.0.0.1:1",
  "Mbob",
  "Vprov",
  "wasmcloud:keyvalue",
  "ghcr.io/acme/echo:0.1.0",
  "CLAIMS_MABC",
  "a.b",
  "M*",
  ">",
  " ",
  "",
  "k=v",
  "=v",
  "0",
  "-1",
  "100",
  "99999999999",
  "linkdefs",
  "claims",
  "refmaps",
  "-",
  "debug",
  "legacy-wins",
  "durable-wins",
  "create-only",
  "stream",
  files.claims,
  files.badClaims,
  files.config,
  files.badConfig,
  files.missing,
);
const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }));
const token = fc.oneof(
  { weight: 2, arbitrary: words },
  { weight: 4, arbitrary: flags },
  { weight: 4, arbitrary: values },
  { weight: 1, arbitrary: junk },
);
/** Real command paths, so most runs get past the first word and into option and argument handling. */
const commandPath = fc.constantFrom(
  [],
  ["up"],
  ["host"],
  ["linkdefs", "put"],
  ["linkdefs", "get"],
  ["linkdefs", "del"],
  ["linkdefs", "ls"],
  ["claims", "put"],
  ["claims", "get"],
  ["claims", "del"],
  ["claims", "ls"],
  ["refmaps", "put"],
  ["refmaps", "get"],
  ["refmaps", "del"],
  ["refmaps", "ls"],
  ["watch"],
  ["status"],
  ["status", "--hosts"],
  ["doctor"],
  ["bridge"],
  ["migrate", "--from", "legacy"],
  ["migrate", "--from", "stream"],
  ["compact"],
  ["compact", "--dry-run"],
  ["config", "print"],
  ["get"],
  ["apply"],
  ["apply", "--dry-run"],
);
/** Mostly flag–value pairs (what real command lines are made of), some loose tokens. */
const tail = fc
  .array(
    fc.oneof({ weight: 3, arbitrary: fc.tuple(flags, values) }, { weight: 2, arbitrary: fc.tuple(token) }),
    {
      maxLength: 6,
    },
  )
  .map((parts) => parts.flat());
const argv = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(commandPath, tail).map(([path, rest]) => [...path, ...rest]) },
  { weight: 1, arbitrary: fc.array(token, { maxLength: 9 }) },
);

async function dryRun(args: readonly string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    dryRun: true,
    io: {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env: {},
      stdin: () => '{"sub": "MSTDIN"}',
    },
  });
  return { code, stdout, stderr };
}

describe("command line: arbitrary argv in a dry run", () => {
  it(`${RUNS} argv arrays end in a valid parse (0) or a usage error (2), never a crash`, {
    timeout: FUZZ_TIMEOUT_MS,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const r = await dryRun(args);
        expect([EXIT_CODES.success, EXIT_CODES.usage], `${JSON.stringify(args)} → ${r.stderr}`).toContain(
          r.code,
        );
        if (r.code === EXIT_CODES.usage) expect(r.stderr.trim().length).toBeGreaterThan(0);
        // A usage message, not a stack trace of an unexpected error.
        expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }),
      { numRuns: RUNS },
    );
    expect(connects).not.toHaveBeenCalled();
  });

  it("a dry run still refuses what a real run would (keys, sizes, config)", async () => {
    const cases: [string[], number, RegExp][] = [
      [["claims", "get", "a.b"], 2, /'\.' \(a NATS token separator\)/],
      [["claims", "del", "M*"], 2, /'\*' \(a NATS wildcard\)/],
      [["linkdefs", "get", "--actor", "a>", "--contract", "c"], 2, /'>' \(a NATS wildcard\)/],
      [["linkdefs", "put", "--actor", "M b", "--provider", "V", "--contract", "c"], 2, /whitespace/],
      [["refmaps", "get", ""], 2, /empty/],
      [["refmaps", "put", "ghcr.io/x:1", "M".repeat(2000)], 2, /over the 1024 bytes/],
      [
        ["refmaps", "put", "ghcr.io/x:1", "MKEY", "--max-value-bytes", "20"],
        2,
        /over the maximum of 20 bytes/,
      ],
      [["claims", "put", "--file", files.badClaims], 2, /not valid JSON/],
      [["--config", files.badConfig, "status"], 2, /not valid YAML/],
      [["status", "--window", "5"], 2, /--window/],
      [["status", "--strict"], 2, /--window and --strict go with --hosts/],
      [["status", "--expect", "3"], 2, /--expect and --expect-hosts go with --hosts/],
      [["status", "--hosts", "--expect", "0"], 2, /expected a number of hosts from 1 to 1024/],
      [["status", "--hosts", "--expect-hosts", "a,,b"], 2, /"" is not a host id/],
      [["status", "--hosts", "--expect-hosts", "a,b,a"], 2, /a is named twice/],
      [
        ["status", "--hosts", "--expect", "2", "--expect-hosts", "a,b,c"],
        2,
        /--expect 2 but --expect-hosts names 3/,
      ],
      [["status", "--hosts", "--backend", "memory", "--expect", "2", "--expect-hosts", "a,b"], 0, /^$/],
      [["claims", "put", "--file", "-"], 0, /^$/],
      [["status", "--hosts", "--backend", "memory"], 0, /^$/],
      [["bridge", "--policy", "sometimes"], 2, /bridge\.policy .*allowed values: legacy-wins, durable-wins/],
      [["bridge", "--backend", "legacy"], 2, /backend is "legacy"/],
      [["bridge", "--policy", "durable-wins"], 0, /^$/],
      [["migrate", "--from", "legacy", "--delete-source"], 2, /--delete-source goes with --from stream/],
      [["migrate", "--from", "stream", "--delete-source", "--dry-run"], 0, /^$/],
      [["host", "--backend", "redis"], 0, /^$/],
    ];
    for (const [args, code, message] of cases) {
      const r = await dryRun(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
      expect(r.stderr.trim()).toMatch(message);
    }
    expect(connects).not.toHaveBeenCalled();
  });
});
