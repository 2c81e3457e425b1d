// What `config print` and the logs may show of a configuration: secret settings as ***, URL settings as
// core's redactUrl shows them.
import { REDACTED } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./load-config.js";
import { maskSecrets } from "./mask-secrets.js";

const BACKENDS = ["jetstream", "redis", "memory", "postgres"];

describe("secrets are masked for printing", () => {
  it("replaces tokens, passwords, nkey seeds and URL credentials with ***", () => {
    const config = loadConfig({
      env: {
        LATTICE_NATS_TOKEN: "tok-secret",
        LATTICE_REDIS_PASSWORD: "redis-secret",
        LATTICE_REDIS_URL: "redis://user:url-secret@r:1",
        LATTICE_NATS_URL: "nats://ann:nats-secret@n:4222,nats://justatoken-secret@n2:4222,nats://n3:4222",
      },
      backends: BACKENDS,
    });
    const masked = maskSecrets(config);
    const text = JSON.stringify(masked);
    for (const secret of ["tok-secret", "redis-secret", "url-secret", "nats-secret", "justatoken-secret"])
      expect(text).not.toContain(secret);
    expect(masked.nats.auth.token).toBe(REDACTED);
    expect(masked.redis.password).toBe(REDACTED);
    expect(masked.redis.url).toBe("redis://user:***@r:1");
    expect(masked.nats.servers).toEqual(["nats://ann:***@n:4222", "nats://***@n2:4222", "nats://n3:4222"]);
  });

  it("issue 27 item 6: masks ?password= and &sslpassword= of postgres and redis URLs, and keeps the user name", () => {
    const config = loadConfig({
      env: {
        LATTICE_BACKEND: "postgres",
        LATTICE_POSTGRES_URL:
          "postgres://lattice@db:5432/lattice?sslmode=require&password=pg-secret&sslpassword=ssl-secret",
        LATTICE_REDIS_URL: "redis://r:6379/0?password=redis-query-secret",
      },
      backends: BACKENDS,
    });
    const masked = maskSecrets(config);
    expect(masked.postgres.url).toBe(
      "postgres://lattice@db:5432/lattice?sslmode=require&password=***&sslpassword=***",
    );
    expect(masked.redis.url).toBe("redis://r:6379/0?password=***");
    // The configuration itself is untouched: only the copy is masked.
    expect(config.postgres.url).toContain("pg-secret");
  });
});
