// `lattice get <storage key>` and `lattice apply -f`, end to end: the built binary against a real nats-server
// (jetstream), one process per command.
import { claimsKey, linkdefKey, refmapKey } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { cliAgainstNats } from "../test-support/cli-against-nats.test-helpers.js";
import { runLattice } from "../test-support/lattice-process.test-helpers.js";

const { env, file, lattice } = cliAgainstNats("apply-get");

const SUB = "MBCFOPM6JW2APJLXJD3Z5O4";
const OCI = "ghcr.io/acme/echo:0.1.0";
const LINKDEF_KEY = linkdefKey("Mbob", "wasmcloud:keyvalue", "default");

const yamlFile = (bucket: string, name: string) =>
  [
    "# all three kinds",
    "linkdefs:",
    "  - actor_id: Mbob",
    "    provider_id: Vprov",
    "    contract_id: wasmcloud:keyvalue",
    `    values: { bucket: ${bucket} }`,
    "claims:",
    `  - sub: ${SUB}`,
    `    name: ${name}`,
    "    caps: [wasmcloud:httpserver, wasmcloud:keyvalue]",
    "    rev: 3",
    "refmaps:",
    `  ${OCI}: ${SUB}`,
    "",
  ].join("\n");

interface Report {
  dryRun: boolean;
  added: number;
  changed: number;
  unchanged: number;
  items: { position: string; key: string; action: string; revision?: number; changes?: unknown[] }[];
}

describe("lattice get <storage key>: the raw stored entry, from the backend", () => {
  const prefix = "get";

  it("prints the stored JSON, revision and origin of an existing key; --json is one line", async () => {
    const put = await lattice(prefix, ["refmaps", "put", OCI, SUB, "--json"]);
    expect(put.code, put.stderr).toBe(0);
    const { revision } = JSON.parse(put.stdout) as { revision: number };

    const text = await lattice(prefix, ["get", refmapKey(OCI)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^key +${refmapKey(OCI)}$`, "m"));
    expect(text.stdout).toMatch(/^collection +refmaps$/m);
    expect(text.stdout).toMatch(new RegExp(`^revision +${revision}$`, "m"));
    expect(text.stdout).toMatch(/^origin +cli-/m);
    expect(text.stdout).toMatch(/^deleted +no$/m);
    expect(text.stdout).toContain(`{\n  "oci_url": "${OCI}",\n  "public_key": "${SUB}"\n}`);

    const json = await lattice(prefix, ["get", refmapKey(OCI), "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: refmapKey(OCI),
      collection: "refmaps",
      revision,
      deleted: false,
      value: { oci_url: OCI, public_key: SUB },
    });
  });

  it("shows a deleted key as its delete marker (exit 0, value null)", async () => {
    expect(
      (await lattice(prefix, ["claims", "put", "--file", "-"], JSON.stringify({ sub: "MGONE" }))).code,
    ).toBe(0);
    const del = await lattice(prefix, ["claims", "del", "MGONE", "--json"]);
    expect(del.code, del.stderr).toBe(0);
    const { revision } = JSON.parse(del.stdout) as { revision: number };

    const json = await lattice(prefix, ["get", claimsKey("MGONE"), "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: "CLAIMS_MGONE",
      revision,
      deleted: true,
      value: null,
    });
    const text = await lattice(prefix, ["get", claimsKey("MGONE")]);
    expect(text.stdout).toMatch(/^deleted +yes/m);
  });

  it("exits 3 for a key the backend holds nothing under", async () => {
    const r = await lattice(prefix, ["get", "CLAIMS_MNOBODY"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("lattice: no claims entry under key CLAIMS_MNOBODY\n");
  });

  it("exits 2 for a malformed key, before connecting", async () => {
    const runs = await Promise.all([
      runLattice(["get", "FOO_bar", "--nats-url", "nats://127.0.0.1:1"], { env }),
      runLattice(["get", "CLAIMS_a.b", "--nats-url", "nats://127.0.0.1:1"], { env }),
      runLattice(["get", "LINKDEF_", "--nats-url", "nats://127.0.0.1:1"], { env }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(2);
    expect(runs[0]?.stderr).toContain("not a lattice storage key");
    expect(runs[1]?.stderr).toContain("'.' (a NATS token separator)");
    expect(runs[2]?.stderr).toContain("not a lattice storage key");
  });
});

describe("lattice apply -f: create or replace what a file names", () => {
  it("--dry-run prints the diff and writes nothing", async () => {
    const prefix = "dryrun";
    const r = await lattice(prefix, ["apply", "-f", file("dry.yaml", yamlFile("b1", "echo")), "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`+ linkdefs Mbob wasmcloud:keyvalue default (${LINKDEF_KEY})`);
    expect(r.stdout).toContain(`+ claims ${SUB} (${claimsKey(SUB)})`);
    expect(r.stdout).toContain(`+ refmaps ${OCI} (${refmapKey(OCI)})`);
    expect(r.stdout).toMatch(/^dry run, nothing written: 3 added, 0 changed, 0 unchanged$/m);
    // Planned against the lattice that does not exist yet, which a dry run does not create either.
    expect(r.stderr).toMatch(/no lattice named "dryrun".*planned as an empty lattice/);

    const [ls, get] = await Promise.all([
      lattice(prefix, ["linkdefs", "ls", "--json"]),
      lattice(prefix, ["get", claimsKey(SUB)]),
    ]);
    expect(ls.stderr).toMatch(/no lattice named "dryrun"/);
    expect([ls.code, get.code]).toEqual([3, 3]);
  });

  it("applies a YAML file, then a JSON file with a field-level diff; a re-apply is all unchanged", async () => {
    const prefix = "apply";
    const first = await lattice(prefix, ["apply", "-f", file("all.yaml", yamlFile("b1", "echo"))]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^applied: 3 added, 0 changed, 0 unchanged$/m);

    const [linkdef, claims, refmaps] = await Promise.all([
      lattice(prefix, ["linkdefs", "get", "--actor", "Mbob", "--contract", "wasmcloud:keyvalue", "--json"]),
      lattice(prefix, ["claims", "get", SUB, "--json"]),
      lattice(prefix, ["refmaps", "ls", "--json"]),
    ]);
    expect(JSON.parse(linkdef.stdout)).toMatchObject({ provider_id: "Vprov", values: { bucket: "b1" } });
    expect(JSON.parse(claims.stdout)).toMatchObject({
      name: "echo",
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      rev: "3",
    });
    expect(JSON.parse(refmaps.stdout)).toEqual([{ oci_url: OCI, public_key: SUB }]);

    // The same entries as JSON, two fields changed, plus an entry the first file did not have.
    const json = {
      linkdefs: [
        {
          actor_id: "Mbob",
          provider_id: "Vprov",
          contract_id: "wasmcloud:keyvalue",
          values: { bucket: "b2", ttl: "5" },
        },
      ],
      claims: [{ sub: SUB, name: "echo", caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"], rev: 3 }],
      refmaps: [
        { oci_url: OCI, public_key: SUB },
        { oci_url: "ghcr.io/acme/echo:0.2.0", public_key: SUB },
      ],
    };
    const path = file("all.json", JSON.stringify(json, null, 2));
    const second = await lattice(prefix, ["apply", "-f", path]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`~ linkdefs Mbob wasmcloud:keyvalue default (${LINKDEF_KEY})`);
    expect(second.stdout).toContain('    values.bucket: "b1" → "b2"');
    expect(second.stdout).toContain('    values.ttl: (none) → "5"');
    expect(second.stdout).toContain(`= claims ${SUB}`);
    expect(second.stdout).toContain("+ refmaps ghcr.io/acme/echo:0.2.0");
    expect(second.stdout).toMatch(/^applied: 1 added, 1 changed, 2 unchanged$/m);
    const after = await lattice(prefix, ["get", LINKDEF_KEY, "--json"]);
    expect(JSON.parse(after.stdout).value.values).toEqual({ bucket: "b2", ttl: "5" });

    const again = await lattice(prefix, ["apply", "-f", "-", "--json"], JSON.stringify(json));
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as Report;
    expect(report).toMatchObject({ dryRun: false, added: 0, changed: 0, unchanged: 4 });
    expect(report.items.map((i) => i.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(report.items.map((i) => i.position)).toEqual([
      "linkdefs[0]",
      "claims[0]",
      "refmaps[0]",
      "refmaps[1]",
    ]);
  });

  it("leaves entries the file does not name alone", async () => {
    const prefix = "leave";
    expect((await lattice(prefix, ["refmaps", "put", "ghcr.io/other:1", "MOTHER"])).code).toBe(0);
    const r = await lattice(prefix, ["apply", "-f", file("leave.yaml", yamlFile("b1", "echo")), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.added).toBe(3);
    expect(report.items.every((i) => typeof i.revision === "number" && i.revision > 0)).toBe(true);
    const ls = await lattice(prefix, ["refmaps", "ls", "--json"]);
    expect(JSON.parse(ls.stdout)).toContainEqual({ oci_url: "ghcr.io/other:1", public_key: "MOTHER" });
  });

  it("reports every invalid item with its place in the file and writes nothing (exit 2)", async () => {
    const prefix = "invalid";
    const path = file(
      "bad.yaml",
      [
        "linkdefs:",
        "  - actor_id: Mok",
        "    provider_id: Vprov",
        "    contract_id: wasmcloud:keyvalue",
        "  - actor_id: Mbad",
        "    contract_id: wasmcloud:keyvalue",
        "refmaps:",
        `  ${OCI}: not a key`,
        "",
      ].join("\n"),
    );
    const r = await lattice(prefix, ["apply", "-f", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${path}:5 linkdefs[1]: invalid entry: field "provider_id" must be a non-empty string`,
    );
    expect(r.stderr).toContain(
      `${path}:8 refmaps["${OCI}"]: invalid key "not a key": public_key contains whitespace`,
    );
    expect(r.stderr).toMatch(/lattice: 2 problems in .*bad\.yaml \(above\); nothing was written\n$/);
    expect(r.stdout).toBe("");
    const get = await lattice(prefix, ["get", linkdefKey("Mok", "wasmcloud:keyvalue", "default")]);
    expect(get.code).toBe(3);
  });

  it("refuses a file that is not JSON or YAML, or not an object (exit 2)", async () => {
    const [json, yaml, list] = await Promise.all([
      lattice("syntax", ["apply", "-f", file("broken.json", '{"linkdefs": [')]),
      lattice("syntax", ["apply", "-f", "-"], "linkdefs:\n  - a: 1\n   b: [\n"),
      lattice("syntax", ["apply", "-f", file("list.yaml", "- 1\n- 2\n")]),
    ]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("is not valid JSON");
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toContain("stdin is not valid YAML");
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("must hold an object with linkdefs, claims and/or refmaps");
  });
});
