// The "try next" commands `lattice up` prints: they must work verbatim from the repo root, so every setting
// that differs from the defaults is spelled out as a flag — except a secret: NATS URLs holding a password or
// token are shown masked, in an `export LATTICE_NATS_URL=…` line for the user to complete.
import { redactUrl } from "@lattice-cache/core";
import { DEFAULT_NATS_URL } from "@lattice-cache/plugin/nats";
import { DEFAULT_PREFIX } from "../config/core-settings.js";
import type { HostConfig } from "../config/host-config.js";

/**
 * Commands to try against the host `up` started. `given` is the configuration before `up` forced the
 * jetstream backend; `httpUrl` is the host's bound HTTP address.
 */
export function nextSteps(given: HostConfig, httpUrl: string): string[] {
  const flags: string[] = [];
  const before: string[] = [];
  if (given.backend !== "jetstream") flags.push("--backend", "jetstream");
  if (given.configFile !== undefined) flags.push("--config", given.configFile);
  const servers = given.nats.servers;
  if (servers.join(",") !== DEFAULT_NATS_URL) {
    const shown = servers.map((url) => redactUrl(url));
    if (shown.some((url, i) => url !== servers[i])) {
      before.push(
        `export LATTICE_NATS_URL=${shellQuote(shown.join(","))}   # your credentials in place of ***`,
      );
    } else {
      flags.push("--nats-url", servers.join(","));
    }
  }
  if (given.prefix !== DEFAULT_PREFIX) flags.push("--prefix", given.prefix);
  if (given.nats.jsDomain !== undefined) flags.push("--js-domain", given.nats.jsDomain);
  const tail = flags.length ? ` ${flags.map(shellQuote).join(" ")}` : "";
  return [
    ...before,
    `pnpm lattice linkdefs put --actor Mbob --provider Vprov --contract wasmcloud:keyvalue${tail}`,
    `pnpm lattice linkdefs ls${tail}`,
    `pnpm lattice status${tail}`,
    `curl ${httpUrl}/status`,
  ];
}

/** Quotes `word` for POSIX shells when it holds anything beyond plainly safe characters. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
