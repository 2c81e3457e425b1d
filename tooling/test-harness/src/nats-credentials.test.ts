import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fromPublic, fromSeed } from "@nats-io/nkeys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { makeNatsOperator, makeNkeyUser, type NatsCredsUser, type NatsOperator } from "./nats-credentials.js";
import { type NatsServerHandle, startNatsServer } from "./nats-server.js";
import { RawClient } from "./tcp.test-helpers.js";

const TIMEOUT_MS = 10_000;

/** A decoded JWT whose signature has been checked against its issuer's public nkey. */
interface Jwt {
  readonly header: Record<string, unknown>;
  readonly claims: { iss: string; sub: string; name: string; nats: Record<string, unknown> };
}

function decodeJwt(jwt: string): Jwt {
  const [header = "", payload = "", signature = ""] = jwt.split(".");
  const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  const decoded: Jwt = { header: json(header), claims: json(payload) };
  const signed = new TextEncoder().encode(`${header}.${payload}`);
  expect(
    fromPublic(decoded.claims.iss).verify(signed, Buffer.from(signature, "base64url")),
    "signature",
  ).toBe(true);
  return decoded;
}

/** The user JWT and seed of a creds file, read back from disk the way a client reads it. */
function readCreds(file: string): { jwt: string; seed: string } {
  const text = readFileSync(file, "utf8");
  const jwt = /-----BEGIN NATS USER JWT-----\n(\S+)\n------END NATS USER JWT------/.exec(text)?.[1];
  const seed = /-----BEGIN USER NKEY SEED-----\n(\S+)\n------END USER NKEY SEED------/.exec(text)?.[1];
  if (jwt === undefined || seed === undefined) {
    throw new Error(`not a creds file: ${file}`);
  }
  return { jwt, seed };
}

/** Proof of identity for CONNECT: the server's nonce signed with `seed`, plus the JWT or the public nkey. */
type Identity = { readonly jwt: string; readonly seed: string } | { readonly nkeySeed: string };

/**
 * Connects over the raw NATS protocol with `identity` (or none) and pings: the client, and whether the
 * server answered `PONG` or an `-ERR`.
 */
async function connectNats(port: number, identity?: Identity): Promise<{ client: RawClient; reply: string }> {
  const client = await RawClient.connect(port);
  if (!(await client.until((c) => /^INFO .*\r\n/.test(c.received), TIMEOUT_MS))) {
    client.close();
    throw new Error(`no INFO from nats-server on port ${port}`);
  }
  const info = JSON.parse(/^INFO (.*)\r\n/.exec(client.received)?.[1] ?? "{}") as { nonce?: string };
  const options: Record<string, unknown> = { verbose: false, pedantic: false, protocol: 1 };
  if (identity !== undefined) {
    const seed = "jwt" in identity ? identity.seed : identity.nkeySeed;
    const keyPair = fromSeed(new TextEncoder().encode(seed));
    options["sig"] = Buffer.from(keyPair.sign(new TextEncoder().encode(info.nonce ?? ""))).toString(
      "base64url",
    );
    if ("jwt" in identity) {
      options["jwt"] = identity.jwt;
    } else {
      options["nkey"] = keyPair.getPublicKey();
    }
  }
  client.write(`CONNECT ${JSON.stringify(options)}\r\nPING\r\n`);
  await client.until((c) => /PONG\r\n|-ERR .*\r\n/.test(c.received), TIMEOUT_MS);
  const reply = /PONG|-ERR .*/.exec(client.received)?.[0] ?? "(no reply)";
  return { client, reply };
}

/**
 * Sends `protocol` and a PING; resolves with everything received in reply, up to that PING's PONG, less
 * the server's own keep-alive PINGs (the first one comes about two seconds after connecting).
 */
async function exchange(client: RawClient, protocol: string): Promise<string> {
  const before = client.received.length;
  const pongs = (text: string) => text.split("PONG\r\n").length - 1;
  const expected = pongs(client.received) + 1;
  client.write(`${protocol}PING\r\n`);
  await client.until((c) => pongs(c.received) >= expected, TIMEOUT_MS);
  return client.received.slice(before).replaceAll("PING\r\n", "");
}

/** The nats-server's reply to a request on `subject` with an empty payload. */
async function request(client: RawClient, subject: string): Promise<string> {
  const reply = /MSG _INBOX\.spec 90 \d+\r\n(.*)\r\n/;
  client.write(`SUB _INBOX.spec 90\r\nPUB ${subject} _INBOX.spec 0\r\n\r\n`);
  if (!(await client.until((c) => reply.test(c.received), TIMEOUT_MS))) {
    throw new Error(`no reply to ${subject}; received: ${client.received.slice(0, 500)}`);
  }
  return reply.exec(client.received)?.[1] ?? "";
}

describe("makeNatsOperator", () => {
  let operator: NatsOperator;
  let server: NatsServerHandle;
  let user: NatsCredsUser;

  beforeAll(async () => {
    operator = await makeNatsOperator();
    user = await operator.createUser("lattice-host");
    server = await startNatsServer({ config: operator.serverConfig });
  });

  afterAll(() => disposeAll());

  it("configures nats-server in operator mode with a memory resolver preloaded with both accounts", () => {
    const config = operator.serverConfig;
    const operatorJwt = /^operator: "(\S+)"$/m.exec(config)?.[1] ?? "";
    const systemAccount = /^system_account: "(A\w+)"$/m.exec(config)?.[1];
    expect(config).toMatch(/^resolver: MEMORY$/m);
    const preloaded = [...config.matchAll(/^ {2}(A\w+): "(\S+)"$/gm)].map(([, key, jwt]) => ({ key, jwt }));
    expect(preloaded).toHaveLength(2);

    const op = decodeJwt(operatorJwt);
    expect(op.header).toEqual({ typ: "JWT", alg: "ed25519-nkey" });
    expect(op.claims.iss).toBe(op.claims.sub);
    expect(op.claims.sub).toMatch(/^O/);
    expect(op.claims.nats).toMatchObject({ type: "operator", version: 2, system_account: systemAccount });
    for (const { key, jwt = "" } of preloaded) {
      const account = decodeJwt(jwt);
      expect(account.claims).toMatchObject({ iss: op.claims.sub, sub: key, nats: { type: "account" } });
    }
    const accounts = preloaded.map(({ jwt = "" }) => decodeJwt(jwt).claims);
    expect(accounts.map((claims) => claims.name).sort()).toEqual(["SYS", "lattice"]);
    expect(accounts.find((claims) => claims.name === "SYS")?.sub).toBe(systemAccount);
  });

  it("writes a creds file holding a user JWT signed by the JetStream account, readable only by its owner", () => {
    const creds = readCreds(user.credsFile);
    expect(creds).toEqual({ jwt: user.jwt, seed: user.seed });
    expect(readFileSync(user.credsFile, "utf8")).toBe(user.credsText);
    expect(statSync(user.credsFile).mode & 0o777).toBe(0o600);
    const { claims } = decodeJwt(user.jwt);
    expect(claims.name).toBe("lattice-host");
    expect(claims.sub).toBe(fromSeed(new TextEncoder().encode(user.seed)).getPublicKey());
    expect(operator.serverConfig).toContain(`  ${claims.iss}: `);
    expect(claims.nats).toMatchObject({ type: "user", version: 2 });
  });

  it("a nats-server with the config accepts a connection with the creds file and refuses one without", async () => {
    const accepted = await connectNats(server.port, readCreds(user.credsFile));
    accepted.client.close();
    expect(accepted.reply).toBe("PONG");
    const anonymous = await connectNats(server.port);
    anonymous.client.close();
    expect(anonymous.reply).toMatch(/^-ERR 'Authorization Violation'/);
  });

  it("refuses a foreign user, signed by an account the server does not know", async () => {
    const foreign = await operator.createForeignUser("stranger");
    expect(operator.serverConfig).not.toContain(decodeJwt(foreign.jwt).claims.iss);
    const refused = await connectNats(server.port, readCreds(foreign.credsFile));
    refused.client.close();
    expect(refused.reply).toMatch(/^-ERR 'Authorization Violation'/);
  });

  it("enables JetStream for the account's users", async () => {
    const { client } = await connectNats(server.port, readCreds(user.credsFile));
    try {
      const info = JSON.parse(await request(client, "$JS.API.INFO")) as Record<string, unknown>;
      expect(info["error"]).toBeUndefined();
      expect(info["type"]).toBe("io.nats.jetstream.api.v1.account_info_response");
    } finally {
      client.close();
    }
  });

  it("puts a user's publish and subscribe allow lists into its JWT, and nats-server enforces them", async () => {
    const limited = await operator.createUser("limited", {
      pub: { allow: ["orders.>"] },
      sub: { allow: ["orders.>", "_INBOX.>"] },
    });
    expect(decodeJwt(limited.jwt).claims.nats).toMatchObject({
      pub: { allow: ["orders.>"] },
      sub: { allow: ["orders.>", "_INBOX.>"] },
    });
    expect(decodeJwt(user.jwt).claims.nats["pub"]).toBeUndefined();

    const { client, reply } = await connectNats(server.port, readCreds(limited.credsFile));
    try {
      expect(reply).toBe("PONG");
      expect(await exchange(client, "SUB orders.> 1\r\nPUB orders.new 2\r\nhi\r\n")).toMatch(
        /^MSG orders\.new 1 2\r\nhi\r\nPONG\r\n$/,
      );
      expect(await exchange(client, "PUB payments.new 2\r\nhi\r\n")).toMatch(
        /-ERR 'Permissions Violation for Publish to "payments\.new"'/,
      );
      expect(await exchange(client, "SUB payments.> 2\r\n")).toMatch(
        /-ERR 'Permissions Violation for Subscription to "payments\.>"'/,
      );
    } finally {
      client.close();
    }
  });
});

describe("NatsOperator cleanup", () => {
  it("dispose() deletes the creds files, and disposeAll() those of operators not disposed yet", async () => {
    const disposed = await makeNatsOperator();
    const first = await disposed.createUser("one");
    await disposed.dispose();
    expect(existsSync(dirname(first.credsFile))).toBe(false);
    await expect(disposed.dispose()).resolves.toBeUndefined();

    const pending = await makeNatsOperator();
    const second = await pending.createUser("two");
    await disposeAll();
    expect(existsSync(dirname(second.credsFile))).toBe(false);
  });
});

describe("makeNkeyUser", () => {
  afterAll(() => disposeAll());

  it("makes an nkey whose seed a nats-server listing the public key accepts, and no other seed", async () => {
    const user = makeNkeyUser();
    const other = makeNkeyUser();
    expect(user.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(user.seed).toMatch(/^SU[A-Z2-7]{56}$/);
    expect(fromSeed(new TextEncoder().encode(user.seed)).getPublicKey()).toBe(user.publicKey);
    const server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${JSON.stringify(user.publicKey)} } ] }`,
      jetstream: false,
    });
    const accepted = await connectNats(server.port, { nkeySeed: user.seed });
    accepted.client.close();
    expect(accepted.reply).toBe("PONG");
    const refused = await connectNats(server.port, { nkeySeed: other.seed });
    refused.client.close();
    expect(refused.reply).toMatch(/^-ERR 'Authorization Violation'/);
  });
});
