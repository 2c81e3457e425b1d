// Issue #28, item 1 — a typo must not create an empty lattice, silently. End to end through the built
// `lattice` binary against real servers (one of each, of their own, so which lattices exist is known):
// read-only commands never create a lattice and name the closest existing one; hosts and write commands
// create one where none exists, refuse beside others unless createLattice says always.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  disposeAll,
  type NatsServerHandle,
  type PostgresServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  type RunResult,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { EXIT_CODES } from "./exit-codes.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-missing-"));
/** The default creation policy (`auto`), not the test suite's `always` (see cleanEnv). */
const env = cleanEnv({ XDG_DATA_HOME: dir, LATTICE_CREATE_LATTICE: undefined });

const LINKDEF = ["--actor", "MA", "--provider", "VP", "--contract", "wasmcloud:keyvalue"];
/** Every read-only command, as a typo'd prefix would run it. */
const READ_ONLY_COMMANDS: readonly (readonly string[])[] = [
  ["linkdefs", "ls"],
  ["linkdefs", "get", "--actor", "MA", "--contract", "wasmcloud:keyvalue"],
  ["claims", "ls"],
  ["claims", "get", "MA"],
  ["refmaps", "ls"],
  ["refmaps", "get", "ghcr.io/x:1"],
  ["get", "CLAIMS_MA"],
  ["status"],
];

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

function expectNoLatticeNamed(r: RunResult, target: RegExp): void {
  expect(r.code, r.stderr).toBe(EXIT_CODES.notFound);
  expect(r.stderr).toMatch(/no lattice named "defualt" on /);
  expect(r.stderr).toMatch(target);
  expect(r.stderr).toContain("(existing: default)");
  expect(r.stderr).toContain('did you mean "default"?');
}

function expectRefusal(r: RunResult): void {
  expect(r.code, r.stderr).toBe(EXIT_CODES.notFound);
  expect(r.stderr).toMatch(
    /refusing to create lattice "defualt" on .*other lattices exist there \(default\)/,
  );
  expect(r.stderr).toContain('did you mean "default"?');
  expect(r.stderr).toContain("--create-lattice always");
}

/**
 * A nats-server of the describe block's own (started before its tests): `lattice` runs against it, and the
 * buckets it holds, read around lattice-cache.
 */
function ownNatsServer() {
  let nats: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });
  afterAll(() => nc?.close());
  const url = () => (nats as NatsServerHandle).url;
  return {
    url,
    lattice: (prefix: string, args: readonly string[], extra: Record<string, string> = {}) =>
      runLattice([...args, "--nats-url", url(), "--prefix", prefix], { env: { ...env, ...extra } }),
    buckets: async () => {
      const jsm = await jetstreamManager(nc as NatsConnection);
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      return names.sort();
    },
  };
}

describe("jetstream: `lattice up`'s demo lattice is nobody's", () => {
  const { lattice, buckets } = ownNatsServer();

  it("beside the demo lattice only, a first write creates its lattice; a typo beside it is refused", async () => {
    expect((await lattice("demo", ["linkdefs", "put", ...LINKDEF])).code).toBe(0);
    const first = await lattice("default", ["linkdefs", "put", ...LINKDEF]);
    expect(first.code, first.stderr).toBe(0);
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default", "KV_LATTICEDATA_demo"]);
    const typo = await lattice("defualt", ["linkdefs", "put", ...LINKDEF]);
    expect(typo.code, typo.stderr).toBe(EXIT_CODES.notFound);
    expect(typo.stderr).toContain('did you mean "default"?');
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default", "KV_LATTICEDATA_demo"]);
  });
});

describe("jetstream: the lattice is the bucket LATTICEDATA_{prefix}", () => {
  const { url, lattice, buckets } = ownNatsServer();

  it("a first host, on a server with no lattice at all, creates its lattice", async () => {
    const host = LatticeProcess.start(
      ["host", "--nats-url", url(), "--prefix", "default", "--http-port", "0"],
      { env },
    );
    await host.waitForOutput(/listening on/);
    await expect.poll(buckets, { timeout: 30_000 }).toEqual(["KV_LATTICEDATA_default"]);
    host.signal("SIGTERM");
    expect((await host.finished()).code, host.stderr).toBe(0);
  });

  it("read-only commands on a typo fail with exit 3, naming the closest lattice; no bucket is created", async () => {
    for (const command of [...READ_ONLY_COMMANDS, ["status", "--hosts"], ["watch"]]) {
      const r = await lattice("defualt", command);
      expectNoLatticeNamed(r, /on NATS at nats:\/\/127\.0\.0\.1:\d+/);
    }
    const doctor = await lattice("defualt", ["doctor"]);
    expect(doctor.code).toBe(EXIT_CODES.failure);
    expect(doctor.stdout).toMatch(/no lattice named "defualt".*did you mean "default"\?/);
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default"]);
  });

  it("a host on a typo refuses to start beside the existing lattice, naming it and the setting", async () => {
    const host = LatticeProcess.start(
      ["host", "--nats-url", url(), "--prefix", "defualt", "--http-port", "0"],
      { env },
    );
    expectRefusal(await host.finished());
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default"]);
  });

  it("write commands follow the host's rule: refused beside others, nothing created", async () => {
    expectRefusal(await lattice("defualt", ["linkdefs", "put", ...LINKDEF]));
    expectRefusal(await lattice("defualt", ["compact"]));
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default"]);
  });

  it("createLattice never: even a write on a missing lattice fails (exit 3), nothing created", async () => {
    const r = await lattice("defualt", ["linkdefs", "put", ...LINKDEF, "--create-lattice", "never"]);
    expectNoLatticeNamed(r, /on NATS at/);
    expect(await buckets()).toEqual(["KV_LATTICEDATA_default"]);
  });

  it("createLattice always (flag or env) creates the new lattice beside the others", async () => {
    const put = await lattice("second", ["linkdefs", "put", ...LINKDEF, "--create-lattice", "always"]);
    expect(put.code, put.stderr).toBe(0);
    const host = LatticeProcess.start(
      ["host", "--nats-url", url(), "--prefix", "third", "--http-port", "0"],
      { env: { ...env, LATTICE_CREATE_LATTICE: "always" } },
    );
    await host.waitForOutput(/listening on/);
    await expect
      .poll(buckets, { timeout: 30_000 })
      .toEqual(["KV_LATTICEDATA_default", "KV_LATTICEDATA_second", "KV_LATTICEDATA_third"]);
    host.signal("SIGTERM");
    expect((await host.finished()).code, host.stderr).toBe(0);
    const ls = await lattice("second", ["linkdefs", "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toHaveLength(1);
  });
});

describe("redis: the lattice is the keys {lattice:<prefix>}:…", () => {
  let redis: RedisServerHandle;
  const lattice = (prefix: string, args: readonly string[]) =>
    runLattice([...args, "--backend", "redis", "--redis-url", redis.url, "--prefix", prefix], { env });

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  it("a first write creates the lattice; a typo then neither reads nor creates, nor writes", async () => {
    const put = await lattice("default", ["linkdefs", "put", ...LINKDEF]);
    expect(put.code, put.stderr).toBe(0);
    const keysBefore = await redis.command("DBSIZE");
    for (const command of [...READ_ONLY_COMMANDS, ["status", "--hosts"]]) {
      expectNoLatticeNamed(await lattice("defualt", command), /on Redis at redis:\/\/127\.0\.0\.1:\d+/);
    }
    expectRefusal(await lattice("defualt", ["linkdefs", "put", ...LINKDEF]));
    expect(await redis.command("DBSIZE")).toBe(keysBefore);
    expect(await redis.command("EXISTS", "{lattice:defualt}:epoch")).toBe(
      await redis.command("EXISTS", "{lattice:no-such}:epoch"),
    );
  });
});

describe("postgres: the lattice is the schema lattice_<prefix>", () => {
  let postgres: PostgresServerHandle;
  const lattice = (prefix: string, args: readonly string[]) =>
    runLattice([...args, "--backend", "postgres", "--postgres-url", postgres.url, "--prefix", prefix], {
      env,
    });
  const schemas = () =>
    postgres.query(
      "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'lattice%'",
    );

  beforeAll(async () => {
    postgres = await startPostgresServer();
  });

  it("a first write creates the lattice; a typo then neither reads nor creates, nor writes", async () => {
    const put = await lattice("default", ["linkdefs", "put", ...LINKDEF]);
    expect(put.code, put.stderr).toBe(0);
    expect(await schemas()).toBe("lattice_default");
    for (const command of [...READ_ONLY_COMMANDS, ["status", "--hosts"]]) {
      expectNoLatticeNamed(await lattice("defualt", command), /on PostgreSQL at postgres/);
    }
    expectRefusal(await lattice("defualt", ["linkdefs", "put", ...LINKDEF]));
    expect(await schemas()).toBe("lattice_default");
  });
});
