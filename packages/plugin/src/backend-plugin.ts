// What a backend contributes to a host: its name, its settings, how to make it, and what the host asks of it
// besides (where it connects, which lattices exist, doctor checks, a status channel, how to phrase a failure
// to open). A backend package exports one from its `./host` door; the host checks `pluginApiVersion` first.
import { ConfigurationError, type Logger } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { DoctorCheck } from "./doctor-check.js";
import type { PluginHostConfig } from "./plugin-host-config.js";
import type { ConfigSection, SectionValues } from "./settings/config-section.js";
import type { StatusBus } from "./status/status-bus.js";
import type { StatusChannelContext } from "./status/status-channel-context.js";

/**
 * The version of this contract. A host loads a plugin built for the same version only; it is raised when a
 * plugin built for the previous one would no longer work (a member removed or its meaning changed).
 */
export const PLUGIN_API_VERSION = 1;

/** The configuration a plugin with `section` gets: the host settings and its own section, validated. */
export type PluginConfig<C extends ConfigSection | undefined = undefined> = PluginHostConfig &
  (C extends ConfigSection ? SectionValues<C> : unknown);

/** What the host lends a plugin's functions. */
export interface PluginHost {
  /** The host's logger (pino-compatible). */
  readonly logger: Logger;
  /**
   * What a status bus needs from the host: its logger, the counters of what the bus refuses, and the status
   * secret. Reading it may throw `ConfigurationError` (an unreadable `status.secretFile`).
   */
  statusChannel(): StatusChannelContext;
}

/** How a plugin phrases an error its backend's `open()` threw, for the CLI: a message and the fix. */
export interface OpenFailure {
  /** One line saying what is wrong. */
  readonly message: string;
  /** What to do about it, when the plugin knows. */
  readonly fix?: string;
}

/**
 * A backend as a host plugin. `C` is the configuration its functions read: {@link PluginConfig} of its
 * section (validated by the host before any function is called).
 */
export interface BackendPlugin<C extends PluginHostConfig = PluginHostConfig> {
  /** The {@link PLUGIN_API_VERSION} the plugin was built for. */
  readonly pluginApiVersion: number;
  /** The name `backend:` selects, e.g. `jetstream`. */
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  /**
   * The backend's settings: a top-level key of the configuration with settings that carry their defaults,
   * validation, env variables and flags — the same schema the backend's library options are parsed with.
   * They join the host's schema, env and flag bindings, `config print` and its masking. Default: none.
   */
  readonly config?: ConfigSection;
  /**
   * Sections of settings the plugin shares with other backends and reads too — e.g. the `nats` connection
   * settings its status channel uses: `[configSection("nats", NATS_CONNECTION_SETTINGS)]`. They join the schema
   * like `config`, merged with the other backends' sections of the same key (a setting both name must be the
   * very same schema object). Default: none.
   */
  readonly sharedSections?: readonly ConfigSection[];
  /** Makes an unopened backend. */
  create(config: C, host: PluginHost): LatticeBackend;
  /** Where this backend connects, for messages: e.g. `NATS at nats://127.0.0.1:4222`. */
  target?(config: C): string;
  /**
   * The prefixes of the lattices that exist on the configured servers (read only, creates nothing). Without
   * it the host cannot tell whether a lattice exists before opening it, and creates it as the backend does.
   */
  lattices?(config: C, host: PluginHost): Promise<readonly string[]>;
  /** Backend-specific `lattice doctor` checks (connectivity, server features, storage settings). */
  diagnose?(config: C, host: PluginHost): Promise<DoctorCheck[]>;
  /**
   * The lattice-wide status channel hosts of this backend answer on (`lattice status --hosts`). Without one,
   * hosts of this backend cannot be audited. Any plugin may use the NATS one (`@lattice-cache/plugin/nats`).
   */
  statusBus?(config: C, host: PluginHost): StatusBus;
  /**
   * Phrases an error `open()` threw that only this backend knows (e.g. "JetStream is not enabled" with the
   * server flag that enables it); undefined leaves it to the host's generic message.
   */
  describeOpenFailure?(error: unknown, config: C): OpenFailure | undefined;
}

/**
 * A plugin the host cannot load: built for another contract version (`reason` `api-version`), or not a
 * backend plugin at all (`not-a-plugin`). A `ConfigurationError` of the `backend` setting.
 */
export class PluginLoadError extends ConfigurationError {
  /** Why the plugin cannot be loaded. */
  readonly reason: "api-version" | "not-a-plugin";
  /** Where the plugin came from (its package name). */
  readonly source: string;

  constructor(reason: "api-version" | "not-a-plugin", source: string, message: string) {
    super(message, { field: "backend" });
    this.name = "PluginLoadError";
    this.reason = reason;
    this.source = source;
  }
}

/**
 * `plugin` when it is a backend plugin for this contract version; throws {@link PluginLoadError} when it was
 * built for another or is no plugin at all. `source` names it in messages.
 */
export function checkBackendPlugin(plugin: unknown, source: string): BackendPlugin {
  if (typeof plugin !== "object" || plugin === null) {
    throw new PluginLoadError(
      "not-a-plugin",
      source,
      `${source} does not export a backend plugin (got ${typeof plugin})`,
    );
  }
  const candidate = plugin as Partial<BackendPlugin>;
  if (candidate.pluginApiVersion !== PLUGIN_API_VERSION) {
    throw new PluginLoadError(
      "api-version",
      source,
      `${source} is a backend plugin for plugin API version ${String(candidate.pluginApiVersion)}, but this ` +
        `lattice loads version ${PLUGIN_API_VERSION}: install a release of ${source} built for plugin API ` +
        `${PLUGIN_API_VERSION} (@lattice-cache/plugin ${PLUGIN_API_VERSION}.x)`,
    );
  }
  if (typeof candidate.name !== "string" || typeof candidate.create !== "function") {
    throw new PluginLoadError(
      "not-a-plugin",
      source,
      `${source} does not export a backend plugin (it needs a name and create())`,
    );
  }
  return plugin as BackendPlugin;
}

/** The config sections `plugin` contributes: its own (`config`), then those it shares (`sharedSections`). */
export function sectionsOf(
  plugin: Pick<BackendPlugin, "config" | "sharedSections">,
): readonly ConfigSection[] {
  return [...(plugin.config ? [plugin.config] : []), ...(plugin.sharedSections ?? [])];
}

/** Declares a backend plugin for this contract version (stamps {@link PLUGIN_API_VERSION}). */
export function defineBackendPlugin<C extends PluginHostConfig>(
  plugin: Omit<BackendPlugin<C>, "pluginApiVersion">,
): BackendPlugin<C> {
  return { pluginApiVersion: PLUGIN_API_VERSION, ...plugin };
}
