// Status answers signed with the lattice's status secret (issue 27 item 5): HMAC-SHA256 over the exact answer
// bytes, carried as the answer's last member so older requesters still read the answer.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import {
  checkAnswerSignature,
  decodeHostStatusReport,
  type HostStatusReport,
  StatusSecret,
  signAnswer,
  statusSecretOf,
} from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";

const report: HostStatusReport = {
  hostId: "host-a",
  backend: "jetstream",
  prefix: "default",
  state: "live",
  ordered: true,
  revision: 7,
  backendRevision: 7,
  digest: "0123456789abcdef0123456789ab",
  counts: { linkdefs: 1, claims: 0, refmaps: 2 },
  staleForMs: 0,
  version: "0.1.0",
  http: "http://127.0.0.1:7411",
};
const secret = StatusSecret.from("the-lattice-status-secret");
const body = JSON.stringify({ ...report, nonce: "n1" });

describe("issue 27 item 5: status answers signed with the status secret", () => {
  it("a signed answer checks with the same secret, and older requesters read it as before", () => {
    const signed = signAnswer(body, secret);
    expect(signed).toMatch(/^\{.*,"signature":"[0-9a-f]{64}"\}$/);
    expect(checkAnswerSignature(signed, secret)).toBe("signed");
    expect(decodeHostStatusReport(signed)).toEqual(report);
  });

  it("a changed byte, another secret or a missing signature do not check", () => {
    const signed = signAnswer(body, secret);
    expect(checkAnswerSignature(signed.replace('"revision":7', '"revision":8'), secret)).toBe(
      "wrong signature",
    );
    expect(checkAnswerSignature(signed, StatusSecret.from("another-lattice-secret"))).toBe("wrong signature");
    expect(checkAnswerSignature(body, secret)).toBe("unsigned");
    expect(checkAnswerSignature(`${body.slice(0, -1)},"signature":"${"0".repeat(64)}"}`, secret)).toBe(
      "wrong signature",
    );
  });

  it("the secret comes from status.secret or from the file status.secretFile names; never both, never short", () => {
    const dir = mkdtempSync(join(tmpdir(), "status-secret-"));
    const file = join(dir, "secret");
    writeFileSync(file, "  the-lattice-status-secret\n");
    const fromFile = statusSecretOf({ secretFile: file });
    const fromText = statusSecretOf({ secret: "the-lattice-status-secret" });
    expect(fromFile && checkAnswerSignature(signAnswer(body, fromFile), secret)).toBe("signed");
    expect(fromText && checkAnswerSignature(signAnswer(body, fromText), secret)).toBe("signed");
    expect(statusSecretOf({})).toBeUndefined();

    writeFileSync(file, "short\n");
    const thrown = (read: () => unknown): unknown => {
      try {
        read();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const short = thrown(() => statusSecretOf({ secretFile: file }));
    expect(short).toBeInstanceOf(ConfigurationError);
    expect(short).toMatchObject({ field: "status.secretFile" });
    expect((short as Error).message).not.toContain("short\n");
    expect(thrown(() => statusSecretOf({ secretFile: join(dir, "missing") }))).toMatchObject({
      field: "status.secretFile",
      message: expect.stringContaining("status.secretFile cannot be read"),
    });
  });

  it("a secret never shows in what the object prints", () => {
    expect(JSON.stringify(secret)).not.toContain("the-lattice-status-secret");
    expect(String(secret)).not.toContain("the-lattice-status-secret");
  });
});
