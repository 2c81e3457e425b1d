// `lattice status`: open a replica, wait for the initial sync, print its status. `lattice status --hosts`:
// ask every running host on the lattice-wide status channel and audit them against each other.
import type { CacheStatus } from "@lattice-cache/core";
import type { GatheredStatus } from "@lattice-cache/plugin";
import { DEFAULT_STATUS_WINDOW_MS, isAcceptedHostId, STATUS_LIMITS } from "@lattice-cache/plugin";
import { type Command, InvalidArgumentError } from "commander";
import { checkFleet, describeFleetProblems } from "../audit/fleet-check.js";
import { auditLattice } from "../audit/lattice-audit.js";
import { auditJson, describeSplitBrain, formatAudit } from "../cli/audit-output.js";
import type { CliContext } from "../cli/cli-context.js";
import { FleetMismatchError, OperationalError, SplitBrainError, UsageError } from "../cli/cli-errors.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";
import { describeOpenFailure } from "../cli/open-failure.js";
import { escapeTerminalValue } from "../cli/terminal-text.js";
import { formatFields } from "../cli/text-table.js";
import { createHostContainer } from "../composition/host-container.js";
import { assertLatticeExists } from "../composition/lattice-creation.js";
import { pluginHostOf } from "../composition/plugin-host.js";
import { LATTICE_LISTING, resolveToken } from "../composition/tokens.js";
import { withHostId } from "../runtime/host-identity.js";

interface StatusOptions {
  readonly hosts?: boolean;
  readonly window?: number;
  readonly strict?: boolean;
  readonly expect?: number;
  readonly expectHosts?: readonly string[];
}

/** Adds `status` to `program`. */
export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description(
      "sync a replica and print its status (state, revision, digest, counts); with --hosts, audit every running host",
    )
    .option("--hosts", "ask every running host for its status and compare them (split brain: exit 4)")
    .option(
      "--window <ms>",
      `how long --hosts gathers answers (default ${DEFAULT_STATUS_WINDOW_MS})`,
      parseWindow,
    )
    .option("--strict", "with --hosts: exit 1 unless every host is live, in step and in agreement")
    .option("--expect <n>", "with --hosts: exit 5 unless exactly n hosts answer", parseExpectedCount)
    .option(
      "--expect-hosts <ids>",
      "with --hosts: exit 5 unless exactly these hosts (comma-separated ids) answer, naming the missing",
      parseExpectedHosts,
    )
    .action(async (opts: StatusOptions, command: Command) => {
      if (opts.hosts) return auditHosts(ctx, command, opts);
      if (opts.window !== undefined || opts.strict)
        throw new UsageError("--window and --strict go with --hosts");
      if (opts.expect !== undefined || opts.expectHosts !== undefined)
        throw new UsageError("--expect and --expect-hosts go with --hosts");
      await withReadyCache(
        ctx,
        command,
        (cache, config) => {
          const status = cache.status();
          if (ctx.json(command)) return ctx.printJson({ ...status, prefix: config.prefix });
          ctx.print(formatStatus(status, config.prefix, ctx.registry.targetOf(config)));
        },
        READ_ONLY,
      );
    });
}

async function auditHosts(ctx: CliContext, command: Command, opts: StatusOptions): Promise<void> {
  if (opts.expect !== undefined && opts.expectHosts && opts.expect !== opts.expectHosts.length) {
    throw new UsageError(
      `--expect ${opts.expect} but --expect-hosts names ${opts.expectHosts.length} hosts: give one, or agree`,
    );
  }
  const config = withHostId(ctx.config(command), "cli");
  const windowMs = opts.window ?? DEFAULT_STATUS_WINDOW_MS;
  const container = createHostContainer(config, { registry: ctx.registry, defaultLogLevel: "warn" });
  const bus = ctx.registry.statusBusOf(config, pluginHostOf(container));
  if (!bus) {
    throw new OperationalError(
      `the ${config.backend} backend has no status channel, so its hosts cannot be audited`,
    );
  }
  if (ctx.dryRun) return;
  let answers: GatheredStatus;
  try {
    // Asking a lattice that does not exist would only find no host: say what is wrong instead.
    await assertLatticeExists({
      config,
      target: ctx.registry.targetOf(config),
      list: resolveToken(container, LATTICE_LISTING),
    });
    answers = await bus.gather(windowMs);
  } catch (error) {
    throw describeOpenFailure(error, ctx.registry, config);
  } finally {
    await bus.close();
  }
  const audit = auditLattice(answers);
  const fleet = checkFleet(audit, { count: opts.expect, hostIds: opts.expectHosts });
  const json = ctx.json(command);
  if (json) {
    ctx.printJson(auditJson(audit, fleet));
    for (const note of audit.notes) ctx.note(`note: ${escapeTerminalValue(note)}`);
  } else {
    ctx.print(formatAudit(audit, bus.channel, windowMs, fleet));
  }
  if (audit.splitBrains.length > 0) {
    const hostIds = [...new Set(audit.splitBrains.flatMap((s) => s.groups.flatMap((g) => g.hostIds)))].sort();
    throw new SplitBrainError(audit.splitBrains.map(describeSplitBrain).join("; "), hostIds);
  }
  if (audit.hosts.length === 0) {
    throw new OperationalError(
      `no host answered on ${bus.channel} within ${windowMs} ms (is a \`lattice host\` running with prefix ${config.prefix}?)`,
    );
  }
  if (!fleet.ok) {
    throw new FleetMismatchError(
      describeFleetProblems(fleet).join("; "),
      fleet.missing,
      fleet.unexpected,
      fleet.duplicated,
    );
  }
  if (opts.strict && !audit.converged) {
    throw new OperationalError(
      "--strict: the hosts are not all live, in step and in agreement (see the notes)",
    );
  }
}

function parseWindow(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 10 || n > 60_000) {
    throw new InvalidArgumentError("expected milliseconds from 10 to 60000");
  }
  return n;
}

function parseExpectedCount(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > STATUS_LIMITS.answersPerRequest) {
    throw new InvalidArgumentError(`expected a number of hosts from 1 to ${STATUS_LIMITS.answersPerRequest}`);
  }
  return n;
}

function parseExpectedHosts(text: string): string[] {
  const ids = text.split(",").map((id) => id.trim());
  const bad = ids.find((id): boolean => !isAcceptedHostId(id));
  if (bad !== undefined) {
    throw new InvalidArgumentError(
      `expected comma-separated host ids; ${JSON.stringify(bad.slice(0, 64))} is not a host id`,
    );
  }
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`${twice} is named twice`);
  if (ids.length > STATUS_LIMITS.answersPerRequest) {
    throw new InvalidArgumentError(`expected at most ${STATUS_LIMITS.answersPerRequest} host ids`);
  }
  return ids;
}

/** The human form of a status. */
export function formatStatus(s: CacheStatus, prefix: string, target: string): string {
  const c = s.counters;
  return formatFields([
    ["state", s.state],
    ["host", s.hostId],
    ["backend", `${s.backend} (${target}), prefix ${prefix}`],
    ["revision", `${s.revision} (backend ${s.backendRevision ?? "unknown"}, lag ${s.lag})`],
    ["digest", s.digest],
    ["entries", `linkdefs ${s.counts.linkdefs}, claims ${s.counts.claims}, refmaps ${s.counts.refmaps}`],
    ["stale", s.staleSince ? `since ${s.staleSince} (${Math.round(s.staleForMs / 1000)} s)` : "no"],
    ["last problem", s.lastError ?? "none"],
    [
      "counters",
      `applied ${c.appliedChanges}, resyncs ${c.resyncs}, feed restarts ${c.feedRestarts}, ` +
        `invalid entries ${c.invalidEntries}, writes ${c.writes}`,
    ],
  ]);
}
