// Throwaway certificates made with the system's openssl: a CA, a server certificate for 127.0.0.1, a client
// certificate — and a second, untrusted CA with its own client certificate, for the "wrong certificate" case.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM file paths. */
export interface TlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate signed by a CA the server does not trust. */
  readonly rogueClientCert: string;
  readonly rogueClientKey: string;
  /** Deletes the directory. */
  remove(): void;
}

const OPENSSL = "/usr/bin/openssl";

function openssl(...args: string[]): void {
  execFileSync(OPENSSL, args, { stdio: "pipe" });
}

/** A self-signed CA (`<name>.pem`, `<name>.key`). */
function makeCa(dir: string, name: string): void {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    join(dir, `${name}.key`),
    "-out",
    join(dir, `${name}.pem`),
  );
}

/** A certificate `<name>.pem`/`<name>.key` signed by `ca`, with the given extensions. */
function makeCert(dir: string, name: string, cn: string, ca: string, extensions: string): void {
  const p = (file: string) => join(dir, file);
  writeFileSync(p(`${name}.ext`), extensions);
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
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
    p(`${ca}.pem`),
    "-CAkey",
    p(`${ca}.key`),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    p(`${name}.ext`),
    "-out",
    p(`${name}.pem`),
  );
}

/** Makes the certificates in a new temp dir (EC P-256 keys: quick to generate on a busy machine). */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "lattice-reliability-tls-"));
  makeCa(dir, "ca");
  makeCa(dir, "rogue-ca");
  // nats.js 3.4 on Node gives an IP address no TLS server name, so Node verifies the certificate against
  // "localhost" (tls.connect's default host): a certificate for IP:127.0.0.1 alone is refused.
  makeCert(
    dir,
    "server",
    "127.0.0.1",
    "ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  makeCert(dir, "client", "lattice-host", "ca", "extendedKeyUsage=clientAuth\n");
  makeCert(dir, "rogue-client", "lattice-host", "rogue-ca", "extendedKeyUsage=clientAuth\n");
  const p = (file: string) => join(dir, file);
  return {
    dir,
    caFile: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
    rogueClientCert: p("rogue-client.pem"),
    rogueClientKey: p("rogue-client.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
