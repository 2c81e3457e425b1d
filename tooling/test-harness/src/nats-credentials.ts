import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { trackResource, untrackResource } from "./cleanup-registry.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

/** Subject permissions of a user JWT (`nats.pub` / `nats.sub`); a missing side allows everything. */
export interface NatsUserPermissions {
  /** Subjects the user may publish to. */
  readonly pub?: { readonly allow: readonly string[] };
  /** Subjects the user may subscribe on. */
  readonly sub?: { readonly allow: readonly string[] };
}

/** A user of an operator-mode account: its creds file and the secrets in it (to check they never leak). */
export interface NatsCredsUser {
  /** Path of the `.creds` file (mode 0600), for `credsAuthenticator` / `credsFile` options. */
  readonly credsFile: string;
  /** The creds file's text: the user JWT and the nkey seed in the `nsc` format. */
  readonly credsText: string;
  /** The user's nkey seed (`SU…`). */
  readonly seed: string;
  /** The user JWT, signed by its account. */
  readonly jwt: string;
}

/**
 * Decentralised NATS auth made by {@link makeNatsOperator}: an operator, a system account and an account
 * with JetStream enabled (JWTs signed with nkeys), whose users are written as creds files into a temp dir.
 */
export interface NatsOperator {
  /**
   * nats-server config to pass as `startNatsServer({ config })`: `operator`, `system_account`,
   * `resolver: MEMORY`, and both account JWTs in `resolver_preload`.
   */
  readonly serverConfig: string;
  /**
   * Makes a user of the JetStream account and writes `<name>.creds` into the temp dir. Without
   * `permissions` the user may publish and subscribe anywhere.
   */
  createUser(name: string, permissions?: NatsUserPermissions): Promise<NatsCredsUser>;
  /** Makes a user signed by an account the server does not know: the "wrong creds" case. */
  createForeignUser(name: string): Promise<NatsCredsUser>;
  /** Deletes the creds files' temp dir (also done by `disposeAll()` and at process exit). Idempotent. */
  dispose(): Promise<void>;
}

/** An nkey user for a nats-server `authorization { users = [ { nkey: <publicKey> } ] }` block. */
export interface NatsNkeyUser {
  /** The public nkey (`U…`) to list in the server config. */
  readonly publicKey: string;
  /** The nkey seed (`SU…`) the client signs the server's nonce with. */
  readonly seed: string;
}

/** Account limits without any limit; `wildcards` allows wildcard exports. */
const UNLIMITED = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};

/** JetStream is enabled for an account by its JWT limits (storage -1 = unlimited). */
const JETSTREAM_UNLIMITED = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

const text = new TextDecoder();

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

function seedOf(keyPair: KeyPair): string {
  return text.decode(keyPair.getSeed());
}

/** A NATS v2 JWT (`alg: ed25519-nkey`) for `subject` carrying `nats` claims, signed by `issuer`. */
function signJwt(name: string, subject: KeyPair, nats: Record<string, unknown>, issuer: KeyPair): string {
  const header = base64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = {
    jti: base64url(randomBytes(16)),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    sub: subject.getPublicKey(),
    name,
    nats: { ...nats, version: 2 },
  };
  const payload = base64url(JSON.stringify(claims));
  const signature = issuer.sign(new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${base64url(signature)}`;
}

/** The creds file format of `nsc`: the user JWT, then the user's nkey seed. */
function formatCreds(jwt: string, seed: string): string {
  return (
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
    `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`
  );
}

async function writeUser(
  dir: string,
  name: string,
  account: KeyPair,
  permissions: NatsUserPermissions | undefined,
): Promise<NatsCredsUser> {
  const user = createUser();
  const jwt = signJwt(name, user, { type: "user", subs: -1, data: -1, payload: -1, ...permissions }, account);
  const seed = seedOf(user);
  const credsText = formatCreds(jwt, seed);
  const credsFile = join(dir, `${name}.creds`);
  await writeFile(credsFile, credsText, { mode: 0o600 });
  return { credsFile, credsText, seed, jwt };
}

/**
 * Makes an operator, a system account (`SYS`) and an account (`lattice`) with JetStream and no limits, for
 * a nats-server in operator mode with the accounts preloaded into a memory resolver; its users' creds files
 * go into a new temp dir `lattice-creds-XXXXXX`, deleted by the handle's `dispose()`, by `disposeAll()`, or
 * at the latest at process exit.
 */
export async function makeNatsOperator(): Promise<NatsOperator> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const systemKey = system.getPublicKey();
  const operatorJwt = signJwt(
    "lattice-operator",
    operator,
    { type: "operator", system_account: systemKey },
    operator,
  );
  const systemJwt = signJwt("SYS", system, { type: "account", limits: UNLIMITED }, operator);
  const accountJwt = signJwt(
    "lattice",
    account,
    { type: "account", limits: { ...UNLIMITED, ...JETSTREAM_UNLIMITED } },
    operator,
  );
  const serverConfig = [
    `operator: ${JSON.stringify(operatorJwt)}`,
    `system_account: ${JSON.stringify(systemKey)}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${systemKey}: ${JSON.stringify(systemJwt)}`,
    `  ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}`,
    "}",
  ].join("\n");
  const dir = await makeTempDir("creds");
  const handle: NatsOperator = {
    serverConfig,
    createUser: (name, permissions) => writeUser(dir, name, account, permissions),
    createForeignUser: (name) => writeUser(dir, name, createAccount(), undefined),
    async dispose() {
      untrackResource(handle);
      await removeTempDir(dir);
    },
  };
  trackResource(handle);
  return handle;
}

/** Makes an nkey user (no JWT) for a nats-server `authorization` block that lists nkeys. */
export function makeNkeyUser(): NatsNkeyUser {
  const user = createUser();
  return { publicKey: user.getPublicKey(), seed: seedOf(user) };
}
