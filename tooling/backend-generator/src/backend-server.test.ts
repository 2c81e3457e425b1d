// What the generator asks about the new backend's server, without running it (the end-to-end test runs it
// with answers of its own): the URL scheme and the test's server executable, never made up from the name.
import { describe, expect, it } from "vitest";
import {
  checkServerCommand,
  checkUrlScheme,
  DEFAULT_URL_SCHEME,
  serverCommand,
  urlScheme,
} from "../../../turbo/generators/backend-server.js";

describe("the backend generator's server questions", () => {
  it("takes a URL scheme as written, with or without its ://, and a neutral default for none", () => {
    expect(DEFAULT_URL_SCHEME).toBe("tcp");
    expect(["http", "http://", "http:", " redis+tls "].map(urlScheme)).toEqual([
      "http",
      "http",
      "http",
      "redis+tls",
    ]);
    // `--args <name> "" ""` takes the defaults, as pressing enter at the prompts does.
    expect([urlScheme(""), urlScheme(undefined)]).toEqual(["tcp", "tcp"]);
    for (const answer of ["", "http", "etcd3", "grpc+tls", "tcp://"])
      expect(checkUrlScheme(answer), answer).toBe(true);
  });

  it("refuses what no URL could start with", () => {
    for (const answer of ["3d", "http s", "http/", "Ä"]) {
      expect(checkUrlScheme(answer), answer).toMatch(/is not a URL scheme/);
    }
  });

  it("takes an executable name or path, or nothing (the test's server written later)", () => {
    for (const answer of ["", "etcd", "/usr/local/bin/etcd", "redis-server", "./bin/store-1.2"]) {
      expect(checkServerCommand(answer), answer).toBe(true);
    }
    expect([serverCommand("  etcd "), serverCommand(undefined)]).toEqual(["etcd", ""]);
  });

  it("refuses a command line: the arguments are written in the test", () => {
    for (const answer of ["etcd --data-dir x", 'etcd"', "a;b", "$(x)"]) {
      expect(checkServerCommand(answer), answer).toMatch(/is not an executable name or path/);
    }
  });
});
