// `lattice copy` between every kind of backend, in this process (the memory backend is process-local):
// memory → redis → jetstream → postgres, the content digest compared at each step.
import {
  disposeAll,
  type NatsServerHandle,
  type PostgresServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/program.js";

let nats: NatsServerHandle;
let redis: RedisServerHandle;
let postgres: PostgresServerHandle;

beforeAll(async () => {
  [nats, redis, postgres] = await Promise.all([startNatsServer(), startRedisServer(), startPostgresServer()]);
});
afterAll(async () => {
  await disposeAll();
});

/** `lattice args…` in this process, with an empty environment. */
async function lattice(args: readonly string[], input = "") {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    io: {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      stdin: () => input,
      env: {},
    },
  });
  return { code, stdout, stderr };
}

const PREFIX = "xcopy";

describe("lattice copy: every pair along memory → redis → jetstream → postgres keeps the content digest", () => {
  const where = () => ({
    memory: ["--backend", "memory"],
    redis: ["--backend", "redis", "--redis-url", redis.url],
    jetstream: ["--backend", "jetstream", "--nats-url", nats.url],
    postgres: ["--backend", "postgres", "--postgres-url", postgres.url],
  });
  const targetOf = () => ({
    redis: ["--to", "backend=redis", "--to", `redis.url=${redis.url}`],
    jetstream: ["--to", "backend=jetstream", "--to", `nats.servers=${nats.url}`],
    postgres: ["--to", "backend=postgres", "--to", `postgres.url=${postgres.url}`],
  });

  it("copies (the target keeping the source's prefix), verifies, and a second copy writes nothing", async () => {
    const memory = [...where().memory, "--prefix", PREFIX, "--create-lattice", "always"];
    const link = (contract: string, ...more: string[]) => [
      "linkdefs",
      "put",
      "--actor",
      "MACTOR",
      "--provider",
      "VPROV",
      "--contract",
      contract,
      ...more,
    ];
    for (const args of [
      link("wasmcloud:kv", "--value", "URL=redis://secret@x"),
      link("wasmcloud:http", "--link-name", "web"),
      ["refmaps", "put", "oci://reg/app:1", "MAPP1"],
      ["refmaps", "put", "oci://reg/app:2", "MAPP2"],
      ["refmaps", "del", "oci://reg/app:2"],
    ]) {
      expect((await lattice([...memory, ...args])).code).toBe(0);
    }
    expect(
      (await lattice([...memory, "claims", "put", "--file", "-"], '{"sub":"MAPP1","name":"app"}')).code,
    ).toBe(0);

    const steps = [
      ["memory", "redis"],
      ["redis", "jetstream"],
      ["jetstream", "postgres"],
    ] as const;
    let digest: string | undefined;
    for (const [from, to] of steps) {
      const run = await lattice([
        ...where()[from],
        "--prefix",
        PREFIX,
        "--json",
        "copy",
        ...targetOf()[to],
        "--to",
        "createLattice=always",
      ]);
      expect(run.code, `${from} → ${to}: ${run.stderr}`).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report).toMatchObject({
        source: { backend: from, prefix: PREFIX },
        target: { backend: to, prefix: PREFIX },
        entries: 4,
        collections: { linkdefs: 2, claims: 1, refmaps: 1 },
        created: 4,
        verified: true,
      });
      expect(report.targetDigest).toBe(report.digest);
      digest ??= report.digest;
      expect(report.digest, `${from} → ${to}`).toBe(digest);
    }

    // Idempotent: the same copy again finds every entry unchanged.
    const again = await lattice([
      ...where().memory,
      "--prefix",
      PREFIX,
      "--json",
      "copy",
      ...targetOf().postgres,
      "--to",
      `prefix=${PREFIX}`,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 4, verified: true });

    // And an export of the last target has the same digest.
    const exported = await lattice([...where().postgres, "--prefix", PREFIX, "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout.split("\n")[0] as string).digest).toBe(digest);
  });

  it("refuses a bad target setting as the configuration would, naming the --to, and a target that is the source", async () => {
    const bad = await lattice([...where().memory, "copy", "--to", "backend=redis", "--to", "redis.urll=x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("redis.urll is not a known setting");
    expect(bad.stderr).toContain("set by --to redis.urll");

    const same = await lattice([
      ...where().memory,
      "--prefix",
      PREFIX,
      "copy",
      "--to",
      "backend=memory",
      "--to",
      `prefix=${PREFIX}`,
    ]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain("the target is the source");

    const none = await lattice([...where().memory, "copy"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--to KEY=VALUE");
  });

  it("--mode replace makes the target equal to the source; merge leaves the extra entry and verify says so", async () => {
    const target = [
      "--to",
      "backend=redis",
      "--to",
      `redis.url=${redis.url}`,
      "--to",
      "prefix=xreplace",
      "--to",
      "createLattice=always",
    ];
    const source = [...where().memory, "--prefix", PREFIX];
    expect((await lattice([...source, "copy", ...target])).code).toBe(0);
    const extra = await lattice([
      ...where().redis,
      "--prefix",
      "xreplace",
      "refmaps",
      "put",
      "oci://reg/extra:1",
      "MEXTRA",
    ]);
    expect(extra.code).toBe(0);

    const merged = await lattice([...source, "copy", ...target]);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain("verify failed");
    expect(merged.stderr).toContain("--mode replace");

    const replaced = await lattice([...source, "--json", "copy", "--mode", "replace", ...target]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ deleted: 1, unchanged: 4, verified: true });
  });
});
