// Issue 28 item 5.6: a host bound to every interface advertises an address its peers can reach — through
// `lattice status --hosts` on real processes, and the rule itself with a fixed set of interfaces.
import type { NetworkInterfaceInfo } from "node:os";
import { disposeAll, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { advertisedUrl } from "./advertised-address.js";

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

function nic(address: string, family: "IPv4" | "IPv6", internal = false): NetworkInterfaceInfo {
  const common = { address, internal, mac: "00:00:00:00:00:00", cidr: null };
  return family === "IPv4"
    ? { ...common, family, netmask: "255.255.255.0" }
    : { ...common, family, netmask: "ffff:ffff:ffff:ffff::", scopeid: 0 };
}

const MACHINE = {
  interfaces: {
    lo: [nic("127.0.0.1", "IPv4", true), nic("::1", "IPv6", true)],
    eth0: [nic("fe80::1", "IPv6"), nic("2001:db8::7", "IPv6"), nic("10.1.2.3", "IPv4")],
  },
  hostname: "box.example",
};

describe("the HTTP address a host advertises", () => {
  it("is the bound one for a specific address", () => {
    expect(advertisedUrl({ host: "127.0.0.1", port: 7411 }, undefined, MACHINE)).toBe(
      "http://127.0.0.1:7411",
    );
    expect(advertisedUrl({ host: "::1", port: 7411 }, undefined, MACHINE)).toBe("http://[::1]:7411");
  });

  it("is the first non-internal IPv4 address for 0.0.0.0 and ::", () => {
    expect(advertisedUrl({ host: "0.0.0.0", port: 7411 }, undefined, MACHINE)).toBe("http://10.1.2.3:7411");
    expect(advertisedUrl({ host: "::", port: 7411 }, undefined, MACHINE)).toBe("http://10.1.2.3:7411");
  });

  it("is a global IPv6 address for :: without IPv4, and the host name with no outside interface at all", () => {
    const v6 = { ...MACHINE, interfaces: { eth0: [nic("fe80::1", "IPv6"), nic("2001:db8::7", "IPv6")] } };
    expect(advertisedUrl({ host: "::", port: 1 }, undefined, v6)).toBe("http://[2001:db8::7]:1");
    const none = { ...MACHINE, interfaces: { lo: [nic("127.0.0.1", "IPv4", true)] } };
    expect(advertisedUrl({ host: "0.0.0.0", port: 1 }, undefined, none)).toBe("http://box.example:1");
  });

  it("is http.advertise when set", () => {
    expect(advertisedUrl({ host: "0.0.0.0", port: 1 }, "https://lattice.example/", MACHINE)).toBe(
      "https://lattice.example",
    );
  });
});

describe("a host bound to 0.0.0.0, as its peers see it (`lattice status --hosts`)", () => {
  async function advertisedBy(extraEnv: Record<string, string>): Promise<unknown> {
    const nats = await startNatsServer();
    const prefix = "advertise";
    const env = cleanEnv({ LATTICE_HTTP_PUBLIC: "true", ...extraEnv });
    const common = ["--nats-url", nats.url, "--prefix", prefix];
    const host = LatticeProcess.start(["host", ...common, "--http-host", "0.0.0.0", "--http-port", "0"], {
      env,
    });
    await host.waitForOutput(/listening on/, { timeoutMs: 60_000 });
    const r = await runLattice(["status", "--hosts", "--json", ...common], { env });
    expect(r.code, r.stderr).toBe(0);
    host.signal("SIGINT");
    await host.finished(30_000);
    const [answer] = (JSON.parse(r.stdout) as { hosts: { http: unknown }[] }).hosts;
    return answer?.http;
  }

  it("is not told http://0.0.0.0:PORT", async () => {
    const http = await advertisedBy({});
    expect(http).toMatch(/^http:\/\/.+:\d+$/);
    expect(http).not.toMatch(/0\.0\.0\.0/);
  });

  it("is told http.advertise when set", async () => {
    expect(await advertisedBy({ LATTICE_HTTP_ADVERTISE: "http://lattice-a.example:7411" })).toBe(
      "http://lattice-a.example:7411",
    );
  });
});
