// Decentralised NATS auth made on the spot with @nats-io/jwt: an operator, a system account, an account with
// JetStream enabled in its JWT limits, and users (creds files) with optional subject permissions. The server
// runs in operator mode with `resolver: MEMORY` and the accounts in `resolver_preload`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type KeyPair,
} from "@nats-io/jwt";
import type { JwtPermissions } from "./nats-permissions.test-helpers.js";

/** A user of the account: its creds file and the secrets in it (to check they never leak). */
export interface CredsUser {
  readonly credsFile: string;
  /** The creds file's text (JWT + seed). */
  readonly credsText: string;
  readonly seed: string;
  readonly jwt: string;
}

/** An operator-mode setup. */
export interface OperatorSetup {
  /** Append to the nats-server config. */
  readonly serverConfig: string;
  /** Makes a user of the JetStream account, with `permissions` when given (else everything). */
  createUser(name: string, permissions?: JwtPermissions): Promise<CredsUser>;
  /** A user signed by an account the server does not know: the "wrong creds" case. */
  createForeignUser(name: string): Promise<CredsUser>;
  /** Deletes the creds files. */
  remove(): void;
}

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

function seedOf(kp: KeyPair): string {
  return new TextDecoder().decode(kp.getSeed());
}

async function writeUser(
  dir: string,
  name: string,
  account: KeyPair,
  permissions: JwtPermissions | undefined,
): Promise<CredsUser> {
  const user = createUser();
  const jwt = await encodeUser(name, user, account, permissions ?? {});
  const credsText = new TextDecoder().decode(fmtCreds(jwt, user));
  const credsFile = join(dir, `${name}.creds`);
  writeFileSync(credsFile, credsText, { mode: 0o600 });
  return { credsFile, credsText, seed: seedOf(user), jwt };
}

/** Makes the operator, the system account and the JetStream account. */
export async function makeOperatorSetup(): Promise<OperatorSetup> {
  const dir = mkdtempSync(join(tmpdir(), "lattice-reliability-creds-"));
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator("lattice-operator", operator, {
    system_account: system.getPublicKey(),
  });
  const systemJwt = await encodeAccount("SYS", system, { limits: UNLIMITED }, { signer: operator });
  // JetStream is enabled for an account by its JWT limits (storage -1 = unlimited).
  const accountJwt = await encodeAccount(
    "lattice",
    account,
    { limits: { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } },
    { signer: operator },
  );
  const serverConfig = [
    `operator: ${JSON.stringify(operatorJwt)}`,
    `system_account: ${JSON.stringify(system.getPublicKey())}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${system.getPublicKey()}: ${JSON.stringify(systemJwt)}`,
    `  ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}`,
    "}",
  ].join("\n");
  return {
    serverConfig,
    createUser: (name, permissions) => writeUser(dir, name, account, permissions),
    createForeignUser: (name) => writeUser(dir, name, createAccount(), undefined),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
