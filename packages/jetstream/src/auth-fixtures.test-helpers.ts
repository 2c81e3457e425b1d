// Credentials for connection tests, made on the spot: an operator/account/user JWT chain with a creds file
// (decentralised auth), and a CA with server and client certificates (openssl). Not part of the build.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/nats-core";

type KeyPair = ReturnType<typeof nkeys.createOperator>;

const made: string[] = [];

/** A private temp dir, removed by `removeFixtureDirs()`. */
function fixtureDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lattice-${label}-`));
  made.push(dir);
  return dir;
}

/** Removes every directory the fixtures made (call in `afterAll`). */
export function removeFixtureDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

function signJwt(claims: Record<string, unknown>, signer: KeyPair): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const body = {
    jti: b64url(crypto.getRandomValues(new Uint8Array(16))),
    iat: Math.floor(Date.now() / 1000),
    ...claims,
  };
  const payload = b64url(JSON.stringify(body));
  const signature = signer.sign(new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${b64url(signature)}`;
}

/** An operator-mode server config (JetStream enabled for the account) and a user's creds file. */
export interface JwtSetup {
  /** Append to the nats-server config. */
  readonly serverConfig: string;
  /** Path of the user's `.creds` file. */
  readonly credsFile: string;
  /** The user's nkey seed (for nkey-only tests it is not enough: the server wants the JWT too). */
  readonly userSeed: string;
}

/** Makes an operator, an account with JetStream, and a user; writes the user's creds file. */
export function makeJwtSetup(): JwtSetup {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const system = nkeys.createAccount();
  const user = nkeys.createUser();
  const opPub = operator.getPublicKey();
  const accPub = account.getPublicKey();
  const sysPub = system.getPublicKey();
  const operatorJwt = signJwt(
    { iss: opPub, sub: opPub, name: "op", nats: { type: "operator", version: 2, system_account: sysPub } },
    operator,
  );
  const unlimited = {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
  };
  const accountJwt = signJwt(
    {
      iss: opPub,
      sub: accPub,
      name: "lattice",
      nats: {
        type: "account",
        version: 2,
        limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
      },
    },
    operator,
  );
  const systemJwt = signJwt(
    { iss: opPub, sub: sysPub, name: "SYS", nats: { type: "account", version: 2, limits: unlimited } },
    operator,
  );
  const userJwt = signJwt(
    {
      iss: accPub,
      sub: user.getPublicKey(),
      name: "host",
      nats: { type: "user", version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 },
    },
    account,
  );
  const seed = new TextDecoder().decode(user.getSeed());
  const dir = fixtureDir("creds");
  const credsFile = join(dir, "host.creds");
  writeFileSync(
    credsFile,
    `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n` +
      `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
    { mode: 0o600 },
  );
  const serverConfig = [
    `operator: ${JSON.stringify(operatorJwt)}`,
    `system_account: ${JSON.stringify(sysPub)}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${accPub}: ${JSON.stringify(accountJwt)}`,
    `  ${sysPub}: ${JSON.stringify(systemJwt)}`,
    "}",
  ].join("\n");
  return { serverConfig, credsFile, userSeed: seed };
}

/** An nkey user for `authorization { users: [{ nkey: … }] }`. */
export function makeNkeyUser(): { readonly publicKey: string; readonly seed: string } {
  const user = nkeys.createUser();
  return { publicKey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) };
}

/** PEM files of a throwaway CA, a server certificate for 127.0.0.1, and a client certificate. */
export interface TlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Makes the certificates with the system's openssl. */
export function makeTlsFiles(): TlsFiles {
  const dir = fixtureDir("tls");
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=lattice-test-ca",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
  );
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, cn] of [
    ["server", "127.0.0.1"],
    ["client", "lattice-host"],
  ] as const) {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.csr`),
    );
    openssl(
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.pem"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      p(`${name}.ext`),
      "-out",
      p(`${name}.pem`),
    );
  }
  return {
    dir,
    caFile: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
  };
}
