// Access control (issue 8.4), authentication: every way a host can authenticate to NATS, against real
// servers configured for it. Right credentials read and write; wrong ones fail at open() with a typed error
// that names the problem; no secret ever shows up in logs, errors, describe() or status().
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { LatticeCache, LatticeCacheError, type LatticeErrorCode } from "@lattice-cache/core";
import { JetStreamBackend, type JetStreamBackendOptions } from "@lattice-cache/jetstream";
import {
  disposeAll,
  makeNatsOperator,
  makeTlsCertificates,
  startNatsServer,
  type TlsCertificates,
  waitFor,
} from "@lattice-cache/test-harness";
import { createUser } from "@nats-io/nkeys";
import { afterAll, describe, expect, it } from "vitest";
import { type ChaosHost, closeHosts, openHost } from "./chaos-host.test-helpers.js";
import { RecordingLogger } from "./recording-logger.test-helpers.js";
import { ExposedText } from "./secret-scan.test-helpers.js";

const hosts: ChaosHost[] = [];
let tls: TlsCertificates | undefined;

afterAll(async () => {
  await closeHosts(hosts);
  await disposeAll();
});

/** A secret that cannot occur by accident. */
function secret(label: string): string {
  return `${label}-${randomBytes(12).toString("hex")}`;
}

type AuthOptions = Pick<JetStreamBackendOptions, "auth" | "tls" | "openTimeoutMs">;

/** Two hosts with `options`: one writes, the other sees it through its feed; then a delete, seen too. */
async function expectReadWrite(url: string, options: AuthOptions, exposed: ExposedText): Promise<void> {
  const prefix = `auth${randomBytes(4).toString("hex")}`;
  const open = async (name: string) => {
    const host = await openHost(
      name,
      (logger) => new JetStreamBackend({ servers: url, prefix, ...options, logger }),
    );
    hosts.push(host);
    exposed.watchLogger(host.logger);
    return host;
  };
  const writer = await open("writer");
  const reader = await open("reader");
  const { revision } = await writer.cache.claims.put({ sub: "MAUTHOK", name: "authenticated" });
  await waitFor(() => reader.cache.claims.get("MAUTHOK")?.name === "authenticated", {
    what: "the write on the reader",
  });
  await writer.cache.claims.delete("MAUTHOK");
  await waitFor(() => reader.cache.claims.get("MAUTHOK") === undefined, { what: "the delete on the reader" });
  expect(revision).toBeGreaterThan(0);
  for (const host of [writer, reader]) {
    expect(host.cache.status().state).toBe("live");
    exposed.addReports(host.backend, host.cache);
  }
}

/** A host with `options` cannot open: a typed error with one of `codes`, whose message matches `names`. */
async function expectRefused(
  url: string,
  options: AuthOptions,
  exposed: ExposedText,
  codes: readonly LatticeErrorCode[],
  names: RegExp,
): Promise<LatticeCacheError> {
  const logger = new RecordingLogger("refused");
  exposed.watchLogger(logger);
  const backend = new JetStreamBackend({
    servers: url,
    prefix: "refused",
    openTimeoutMs: 8_000,
    ...options,
    logger,
  });
  const started = Date.now();
  const error = await LatticeCache.open({ backend, logger }).then(
    async (cache) => {
      await cache.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  exposed.addError(error);
  exposed.addReports(backend);
  await backend.close();
  expect(LatticeCacheError.isInstance(error), `a LatticeCacheError, got ${String(error)}`).toBe(true);
  const typed = error as LatticeCacheError;
  expect(codes, `code ${typed.code}: ${typed.message}`).toContain(typed.code);
  expect(typed.message).toMatch(names);
  expect(Date.now() - started, "refused quickly, not after retrying for long").toBeLessThan(15_000);
  return typed;
}

describe("NATS token authentication", () => {
  it("the right token reads and writes; a wrong token is refused at open() with PERMISSION_DENIED; no token leaks", async () => {
    const token = secret("tok");
    const wrong = secret("badtok");
    const server = await startNatsServer({ config: `authorization { token: ${JSON.stringify(token)} }` });
    const exposed = new ExposedText();
    await expectReadWrite(server.url, { auth: { token } }, exposed);
    await expectRefused(
      server.url,
      { auth: { token: wrong } },
      exposed,
      ["PERMISSION_DENIED"],
      /credentials|authoriz/i,
    );
    await expectRefused(server.url, {}, exposed, ["PERMISSION_DENIED"], /credentials|authoriz/i);
    exposed.expectNoSecrets({ token, wrongToken: wrong });
  });
});

describe("NATS user/password authentication", () => {
  it("the right password reads and writes; a wrong one is refused at open() with PERMISSION_DENIED; no password leaks", async () => {
    const pass = secret("pw");
    const wrong = secret("badpw");
    const server = await startNatsServer({
      config: `authorization { users = [ { user: "lattice-host", password: ${JSON.stringify(pass)} } ] }`,
    });
    const exposed = new ExposedText();
    await expectReadWrite(server.url, { auth: { user: "lattice-host", password: pass } }, exposed);
    await expectRefused(
      server.url,
      { auth: { user: "lattice-host", password: wrong } },
      exposed,
      ["PERMISSION_DENIED"],
      /credentials|authoriz/i,
    );
    exposed.expectNoSecrets({ password: pass, wrongPassword: wrong });
  });
});

describe("NATS nkey authentication", () => {
  it("the right seed reads and writes; an unknown nkey is refused at open() with PERMISSION_DENIED; no seed leaks", async () => {
    const user = createUser();
    const other = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const otherSeed = new TextDecoder().decode(other.getSeed());
    const server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${JSON.stringify(user.getPublicKey())} } ] }`,
    });
    const exposed = new ExposedText();
    await expectReadWrite(server.url, { auth: { nkeySeed: seed } }, exposed);
    await expectRefused(
      server.url,
      { auth: { nkeySeed: otherSeed } },
      exposed,
      ["PERMISSION_DENIED"],
      /credentials|authoriz/i,
    );
    exposed.expectNoSecrets({ seed, otherSeed });
  });
});

describe("NATS JWT authentication (operator mode, creds file)", () => {
  it("a user of the JetStream account reads and writes; a foreign user's creds are refused; a missing creds file is a CONFIGURATION error; no creds leak", async () => {
    const operator = await makeNatsOperator();
    const server = await startNatsServer({ config: operator.serverConfig });
    const user = await operator.createUser("lattice-host");
    const foreign = await operator.createForeignUser("stranger");
    const exposed = new ExposedText();
    await expectReadWrite(server.url, { auth: { credsFile: user.credsFile } }, exposed);
    await expectRefused(
      server.url,
      { auth: { credsFile: foreign.credsFile } },
      exposed,
      ["PERMISSION_DENIED"],
      /credentials|authoriz/i,
    );
    const missing = await expectRefused(
      server.url,
      { auth: { credsFile: `${user.credsFile}.missing` } },
      exposed,
      ["CONFIGURATION"],
      /credsFile/,
    );
    expect(missing.message).toContain(".missing");
    exposed.expectNoSecrets({
      seed: user.seed,
      jwt: user.jwt,
      foreignSeed: foreign.seed,
      foreignJwt: foreign.jwt,
    });
  });
});

describe("NATS TLS with client certificates (verify: true)", () => {
  const tlsConfig = (files: TlsCertificates) =>
    [
      "tls {",
      `  cert_file: ${JSON.stringify(files.serverCert)}`,
      `  key_file: ${JSON.stringify(files.serverKey)}`,
      `  ca_file: ${JSON.stringify(files.caFile)}`,
      "  verify: true",
      "}",
    ].join("\n");
  const pemBody = (file: string) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.length > 0 && !line.startsWith("-----"))
      .join("");

  it("a trusted client certificate reads and writes; an unverifiable server fails at open() with CONFIGURATION naming TLS; no key leaks", async () => {
    tls ??= await makeTlsCertificates();
    const server = await startNatsServer({ config: tlsConfig(tls) });
    const exposed = new ExposedText();
    await expectReadWrite(
      server.url,
      { tls: { caFile: tls.caFile, certFile: tls.clientCert, keyFile: tls.clientKey } },
      exposed,
    );
    // Without the CA the client cannot verify the server's certificate.
    await expectRefused(
      server.url,
      { tls: { certFile: tls.clientCert, keyFile: tls.clientKey } },
      exposed,
      ["CONFIGURATION"],
      /TLS/,
    );
    exposed.expectNoSecrets({ clientKey: pemBody(tls.clientKey) });
  });

  // nats.js 3.4 never surfaces the server's TLS alert when it refuses the client's certificate (untrusted CA,
  // or none): the connect attempt just times out. With TLS configured the backend says that the server may
  // have refused the client certificate (docs/reliability.md, known issue 4, fixed).
  it("a client certificate the server refuses (untrusted CA, or none) is named in open()'s error", async () => {
    tls ??= await makeTlsCertificates();
    const server = await startNatsServer({ config: tlsConfig(tls) });
    const exposed = new ExposedText();
    const codes: LatticeErrorCode[] = ["CONFIGURATION", "PERMISSION_DENIED", "BACKEND_UNAVAILABLE"];
    const quick = { openTimeoutMs: 3_000 };
    try {
      await expectRefused(
        server.url,
        { tls: { caFile: tls.caFile, certFile: tls.rogueClientCert, keyFile: tls.rogueClientKey }, ...quick },
        exposed,
        codes,
        /tls|certificate/i,
      );
      await expectRefused(
        server.url,
        { tls: { caFile: tls.caFile }, ...quick },
        exposed,
        codes,
        /tls|certificate/i,
      );
    } finally {
      // Whatever the message says, it must not carry the key.
      exposed.expectNoSecrets({ rogueKey: pemBody(tls.rogueClientKey) });
    }
  });
});
