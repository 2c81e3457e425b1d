import { describe, expect, it } from "vitest";
import * as harness from "./index.js";

describe("the public entry point", () => {
  it("exposes the harness API and nothing else at runtime", () => {
    expect(Object.keys(harness).sort()).toEqual(
      [
        "PostgresNotInstalledError",
        "PostgresQueryError",
        "RedisReplyError",
        "StoreProxies",
        "disposeAll",
        "findExecutable",
        "formatReply",
        "freePort",
        "makeNatsOperator",
        "makeNkeyUser",
        "makeTlsCertificates",
        "redisCommand",
        "redisPipeline",
        "startFaultProxy",
        "startManagedServer",
        "startNatsCluster",
        "startNatsServer",
        "startPostgresServer",
        "startRedisCluster",
        "startRedisServer",
        "waitFor",
      ].sort(),
    );
  });
});
