import { describe, expect, it } from "vitest";
import { renderNatsConfig } from "./nats-config.js";

const base = {
  serverName: "n1",
  port: 40001,
  monitorPort: 40002,
  logPath: "/tmp/x/nats.log",
  jetstreamStoreDir: "/tmp/x/jetstream",
};

describe("renderNatsConfig", () => {
  it("listens on loopback only and names the server", () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('server_name: "n1"');
    expect(text).toContain('listen: "127.0.0.1:40001"');
    expect(text).toContain('http: "127.0.0.1:40002"');
    expect(text).toContain('log_file: "/tmp/x/nats.log"');
  });

  it("configures JetStream with the store dir, limits and optional domain", () => {
    const text = renderNatsConfig({ ...base, jetstreamDomain: "hub" });
    expect(text).toMatch(
      /jetstream \{\n {2}store_dir: "\/tmp\/x\/jetstream"\n {2}max_memory_store: 256MB\n {2}max_file_store: 2GB\n {2}domain: "hub"\n\}/,
    );
  });

  it("omits JetStream, monitoring and the log file when they are disabled", () => {
    const text = renderNatsConfig({
      ...base,
      monitorPort: undefined,
      logPath: undefined,
      jetstreamStoreDir: undefined,
    });
    expect(text).not.toContain("jetstream");
    expect(text).not.toContain("http:");
    expect(text).not.toContain("log_file");
  });

  it("lists every route of a cluster, including the node's own", () => {
    const text = renderNatsConfig({
      ...base,
      cluster: { name: "c", port: 50002, routes: [50001, 50002, 50003] },
    });
    expect(text).toContain('listen: "127.0.0.1:50002"');
    expect(text).toContain(
      'routes: ["nats-route://127.0.0.1:50001", "nats-route://127.0.0.1:50002", "nats-route://127.0.0.1:50003"]',
    );
  });

  it("renders leaf node listen ports and remotes", () => {
    const text = renderNatsConfig({
      ...base,
      leafnodes: { listenPort: 7000, remotes: ["nats-leaf://127.0.0.1:7001"] },
    });
    expect(text).toContain(
      'leafnodes {\n  listen: "127.0.0.1:7000"\n  remotes: [{ url: "nats-leaf://127.0.0.1:7001" }]\n}',
    );
  });

  it("appends extra configuration verbatim at the end", () => {
    const extra = "authorization { token: s3cret }";
    const text = renderNatsConfig({ ...base, extra });
    expect(text.trimEnd().endsWith(extra)).toBe(true);
  });
});
