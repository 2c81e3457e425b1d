// The Redis settings a deployment is configured with — one server, a Cluster or a Sentinel deployment,
// credentials, TLS, the change log's length: part of the backend's options (redis-backend-options.ts) and,
// the very same schemas, the host's `redis` config section (host/redis-plugin.ts).
import type { SettingsValues } from "@lattice-cache/plugin";
import { hostPortList, integer, mapping, setting, text, toggle, url } from "@lattice-cache/plugin";

/** Default Redis URL. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** A Sentinel deployment: absent unless set, and then both the master's name and a sentinel are needed. */
const sentinel = mapping({
  name: setting(text().optional(), { description: "the monitored master's name (Sentinel)" }),
  sentinels: setting(hostPortList().optional(), { description: "Sentinel addresses, `host:port` (list)" }),
})
  .superRefine((given, ctx) => {
    if (given.name === undefined) {
      ctx.addIssue({ code: "custom", message: "is required when redis.sentinel is set", path: ["name"] });
    }
    if (given.sentinels === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "needs at least one host:port when redis.sentinel is set",
        path: ["sentinels"],
      });
    }
  })
  .transform((given) => ({ name: given.name as string, sentinels: given.sentinels as string[] }))
  .optional();

/** The `redis` settings. */
export const REDIS_SETTINGS = {
  url: setting(url(["redis:", "rediss:"]).default(DEFAULT_REDIS_URL), {
    description: "Redis URL (`redis://` or `rediss://`)",
    env: "LATTICE_REDIS_URL",
    flag: "--redis-url <url>",
    secret: "url-credentials",
  }),
  username: setting(text().optional(), { description: "ACL user name", env: "LATTICE_REDIS_USERNAME" }),
  password: setting(text().optional(), {
    description: "password",
    env: "LATTICE_REDIS_PASSWORD",
    secret: true,
  }),
  tls: setting(toggle().default(false), {
    description: "use TLS (`rediss://` implies it)",
    env: "LATTICE_REDIS_TLS",
  }),
  cluster: setting(hostPortList().optional(), {
    description: "Redis Cluster seed nodes, `host:port` (list); when set, `url` is ignored",
  }),
  sentinel,
  changeLogLength: setting(integer(1, 1_000_000_000).default(100_000), {
    description: "entries kept in the change-log stream",
  }),
};

/** Validated Redis settings: the host's `redis` section. */
export type RedisSettings = SettingsValues<typeof REDIS_SETTINGS>;
