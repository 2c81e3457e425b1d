// What a requester accepts of one status answer (issue 27: the host trusts no peer): every field is bounded,
// and the HTTP address is an absolute http(s) URL or nothing.

import { decodeHostStatusReport, type HostStatusReport } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";

const report: HostStatusReport = {
  hostId: "host-1a2b3c4d",
  backend: "jetstream",
  prefix: "default",
  state: "live",
  ordered: true,
  revision: 42,
  backendRevision: 42,
  digest: "0123456789abcdef0123456789ab",
  counts: { linkdefs: 3, claims: 1, refmaps: 1 },
  staleForMs: 0,
  version: "0.1.0",
  http: "http://127.0.0.1:7411",
};

const decode = (fields: Record<string, unknown>) =>
  decodeHostStatusReport(JSON.stringify({ ...report, ...fields }));

describe("issue 27 item 3: the http field is an absolute http: or https: URL, or null", () => {
  it("keeps http and https addresses as they were sent", () => {
    for (const http of ["http://127.0.0.1:7411", "https://lattice.example/hosts/a?x=1", "http://[::1]:80/"]) {
      expect(decode({ http })).toMatchObject({ http });
    }
  });

  it("drops every other scheme, relative or malformed address, control character and overlong text to null", () => {
    const refused = [
      "javascript:alert(document.cookie)",
      "JavaScript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox",
      "file:///etc/passwd",
      "//evil.example/",
      "/relative/path",
      "not a url",
      "http://evil.example/\u0000",
      "http://evil.example/\u001b[2J",
      " http://leading.space/",
      "http://bidi.example/\u202e",
      `http://long.example/${"a".repeat(2048)}`,
      "",
    ];
    for (const http of refused) expect(decode({ http }), http).toMatchObject({ http: null });
  });

  it("a non-string http is null too", () => {
    expect(decode({ http: 42 })).toMatchObject({ http: null });
    expect(decode({ http: { href: "javascript:x" } })).toMatchObject({ http: null });
  });
});

describe("issue 27 item 2: every field of an answer is bounded", () => {
  it("a host id must be 1–256 characters of letters, digits and _ . : = -", () => {
    expect(decode({ hostId: "h".repeat(256) })).toMatchObject({ hostId: "h".repeat(256) });
    for (const hostId of ["h".repeat(257), "two words", "esc\u001b[31mape", "new\nline", "ü-host", ""]) {
      expect(decode({ hostId }), hostId).toEqual(expect.stringMatching(/not a host status .*hostId/));
    }
  });

  it("backend, prefix, version and digest are short printable texts", () => {
    for (const field of ["backend", "prefix", "version", "digest"]) {
      expect(decode({ [field]: "x".repeat(1000) }), field).toEqual(
        expect.stringMatching(new RegExp(`not a host status .*${field}`)),
      );
      expect(decode({ [field]: "a\u0007b" }), field).toEqual(expect.any(String));
    }
  });
});
