// `lattice refmaps put|get|del|ls`: OCI reference → module public key.
import { refmapsCodec } from "@lattice-cache/core";
import type { Command } from "commander";
import { assertPublicKey, checkedKey, checkedValue } from "../cli/checked-input.js";
import type { CliContext } from "../cli/cli-context.js";
import { EntryNotFoundError } from "../cli/cli-errors.js";
import { printEntry, printList, printWrite } from "../cli/entry-output.js";
import { READ_ONLY, withReadyCache } from "../cli/one-shot.js";

/** Adds `refmaps` and its subcommands to `program`. */
export function registerRefmapsCommand(program: Command, ctx: CliContext): void {
  const refmaps = program.command("refmaps").description("OCI reference maps: put, get, del, ls");

  refmaps
    .command("put")
    .description("map an OCI reference to a module's public key")
    .argument("<oci-url>", "OCI reference, e.g. ghcr.io/org/actor:0.1.0")
    .argument("<public-key>", "the module's public key")
    .action(async (ociUrl: string, publicKey: string, _opts: unknown, command: Command) => {
      assertPublicKey(publicKey, "public key");
      const value = checkedValue(
        refmapsCodec,
        { oci_url: ociUrl, public_key: publicKey },
        ctx.config(command).maxValueBytes,
      );
      await withReadyCache(ctx, command, async (cache) => {
        const outcome = await cache.refmaps.put(value);
        printWrite(ctx, ctx.json(command), "put", outcome, cache.refmaps.entryByKey(outcome.key)?.value);
      });
    });

  refmaps
    .command("get")
    .description("show what an OCI reference maps to")
    .argument("<oci-url>", "OCI reference")
    .action(async (ociUrl: string, _opts: unknown, command: Command) => {
      const key = checkedKey(refmapsCodec, ociUrl);
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          const entry = cache.refmaps.entryByKey(key);
          if (!entry) throw new EntryNotFoundError("refmaps", `oci_url=${ociUrl}`);
          printEntry(ctx, ctx.json(command), entry, (r) => [
            ["oci_url", r.oci_url],
            ["public_key", r.public_key],
          ]);
        },
        READ_ONLY,
      );
    });

  refmaps
    .command("del")
    .description("delete an OCI reference map")
    .argument("<oci-url>", "OCI reference")
    .action(async (ociUrl: string, _opts: unknown, command: Command) => {
      const key = checkedKey(refmapsCodec, ociUrl);
      await withReadyCache(ctx, command, async (cache) => {
        if (!cache.refmaps.entryByKey(key)) throw new EntryNotFoundError("refmaps", `oci_url=${ociUrl}`);
        printWrite(ctx, ctx.json(command), "deleted", await cache.refmaps.delete(ociUrl));
      });
    });

  refmaps
    .command("ls")
    .description("list OCI reference maps")
    .action(async (_opts: unknown, command: Command) => {
      await withReadyCache(
        ctx,
        command,
        (cache) => {
          printList(ctx, ctx.json(command), cache.refmaps.list(), {
            headers: ["OCI URL", "PUBLIC KEY"],
            row: (r) => [r.oci_url, r.public_key],
            empty: "no OCI reference maps",
            sortKey: (r) => r.oci_url,
          });
        },
        READ_ONLY,
      );
    });
}
