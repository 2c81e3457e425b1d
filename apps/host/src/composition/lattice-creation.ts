// When a lattice may be created (issue #28: a typo in the prefix must not create an empty lattice, silently).
// The backends each open in a "must exist" mode (`provision: "bind"`) and list the lattices they hold; the
// policy is the host's: read-only commands never create, hosts and write commands follow `createLattice`
// (auto: only when the backend holds no lattice at all yet; always; never).
import {
  BackendUnavailableError,
  errorText,
  LatticeCacheError,
  LatticeNotFoundError,
} from "@lattice-cache/core";
import { type CoreConfig, DEMO_PREFIX } from "../config/core-settings.js";
import { closestName } from "./closest-name.js";

/** Lists the prefixes of the lattices on the configured backend; undefined when the backend cannot tell. */
export type LatticeLister = () => Promise<readonly string[] | undefined>;

/** What the policy needs: the configuration, where it points (for messages) and the backend's listing. */
export interface LatticeCreationContext {
  readonly config: CoreConfig;
  /** Where the backend connects, e.g. `NATS at nats://127.0.0.1:4222`. */
  readonly target: string;
  readonly list: LatticeLister;
}

const HOW_TO_CREATE =
  "to create it, set createLattice: always (--create-lattice always, LATTICE_CREATE_LATTICE=always)";

/** `config` for a read-only command: it never creates the lattice (`createLattice: never`). */
export function readOnly<C extends CoreConfig>(config: C): C {
  return { ...config, createLattice: "never" };
}

/**
 * Opens with `open` under the creation policy: with `createLattice: auto`, refuses (`LatticeNotFoundError`)
 * to create a lattice beside others on the same backend; a lattice that must exist and does not is
 * reported with the lattices that do exist and the closest of them.
 */
export async function openUnderCreationPolicy<T>(
  context: LatticeCreationContext,
  open: () => Promise<T>,
): Promise<T> {
  await refuseUnwantedCreation(context);
  try {
    return await open();
  } catch (error) {
    if (!LatticeCacheError.hasCode(error, "LATTICE_NOT_FOUND")) throw error;
    const existing = await listed(context).catch(() => undefined);
    throw missingLattice(context, existing, error);
  }
}

/** Throws `LatticeNotFoundError` when the backend lists its lattices and the configured one is not among them. */
export async function assertLatticeExists(context: LatticeCreationContext): Promise<void> {
  const existing = await listed(context);
  if (existing === undefined || existing.includes(context.config.prefix)) return;
  throw missingLattice(context, existing);
}

async function refuseUnwantedCreation(context: LatticeCreationContext): Promise<void> {
  const { config, target } = context;
  if ((config.createLattice ?? "auto") !== "auto") return;
  const existing = await listed(context);
  if (existing === undefined || existing.includes(config.prefix)) return;
  // `lattice up`'s demo lattice is nobody's: beside it, a first real host or write still creates its lattice.
  if (existing.every((prefix) => prefix === DEMO_PREFIX)) return;
  throw new LatticeNotFoundError(
    config.prefix,
    `refusing to create lattice ${JSON.stringify(config.prefix)} on ${target}: other lattices exist there ` +
      `(${shown(existing)})${suggestion(config.prefix, existing)}; ${HOW_TO_CREATE}`,
    { existing },
  );
}

function missingLattice(
  context: LatticeCreationContext,
  existing: readonly string[] | undefined,
  cause?: unknown,
): LatticeNotFoundError {
  const { config, target } = context;
  const found =
    existing === undefined
      ? ""
      : existing.length === 0
        ? " (none exists there)"
        : ` (existing: ${shown(existing)})`;
  const hint = existing === undefined ? "" : suggestion(config.prefix, existing);
  return new LatticeNotFoundError(
    config.prefix,
    `no lattice named ${JSON.stringify(config.prefix)} on ${target}${found}${hint}`,
    { existing, cause },
  );
}

/** The lattices; undefined when the backend cannot tell, or this user may not list them (then as if unknown). */
async function listed(context: LatticeCreationContext): Promise<readonly string[] | undefined> {
  try {
    return await context.list();
  } catch (error) {
    if (LatticeCacheError.hasCode(error, "PERMISSION_DENIED")) return undefined;
    if (LatticeCacheError.isInstance(error)) throw error;
    throw new BackendUnavailableError(
      context.config.backend,
      `cannot list the lattices: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** At most ten names, then how many more. */
function shown(names: readonly string[]): string {
  const head = names.slice(0, 10).join(", ");
  return names.length > 10 ? `${head}, … ${names.length - 10} more` : head;
}

function suggestion(prefix: string, existing: readonly string[]): string {
  const closest = closestName(prefix, existing);
  return closest === undefined ? "" : `; did you mean ${JSON.stringify(closest)}?`;
}
