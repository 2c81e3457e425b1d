// Backends by name: each is a plugin (the `@lattice-cache/plugin` contract) registered with its config
// section; choosing one is configuration, and adding one touches no switch — not even in the configuration.
import { ConfigurationError } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import {
  type BackendPlugin,
  type ConfigSection,
  checkBackendPlugin,
  type OpenFailure,
  type PluginHost,
  type PluginHostConfig,
  type StatusBus,
  sectionsOf,
} from "@lattice-cache/plugin";
import type { CoreConfig } from "../config/core-settings.js";
import { type HostConfigSchema, hostConfigSchema } from "../config/host-config-schema.js";

/** The registry of backend factories. */
export class BackendRegistry {
  private readonly registrations = new Map<string, BackendPlugin>();
  private sections: readonly ConfigSection[] = [];

  /**
   * Adds a backend plugin (and its config section). Throws `PluginLoadError` for a plugin built for another
   * plugin API version; registering a name twice is a programming error.
   */
  registerBackend<C extends PluginHostConfig>(plugin: BackendPlugin<C>, source?: string): this {
    const registration = checkBackendPlugin(plugin, source ?? `the ${plugin.name} backend plugin`);
    if (this.registrations.has(registration.name)) {
      throw new Error(`backend ${registration.name} is already registered`);
    }
    const added = sectionsOf(registration).filter((section) => !this.sections.includes(section));
    const sections = added.length > 0 ? [...this.sections, ...added] : this.sections;
    // Conflicting sections fail here, at registration, not when a config is first loaded.
    hostConfigSchema({ backends: [...this.names, registration.name], sections });
    this.registrations.set(registration.name, registration);
    this.sections = sections;
    return this;
  }

  /** Registered names, in registration order (the allowed values of `backend`; the first is the default). */
  get names(): string[] {
    return [...this.registrations.keys()];
  }

  /** The config sections of the registered backends. */
  get configSections(): readonly ConfigSection[] {
    return this.sections;
  }

  /** The configuration schema of a host with these backends: the core settings plus their sections. */
  configSchema(): HostConfigSchema {
    return hostConfigSchema({ backends: this.names, sections: this.sections });
  }

  /** The registration of `name`; `ConfigurationError` naming the allowed values when there is none. */
  get(name: string): BackendPlugin {
    const registration = this.registrations.get(name);
    if (!registration) {
      throw new ConfigurationError(
        `unknown backend ${JSON.stringify(name)}; allowed values: ${this.names.join(", ")}`,
        {
          field: "backend",
          allowed: this.names,
        },
      );
    }
    return registration;
  }

  /** Makes an unopened backend of the configured kind. */
  create(config: CoreConfig, host: PluginHost): LatticeBackend {
    return this.get(config.backend).create(config, host);
  }

  /** The configured backend's status channel, or undefined when its registration provides none. */
  statusBusOf(config: CoreConfig, host: PluginHost): StatusBus | undefined {
    return this.get(config.backend).statusBus?.(config, host);
  }

  /** The lattices on the configured backend, or undefined when its registration cannot list them. */
  latticesOf(config: CoreConfig, host: PluginHost): Promise<readonly string[] | undefined> {
    const registration = this.get(config.backend);
    return registration.lattices?.(config, host) ?? Promise.resolve(undefined);
  }

  /**
   * How the configured backend's plugin words an error its `open()` threw, or undefined when the plugin
   * does not know it (the host's generic wording applies).
   */
  openFailureOf(config: CoreConfig, error: unknown): OpenFailure | undefined {
    return this.get(config.backend).describeOpenFailure?.(error, config);
  }

  /** Human description of where the configured backend connects. */
  targetOf(config: CoreConfig): string {
    const registration = this.get(config.backend);
    return registration.target?.(config) ?? `the ${registration.name} backend`;
  }
}
