// `lattice doctor`: checks the configured backend end to end and prints concrete fixes; exit 1 on a failure.
import { redactUrlsInText } from "@lattice-cache/core";
import type { DoctorCheck } from "@lattice-cache/plugin";
import type { Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError } from "../cli/cli-errors.js";
import { createHostContainer } from "../composition/host-container.js";
import { readOnly } from "../composition/lattice-creation.js";
import { pluginHostOf } from "../composition/plugin-host.js";
import { LATTICE_LISTING, resolveToken } from "../composition/tokens.js";
import { genericChecks } from "../doctor/generic-checks.js";
import { latticeCheck } from "../doctor/lattice-check.js";
import { withHostId } from "../runtime/host-identity.js";

const MARKS = { pass: "✔", warn: "!", fail: "✖" } as const;

/** Adds `doctor` to `program`. */
export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description(
      "check connectivity, server features and storage settings; print fixes (exit 1 on a failure)",
    )
    .action(async (_opts: unknown, command: Command) => {
      // Read only: checking a lattice never creates it (a missing one fails the "lattice" check).
      const config = readOnly(withHostId(ctx.config(command), "cli"));
      if (ctx.dryRun) return;
      const container = createHostContainer(config, { registry: ctx.registry, defaultLogLevel: "error" });
      const registration = ctx.registry.get(config.backend);
      const checks: DoctorCheck[] = [
        {
          name: "configuration",
          outcome: "pass",
          detail:
            `backend ${config.backend} (${ctx.registry.targetOf(config)}), prefix ${config.prefix}` +
            (config.configFile ? `, file ${config.configFile}` : ""),
        },
      ];
      if (registration.diagnose)
        checks.push(...(await registration.diagnose(config, pluginHostOf(container))));
      const list = resolveToken(container, LATTICE_LISTING);
      checks.push(...(await latticeCheck({ config, target: ctx.registry.targetOf(config), list })));
      const blocked = checks.some((c) => c.outcome === "fail");
      if (!blocked) checks.push(...(await genericChecks(container, ctx.registry.targetOf(config))));
      // A check may quote a server's or a client library's message, and those may quote a URL.
      const shown = checks.map(redactCheck);
      if (ctx.json(command)) ctx.printJson(shown);
      else ctx.print(formatChecks(shown));
      const failed = checks.filter((c) => c.outcome === "fail").length;
      if (failed > 0) throw new OperationalError(`doctor: ${failed} check${failed === 1 ? "" : "s"} failed`);
    });
}

/** `check` with every URL in its detail and fix shown as core's `redactUrl` shows it. */
function redactCheck(check: DoctorCheck): DoctorCheck {
  return {
    ...check,
    detail: redactUrlsInText(check.detail),
    ...(check.fix === undefined ? {} : { fix: redactUrlsInText(check.fix) }),
  };
}

function formatChecks(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${MARKS[c.outcome]} ${c.name}: ${c.detail}`);
    if (c.fix && c.outcome !== "pass") lines.push(`    fix: ${c.fix}`);
  }
  const warnings = checks.filter((c) => c.outcome === "warn").length;
  const failures = checks.filter((c) => c.outcome === "fail").length;
  const warned = `${warnings} warning${warnings === 1 ? "" : "s"}`;
  lines.push(
    "",
    failures ? `${failures} failed, ${warned}` : `all checks passed${warnings ? `, ${warned}` : ""}`,
  );
  return lines.join("\n");
}
