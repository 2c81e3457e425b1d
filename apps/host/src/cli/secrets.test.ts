// Secrets never leave the process: a host and CLI commands run with a NATS token, NATS and Redis passwords
// and credentials in URLs — right ones and wrong ones — and every byte they print, log or serve over HTTP
// (/, /status, /entries, /metrics, /events) is searched for each secret.
import {
  disposeAll,
  freePort,
  type NatsServerHandle,
  type PostgresServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  httpGet,
  killAllLattice,
  LatticeProcess,
  type RunResult,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";

const SECRETS = {
  natsToken: "tok-9f3c1e7a-nats-secret",
  wrongToken: "tok-0000-wrong-secret",
  natsPassword: "pw-7d2b-nats-user-secret",
  urlPassword: "pw-5e8a-in-url-secret",
  redisPassword: "pw-3c6f-redis-secret",
  wrongRedisPassword: "pw-1111-wrong-redis-secret",
  redisUrlPassword: "pw-4a9d-redis-url-secret",
  nkeySeed: "SUAGMJH5XLGZKQQWAWKRZJIGMOU4HPFUYLXJMXOO5NLFEO2OOQJ5LPRDPM",
};

let nats: NatsServerHandle;
let redis: RedisServerHandle;
const captured: { what: string; text: string }[] = [];

beforeAll(async () => {
  [nats, redis] = await Promise.all([
    startNatsServer({ config: `authorization { token: "${SECRETS.natsToken}" }` }),
    startRedisServer({ password: SECRETS.redisPassword }),
  ]);
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

function keep(what: string, r: RunResult): RunResult {
  captured.push({ what: `${what} (stdout)`, text: r.stdout }, { what: `${what} (stderr)`, text: r.stderr });
  return r;
}

async function keepHttp(what: string, url: string): Promise<void> {
  for (const path of ["/", "/status", "/entries", "/metrics"]) {
    captured.push({ what: `${what} GET ${path}`, text: (await httpGet(`${url}${path}`)).body });
  }
  // One status event from the live stream.
  const events = await fetch(`${url}/events`);
  const reader = events.body?.getReader();
  const first = await reader?.read();
  await reader?.cancel();
  captured.push({ what: `${what} /events`, text: new TextDecoder().decode(first?.value) });
}

describe("secrets in logs, output, HTTP and error messages", () => {
  it("never appear anywhere", async () => {
    const natsEnv = cleanEnv({ LATTICE_NATS_TOKEN: SECRETS.natsToken, LATTICE_PREFIX: "secrets" });
    const redisEnv = cleanEnv({
      LATTICE_BACKEND: "redis",
      LATTICE_REDIS_URL: redis.url,
      LATTICE_REDIS_PASSWORD: SECRETS.redisPassword,
      LATTICE_PREFIX: "secrets",
    });
    const debug = ["--log-level", "debug", "--http-port", "0"];

    // Two hosts with debug logs: jetstream with a token, redis with a password.
    const natsHost = LatticeProcess.start(["host", "--nats-url", nats.url, ...debug], { env: natsEnv });
    const redisHost = LatticeProcess.start(["host", ...debug], { env: redisEnv });
    const natsUrl = (await natsHost.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
    const redisUrl = (await redisHost.waitForOutput(/listening on (http:\/\/\S+)/))[1] as string;
    await natsHost.waitForOutput(/answering status requests/, { stream: "stderr" });
    await redisHost.waitForOutput(/answering status requests/, { stream: "stderr" });

    // Commands that succeed with the right secrets…
    const ok = await Promise.all([
      runLattice(["refmaps", "put", "ghcr.io/acme/s:1", "MSECRET", "--nats-url", nats.url], { env: natsEnv }),
      runLattice(["refmaps", "put", "ghcr.io/acme/s:1", "MSECRET"], { env: redisEnv }),
    ]);
    for (const r of ok) expect(keep("put", r).code, r.stderr).toBe(0);
    for (const [what, args, env] of [
      ["nats status", ["status", "--json", "--nats-url", nats.url], natsEnv],
      ["nats status --hosts", ["status", "--hosts", "--json", "--nats-url", nats.url], natsEnv],
      ["redis status --hosts", ["status", "--hosts"], redisEnv],
      ["nats doctor", ["doctor", "--nats-url", nats.url, "--log-level", "debug"], natsEnv],
      ["redis doctor", ["doctor", "--log-level", "debug"], redisEnv],
      ["nats config print", ["config", "print", "--nats-url", nats.url], natsEnv],
      ["redis config print", ["config", "print", "--json"], redisEnv],
    ] as const) {
      const r = keep(what, await runLattice(args, { env }));
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
    }
    await keepHttp("nats host", natsUrl);
    await keepHttp("redis host", redisUrl);

    // …other secrets only printed (config print), and wrong or URL-borne secrets that fail.
    const printOnly = cleanEnv({ LATTICE_NATS_USER: "ann", LATTICE_NATS_PASSWORD: SECRETS.natsPassword });
    keep("config print user/password", await runLattice(["config", "print", "--json"], { env: printOnly }));
    keep(
      "config print nkey seed",
      await runLattice(["config", "print"], { env: cleanEnv({ LATTICE_NATS_NKEY_SEED: SECRETS.nkeySeed }) }),
    );
    const urlWithPassword = nats.url.replace("nats://", `nats://ann:${SECRETS.urlPassword}@`);
    const redisUrlWithPassword = redis.url.replace("redis://", `redis://:${SECRETS.redisUrlPassword}@`);
    const failing = await Promise.all([
      runLattice(["claims", "ls", "--nats-url", nats.url, "--log-level", "debug"], {
        env: cleanEnv({ LATTICE_NATS_TOKEN: SECRETS.wrongToken }),
      }),
      runLattice(["status", "--hosts", "--nats-url", nats.url], {
        env: cleanEnv({ LATTICE_NATS_TOKEN: SECRETS.wrongToken }),
      }),
      runLattice(["claims", "ls", "--nats-url", urlWithPassword, "--log-level", "debug"], {
        env: cleanEnv(),
      }),
      runLattice(["config", "print", "--nats-url", urlWithPassword], { env: cleanEnv() }),
      runLattice(["status", "--hosts", "--nats-url", urlWithPassword], { env: cleanEnv() }),
      runLattice(["claims", "ls", "--backend", "redis", "--redis-url", redis.url, "--log-level", "debug"], {
        env: cleanEnv({
          LATTICE_REDIS_PASSWORD: SECRETS.wrongRedisPassword,
          LATTICE_CONNECT_TIMEOUT_MS: "2000",
        }),
      }),
      runLattice(["status", "--hosts", "--backend", "redis", "--redis-url", redisUrlWithPassword], {
        env: cleanEnv(),
      }),
      runLattice(["doctor", "--nats-url", nats.url], {
        env: cleanEnv({ LATTICE_NATS_TOKEN: SECRETS.wrongToken }),
      }),
      runLattice(["host", "--nats-url", nats.url, "--http-port", "0", "--log-level", "debug"], {
        env: cleanEnv({ LATTICE_NATS_TOKEN: SECRETS.wrongToken }),
        timeoutMs: 30_000,
      }),
    ]);
    for (const [i, r] of failing.entries()) keep(`failing run ${i}`, r);
    expect(failing.filter((r) => r.code === 0)).toHaveLength(1); // only `config print` succeeds
    expect(failing[0]?.stderr).toMatch(/refused|Authorization/i);

    natsHost.signal("SIGTERM");
    redisHost.signal("SIGTERM");
    keep("nats host", await natsHost.finished());
    keep("redis host", await redisHost.finished());

    // The hosts did log (debug), so an empty capture cannot pass for a clean one.
    expect(captured.map((c) => c.text).join("").length).toBeGreaterThan(5000);
    for (const { what, text } of captured) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} appears in ${what}:\n${text.slice(0, 2000)}`).toBe(false);
      }
    }
  });
});

describe("issue 27 item 6: passwords in URL parameters and userinfo never reach output", () => {
  const URL_SECRETS = {
    pgPassword: "pw-81c2-postgres-query-secret",
    pgSslPassword: "pw-62d0-postgres-sslkey-secret",
    redisPassword: "pw-93e1-redis-query-secret",
    natsUserPassword: "pw-24f7-nats-userinfo-secret",
    natsToken: "tok-57a3-nats-userinfo-token",
  };
  let postgres: PostgresServerHandle;

  beforeAll(async () => {
    postgres = await startPostgresServer();
  });

  /** Fails naming the secret and the run when any of them appears in what it printed. */
  function expectNoSecret(what: string, r: RunResult): void {
    for (const [name, secret] of Object.entries(URL_SECRETS)) {
      expect(r.stdout.includes(secret), `${name} in stdout of ${what}:\n${r.stdout}`).toBe(false);
      expect(r.stderr.includes(secret), `${name} in stderr of ${what}:\n${r.stderr}`).toBe(false);
    }
  }

  const pgQuery = `password=${URL_SECRETS.pgPassword}&sslpassword=${URL_SECRETS.pgSslPassword}`;
  const redisQuery = `password=${URL_SECRETS.redisPassword}`;

  it("config print (YAML and --json) masks ?password= and &sslpassword= of postgres and redis URLs, NATS user:pass and tokens, and keeps user names", async () => {
    const args = [
      "--backend",
      "postgres",
      "--postgres-url",
      `postgres://lattice@db.example:5432/lattice?sslmode=require&${pgQuery}`,
      "--redis-url",
      `redis://cache.example:6379/0?${redisQuery}`,
      "--nats-url",
      `nats://ann:${URL_SECRETS.natsUserPassword}@n1:4222,nats://${URL_SECRETS.natsToken}@n2:4222`,
    ];
    for (const json of [[], ["--json"]]) {
      const r = await runLattice([...args, "config", "print", ...json], { env: cleanEnv() });
      expect(r.code, r.stderr).toBe(0);
      expectNoSecret(`config print ${json.join(" ")}`, r);
      expect(r.stdout).toContain(
        "postgres://lattice@db.example:5432/lattice?sslmode=require&password=***&sslpassword=***",
      );
      expect(r.stdout).toContain("redis://cache.example:6379/0?password=***");
      expect(r.stdout).toContain("nats://ann:***@n1:4222");
      expect(r.stdout).toContain("nats://***@n2:4222");
    }
  });

  it("doctor against real servers refusing a ?password= (PostgreSQL, Redis), a NATS refusing a userinfo token, and against nothing listening, never prints it", async () => {
    const closed = await freePort();
    const pgAt = (port: number) => `postgres://lattice@127.0.0.1:${port}/lattice?${pgQuery}`;
    const redisAt = (port: number) => `redis://127.0.0.1:${port}/?${redisQuery}`;
    const runs = await Promise.all([
      runLattice(["doctor", "--backend", "postgres", "--postgres-url", pgAt(postgres.port)], {
        env: cleanEnv(),
      }),
      runLattice(["doctor", "--json", "--backend", "postgres", "--postgres-url", pgAt(postgres.port)], {
        env: cleanEnv(),
      }),
      runLattice(["doctor", "--backend", "postgres", "--postgres-url", pgAt(closed)], { env: cleanEnv() }),
      runLattice(["doctor", "--backend", "redis", "--redis-url", redisAt(redis.port)], {
        env: cleanEnv({ LATTICE_CONNECT_TIMEOUT_MS: "2000" }),
      }),
      runLattice(["doctor", "--backend", "redis", "--redis-url", redisAt(closed)], {
        env: cleanEnv({ LATTICE_CONNECT_TIMEOUT_MS: "2000" }),
      }),
      runLattice(["doctor", "--nats-url", nats.url.replace("nats://", `nats://${URL_SECRETS.natsToken}@`)], {
        env: cleanEnv({ LATTICE_CONNECT_TIMEOUT_MS: "2000" }),
      }),
      runLattice(["claims", "ls", "--backend", "postgres", "--postgres-url", pgAt(postgres.port)], {
        env: cleanEnv(),
      }),
      runLattice(["claims", "ls", "--backend", "redis", "--redis-url", redisAt(closed)], {
        env: cleanEnv({ LATTICE_CONNECT_TIMEOUT_MS: "2000" }),
      }),
    ]);
    for (const [i, r] of runs.entries()) {
      expect(r.code, `run ${i}: ${r.stdout}\n${r.stderr}`).toBe(1);
      expectNoSecret(`failing run ${i}`, r);
    }
    // They failed for the reasons meant, and still say where they looked.
    expect(runs[0]?.stdout).toMatch(/password authentication failed|credentials/i);
    expect(runs[0]?.stdout).toContain(
      `postgres://lattice@127.0.0.1:${postgres.port}/lattice?password=***&sslpassword=***`,
    );
    expect(runs[2]?.stdout).toMatch(/nothing accepts connections/);
    expect(runs[3]?.stdout).toMatch(/WRONGPASS|refused/i);
    expect(runs[3]?.stdout).toContain(`redis://127.0.0.1:${redis.port}/?password=***`);
  });
});
