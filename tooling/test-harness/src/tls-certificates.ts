import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { trackResource, untrackResource } from "./cleanup-registry.js";
import { findExecutable } from "./find-executable.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const run = promisify(execFile);

/**
 * Throwaway PEM files made by {@link makeTlsCertificates} (all paths inside {@link TlsCertificates.dir}):
 * a CA, a server certificate it signed, a client certificate it signed, and a second CA that nothing
 * trusts ("rogue") with a client certificate of its own, for the "wrong certificate" case.
 */
export interface TlsCertificates {
  /** The temp dir holding every file (deleted by {@link TlsCertificates.dispose}). */
  readonly dir: string;
  /** The trusted CA's certificate (`ca_file` for nats-server, `caFile` for clients). */
  readonly caFile: string;
  /**
   * Server certificate signed by the CA, with the subject alternative names `IP:127.0.0.1` and
   * `DNS:localhost` and extended key usage `serverAuth`. Both names are needed: nats.js sends no TLS server
   * name when it connects to an IP address, so Node checks the certificate against `localhost`.
   */
  readonly serverCert: string;
  /** The server certificate's private key. */
  readonly serverKey: string;
  /** Client certificate (CN `lattice-host`, extended key usage `clientAuth`) signed by the CA. */
  readonly clientCert: string;
  /** The client certificate's private key. */
  readonly clientKey: string;
  /** Certificate of a second, self-signed CA that the server does not trust. */
  readonly rogueCaFile: string;
  /** Client certificate (CN `lattice-host`, `clientAuth`) signed by the rogue CA. */
  readonly rogueClientCert: string;
  /** The rogue client certificate's private key. */
  readonly rogueClientKey: string;
  /** Deletes the directory (also done by `disposeAll()` and at process exit). Idempotent. */
  dispose(): Promise<void>;
}

/** Certificates live two days: long enough for any test run, short enough to be useless if they leak. */
const VALID_DAYS = "2";

/** EC P-256 keys: much quicker to generate than RSA on a busy machine. */
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Runs openssl with `args`; a failure carries openssl's stderr. */
async function openssl(executable: string, args: readonly string[]): Promise<void> {
  try {
    await run(executable, args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args.slice(0, 2).join(" ")} failed: ${stderr.trim() || String(error)}`);
  }
}

/** A self-signed CA: `<dir>/<name>.pem` and `<dir>/<name>.key`. */
async function makeCa(executable: string, dir: string, name: string): Promise<void> {
  const file = (suffix: string): string => join(dir, `${name}.${suffix}`);
  await openssl(executable, [
    "req",
    "-x509",
    ...KEY,
    "-days",
    VALID_DAYS,
    "-subj",
    `/CN=lattice-test-${name}`,
    "-keyout",
    file("key"),
    "-out",
    file("pem"),
  ]);
}

/** `<dir>/<name>.pem` and `<dir>/<name>.key`, for common name `cn`, signed by the CA `ca`. */
async function makeCertificate(
  executable: string,
  dir: string,
  name: string,
  cn: string,
  ca: string,
  extensions: string,
): Promise<void> {
  const file = (suffix: string): string => join(dir, `${name}.${suffix}`);
  await writeFile(file("ext"), extensions);
  await openssl(executable, [
    "req",
    ...KEY,
    "-subj",
    `/CN=${cn}`,
    "-keyout",
    file("key"),
    "-out",
    file("csr"),
  ]);
  await openssl(executable, [
    "x509",
    "-req",
    "-in",
    file("csr"),
    "-CA",
    join(dir, `${ca}.pem`),
    "-CAkey",
    join(dir, `${ca}.key`),
    "-CAcreateserial",
    "-days",
    VALID_DAYS,
    "-extfile",
    file("ext"),
    "-out",
    file("pem"),
  ]);
}

/**
 * Makes a CA, a server certificate for `127.0.0.1`/`localhost`, a client certificate, and a rogue CA with
 * its own client certificate, with the system's `openssl`, in a new temp dir `lattice-tls-XXXXXX`. The
 * files are deleted by the handle's `dispose()`, by `disposeAll()`, or at the latest at process exit.
 */
export async function makeTlsCertificates(): Promise<TlsCertificates> {
  const executable = findExecutable("openssl");
  const dir = await makeTempDir("tls");
  try {
    await makeCa(executable, dir, "ca");
    await makeCa(executable, dir, "rogue-ca");
    const clientAuth = "extendedKeyUsage=clientAuth\n";
    await makeCertificate(
      executable,
      dir,
      "server",
      "127.0.0.1",
      "ca",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    await makeCertificate(executable, dir, "client", "lattice-host", "ca", clientAuth);
    await makeCertificate(executable, dir, "rogue-client", "lattice-host", "rogue-ca", clientAuth);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const file = (name: string): string => join(dir, name);
  const certificates: TlsCertificates = {
    dir,
    caFile: file("ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server.key"),
    clientCert: file("client.pem"),
    clientKey: file("client.key"),
    rogueCaFile: file("rogue-ca.pem"),
    rogueClientCert: file("rogue-client.pem"),
    rogueClientKey: file("rogue-client.key"),
    async dispose() {
      untrackResource(certificates);
      await removeTempDir(dir);
    },
  };
  trackResource(certificates);
  return certificates;
}
