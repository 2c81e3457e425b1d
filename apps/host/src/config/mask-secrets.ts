// Secrets never leave the process: printed and logged configs go through this first.
import type { HostConfig } from "./host-config.js";

/** What a secret is replaced with. */
export const MASK = "***";

/** A copy of `config` with passwords, tokens, nkey seeds and URL credentials replaced by `***`. */
export function maskSecrets(config: HostConfig): HostConfig {
  const auth = config.nats.auth;
  return {
    ...config,
    nats: {
      ...config.nats,
      servers: config.nats.servers.map(maskUrlCredentials),
      auth: {
        ...auth,
        ...(auth.token !== undefined && { token: MASK }),
        ...(auth.password !== undefined && { password: MASK }),
        ...(auth.nkeySeed !== undefined && { nkeySeed: MASK }),
      },
    },
    redis: {
      ...config.redis,
      url: maskUrlCredentials(config.redis.url),
      ...(config.redis.password !== undefined && { password: MASK }),
    },
  };
}

/** `nats://user:pw@host` → `nats://user:***@host`; a lone user part (a token) is masked too. */
export function maskUrlCredentials(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password !== "") url.password = MASK;
  else if (url.username !== "") url.username = MASK;
  else return text;
  return url.toString().replace(/\/$/, text.endsWith("/") ? "/" : "");
}
