// Backends by name: each registers a factory; choosing one is configuration, adding one touches no switch.
import { ConfigurationError, type LatticeBackend } from "@lattice-cache/core";
import type { DependencyContainer } from "tsyringe";
import type { HostConfig } from "../config/host-config.js";
import type { StatusBus, StatusBusFactory } from "../audit/status-bus.js";
import type { DoctorCheck } from "../doctor/doctor-check.js";

/** Makes an unopened backend from the host's configuration; may resolve the logger etc. from `container`. */
export type BackendFactory = (config: HostConfig, container: DependencyContainer) => LatticeBackend;

/** Backend-specific `lattice doctor` checks (connectivity, server features, storage settings). */
export type BackendDiagnosis = (config: HostConfig, container: DependencyContainer) => Promise<DoctorCheck[]>;

/** What a backend contributes to the host. */
export interface BackendRegistration {
  /** The name `backend:` selects, e.g. `jetstream`. */
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  /** Makes the backend. */
  readonly create: BackendFactory;
  /** Where this backend connects, for error messages: e.g. `NATS at nats://127.0.0.1:4222`. */
  readonly target?: (config: HostConfig) => string;
  /** Extra checks for `lattice doctor`. */
  readonly diagnose?: BackendDiagnosis;
  /**
   * The lattice-wide status channel hosts of this backend answer on (`lattice status --hosts`), reached with
   * the backend's connection settings. Without one, hosts of this backend cannot be audited.
   */
  readonly statusBus?: StatusBusFactory;
}

/** The registry of backend factories. */
export class BackendRegistry {
  private readonly registrations = new Map<string, BackendRegistration>();

  /** Adds a backend. Registering a name twice is a programming error. */
  registerBackend(registration: BackendRegistration): this {
    if (this.registrations.has(registration.name)) {
      throw new Error(`backend ${registration.name} is already registered`);
    }
    this.registrations.set(registration.name, registration);
    return this;
  }

  /** Registered names, in registration order (the allowed values of `backend`). */
  get names(): string[] {
    return [...this.registrations.keys()];
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
  create(config: HostConfig, container: DependencyContainer): LatticeBackend {
    return this.get(config.backend).create(config, container);
  }

  /** The configured backend's status channel, or undefined when its registration provides none. */
  statusBusOf(config: HostConfig, container: DependencyContainer): StatusBus | undefined {
    return this.get(config.backend).statusBus?.(config, container);
  }

  /** Human description of where the configured backend connects. */
  targetOf(config: HostConfig): string {
    const registration = this.get(config.backend);
    return registration.target?.(config) ?? `the ${registration.name} backend`;
  }
}
