import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { connect, createServer, type TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeAll } from "./cleanup-registry.js";
import { findExecutable } from "./find-executable.js";
import { makeTlsCertificates, type TlsCertificates } from "./tls-certificates.js";

const run = promisify(execFile);

/** `openssl verify` of `cert` against `caFile` for `purpose`: its output, or openssl's complaint. */
async function verify(caFile: string, cert: string, purpose: "sslserver" | "sslclient"): Promise<string> {
  const args = ["verify", "-CAfile", caFile, "-purpose", purpose, cert];
  return run(findExecutable("openssl"), args).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; stderr?: string }) => `refused: ${error.stdout ?? ""}${error.stderr ?? ""}`,
  );
}

/**
 * A TLS handshake between a server with the server certificate that asks for a client certificate and a
 * client trusting the CA that presents `client`: whether the client verified the server (for 127.0.0.1), and
 * how the server judged the client's certificate (its CN, or why it does not trust it).
 */
async function handshake(
  tls: TlsCertificates,
  client: { cert: string; key: string },
): Promise<{ clientVerifiedServer: boolean; serverSaw: string }> {
  const server = createServer({
    cert: readFileSync(tls.serverCert),
    key: readFileSync(tls.serverKey),
    ca: readFileSync(tls.caFile),
    requestCert: true,
    // Judged below instead, so the handshake completes and the reason can be read.
    rejectUnauthorized: false,
  });
  const serverSaw = new Promise<string>((resolve) => {
    server.on("secureConnection", (socket: TLSSocket) => {
      const subject = socket.getPeerCertificate().subject;
      resolve(
        socket.authorized ? `trusted ${subject.CN}` : `untrusted: ${String(socket.authorizationError)}`,
      );
      socket.end();
    });
    server.on("tlsClientError", (error) => resolve(`handshake failed: ${error.message}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const clientVerifiedServer = await new Promise<boolean>((resolve, reject) => {
      const socket = connect({
        host: "127.0.0.1",
        port,
        ca: readFileSync(tls.caFile),
        cert: readFileSync(client.cert),
        key: readFileSync(client.key),
      });
      socket.on("secureConnect", () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on("error", reject);
    });
    return { clientVerifiedServer, serverSaw: await serverSaw };
  } finally {
    server.close();
  }
}

describe("makeTlsCertificates", () => {
  let tls: TlsCertificates;

  beforeAll(async () => {
    tls = await makeTlsCertificates();
  });

  afterAll(() => disposeAll());

  it("writes every PEM file into its own temp dir", () => {
    const files = [
      tls.caFile,
      tls.serverCert,
      tls.serverKey,
      tls.clientCert,
      tls.clientKey,
      tls.rogueCaFile,
      tls.rogueClientCert,
      tls.rogueClientKey,
    ];
    expect(tls.dir).toMatch(/lattice-tls-/);
    for (const file of files) {
      expect(file.startsWith(`${tls.dir}/`), file).toBe(true);
      expect(readFileSync(file, "utf8"), file).toMatch(/^-----BEGIN /);
    }
  });

  it("has the CA sign a server certificate and a client certificate that openssl verify accepts", async () => {
    expect(await verify(tls.caFile, tls.serverCert, "sslserver")).toBe(`${tls.serverCert}: OK\n`);
    expect(await verify(tls.caFile, tls.clientCert, "sslclient")).toBe(`${tls.clientCert}: OK\n`);
  });

  it("gives each certificate only its role: the server's is no client certificate and vice versa", async () => {
    expect(await verify(tls.caFile, tls.serverCert, "sslclient")).toMatch(
      /^refused: .*unsuitable certificate purpose/s,
    );
    expect(await verify(tls.caFile, tls.clientCert, "sslserver")).toMatch(
      /^refused: .*unsuitable certificate purpose/s,
    );
  });

  it("makes a rogue client certificate that the CA rejects, though its own rogue CA accepts it", async () => {
    expect(await verify(tls.caFile, tls.rogueClientCert, "sslclient")).toMatch(
      /^refused: .*unable to get local issuer certificate/s,
    );
    expect(await verify(tls.rogueCaFile, tls.rogueClientCert, "sslclient")).toBe(
      `${tls.rogueClientCert}: OK\n`,
    );
    expect(await verify(tls.rogueCaFile, tls.clientCert, "sslclient")).toMatch(/^refused: /);
  });

  it("names both 127.0.0.1 and localhost in the server certificate (nats.js sends no server name for IPs)", () => {
    const server = new X509Certificate(readFileSync(tls.serverCert));
    expect(server.subjectAltName?.split(", ").sort()).toEqual(["DNS:localhost", "IP Address:127.0.0.1"]);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkHost("example.com")).toBeUndefined();
    const client = new X509Certificate(readFileSync(tls.clientCert));
    expect(client.subject).toBe("CN=lattice-host");
    expect(client.checkIssued(new X509Certificate(readFileSync(tls.caFile)))).toBe(true);
  });

  it("lets a client with the client certificate complete a mutual-TLS handshake with the server certificate", async () => {
    const seen = await handshake(tls, { cert: tls.clientCert, key: tls.clientKey });
    expect(seen).toEqual({ clientVerifiedServer: true, serverSaw: "trusted lattice-host" });
  });

  it("makes a rogue client certificate that a TLS server trusting the CA judges untrusted", async () => {
    const seen = await handshake(tls, { cert: tls.rogueClientCert, key: tls.rogueClientKey });
    expect(seen).toEqual({
      clientVerifiedServer: true,
      serverSaw: "untrusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });
});

describe("TlsCertificates cleanup", () => {
  it("dispose() deletes the directory, and a second dispose() does nothing", async () => {
    const tls = await makeTlsCertificates();
    expect(existsSync(tls.caFile)).toBe(true);
    await tls.dispose();
    expect(existsSync(tls.dir)).toBe(false);
    await expect(tls.dispose()).resolves.toBeUndefined();
  });

  it("disposeAll() deletes the directories of certificates not disposed yet", async () => {
    const first = await makeTlsCertificates();
    const second = await makeTlsCertificates();
    await disposeAll();
    expect(existsSync(first.dir)).toBe(false);
    expect(existsSync(second.dir)).toBe(false);
  });
});
