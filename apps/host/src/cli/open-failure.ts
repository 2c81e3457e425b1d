// How a failure to open the backend is told to the user (exit code 1 unless it is the user's input): in the
// words of the backend's plugin when it knows the error (a NATS server without JetStream, …), else by its
// kind — unreachable, refused — naming where the backend connects.
import { errorText, LatticeCacheError } from "@lattice-cache/core";
import type { BackendRegistry } from "../composition/backend-registry.js";
import type { CoreConfig } from "../config/core-settings.js";
import { OperationalError } from "./cli-errors.js";

/**
 * The open failure `error` as the configured backend's plugin words it — an operational error (exit code 1):
 * the server found is not what the configuration needs — or undefined when the plugin does not know it.
 */
export function pluginOpenFailure(
  error: unknown,
  registry: BackendRegistry,
  config: CoreConfig,
): OperationalError | undefined {
  const failure = registry.openFailureOf(config, error);
  if (failure === undefined) return undefined;
  const text = failure.fix === undefined ? failure.message : `${failure.message}; ${failure.fix}`;
  return new OperationalError(text, { cause: error });
}

/** Phrases an open failure for the user: what could not be done, where, and why. */
export function describeOpenFailure(error: unknown, registry: BackendRegistry, config: CoreConfig): Error {
  const described = pluginOpenFailure(error, registry, config);
  if (described !== undefined) return described;
  const target = registry.targetOf(config);
  if (LatticeCacheError.hasCode(error, "BACKEND_UNAVAILABLE")) {
    return new OperationalError(`cannot reach ${target}: ${errorText(error)}`, { cause: error });
  }
  if (LatticeCacheError.hasCode(error, "PERMISSION_DENIED")) {
    return new OperationalError(`${target} refused access: ${errorText(error)}`, { cause: error });
  }
  if (LatticeCacheError.isInstance(error)) return error;
  return new OperationalError(`cannot open ${target}: ${errorText(error)}`, { cause: error });
}
