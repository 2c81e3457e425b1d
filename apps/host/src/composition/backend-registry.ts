// Backends by name: each registers a factory and, when it has settings, its own config section; choosing one
// is configuration, and adding one touches no switch — not even in the configuration.
import { ConfigurationError } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { DependencyContainer } from "tsyringe";
import type { StatusBus } from "../audit/status-bus.js";
import type { ConfigSection, SectionValues } from "../config/config-section.js";
import type { CoreConfig } from "../config/core-settings.js";
import { type HostConfigSchema, hostConfigSchema } from "../config/host-config-schema.js";
import type { DoctorCheck } from "../doctor/doctor-check.js";

/** The configuration a backend with `section` gets: the core settings and its section. */
export type BackendConfig<C extends ConfigSection> = CoreConfig & SectionValues<C>;

/**
 * What a backend contributes to the host. `C` is the configuration its functions read: `CoreConfig`, or
 * `BackendConfig<typeof itsSection>` for a backend with its own section (validated before they are called).
 */
export interface BackendRegistration<C extends CoreConfig = CoreConfig> {
  /** The name `backend:` selects, e.g. `jetstream`. */
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  /**
   * The backend's settings: a top-level key of the configuration with settings that carry their defaults,
   * validation, env variables and flags. They join the schema, the env and flag bindings, `config print`
   * and its masking. Default: none.
   */
  readonly config?: ConfigSection;
  /** Makes an unopened backend; may resolve the logger etc. from `container`. */
  create(config: C, container: DependencyContainer): LatticeBackend;
  /** Where this backend connects, for error messages: e.g. `NATS at nats://127.0.0.1:4222`. */
  target?(config: C): string;
  /**
   * The prefixes of the lattices that exist on the configured backend's servers (read only, creates
   * nothing). Without it the host cannot tell whether a lattice exists before opening it, and creates
   * it as the backend does (memory, the legacy broadcast).
   */
  lattices?(config: C, container: DependencyContainer): Promise<readonly string[]>;
  /** Backend-specific `lattice doctor` checks (connectivity, server features, storage settings). */
  diagnose?(config: C, container: DependencyContainer): Promise<DoctorCheck[]>;
  /**
   * The lattice-wide status channel hosts of this backend answer on (`lattice status --hosts`), reached with
   * the backend's connection settings. Without one, hosts of this backend cannot be audited.
   */
  statusBus?(config: C, container: DependencyContainer): StatusBus;
}

/** The registry of backend factories. */
export class BackendRegistry {
  private readonly registrations = new Map<string, BackendRegistration>();
  private sections: readonly ConfigSection[] = [];

  /** Adds a backend (and its config section). Registering a name twice is a programming error. */
  registerBackend<C extends CoreConfig>(registration: BackendRegistration<C>): this {
    if (this.registrations.has(registration.name)) {
      throw new Error(`backend ${registration.name} is already registered`);
    }
    const section = registration.config;
    const sections =
      section && !this.sections.includes(section) ? [...this.sections, section] : this.sections;
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
  get(name: string): BackendRegistration {
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
  create(config: CoreConfig, container: DependencyContainer): LatticeBackend {
    return this.get(config.backend).create(config, container);
  }

  /** The configured backend's status channel, or undefined when its registration provides none. */
  statusBusOf(config: CoreConfig, container: DependencyContainer): StatusBus | undefined {
    return this.get(config.backend).statusBus?.(config, container);
  }

  /** The lattices on the configured backend, or undefined when its registration cannot list them. */
  latticesOf(config: CoreConfig, container: DependencyContainer): Promise<readonly string[] | undefined> {
    const registration = this.get(config.backend);
    return registration.lattices?.(config, container) ?? Promise.resolve(undefined);
  }

  /** Human description of where the configured backend connects. */
  targetOf(config: CoreConfig): string {
    const registration = this.get(config.backend);
    return registration.target?.(config) ?? `the ${registration.name} backend`;
  }
}
