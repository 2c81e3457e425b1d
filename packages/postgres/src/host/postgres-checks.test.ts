// The verdicts of `lattice doctor`'s postgres checks on made-up inspections: the server version, TLS and
// fsync. Against a real server, through the CLI: apps/host/src/doctor/postgres-doctor.test.ts.
import { describe, expect, it } from "vitest";
import { type PostgresInspection, postgresChecks } from "./postgres-checks.js";

describe("postgresChecks: the server version", () => {
  const inspection = (version: string, versionNum: number): PostgresInspection => ({
    server: "db:5432/lattice",
    session: {
      role: "lattice",
      database: "lattice",
      version,
      versionNum,
      ssl: true,
      fsync: "on",
      createOnDatabase: true,
    },
    lattice: { name: "lattice_default", exists: false, tables: {} },
  });
  const version = (text: string, num: number) =>
    postgresChecks(inspection(text, num)).find((c) => c.name === "server version");

  it("passes 12 and newer, warns for 9.6 to 11, fails older servers", () => {
    expect(version("12.0", 120_000)?.outcome).toBe("pass");
    expect(version("17.2", 170_002)?.outcome).toBe("pass");
    expect(version("11.22", 110_022)).toMatchObject({
      outcome: "warn",
      fix: "upgrade PostgreSQL to 12 or newer",
    });
    expect(version("9.6.24", 90_624)?.outcome).toBe("warn");
    expect(version("9.5.25", 90_525)).toMatchObject({
      outcome: "fail",
      detail: "PostgreSQL 9.5.25: the backend needs 9.6 or newer",
    });
  });

  it("reports TLS and fsync on", () => {
    const checks = postgresChecks(inspection("16.4", 160_004));
    expect(checks.find((c) => c.name === "PostgreSQL reachable")?.detail).toBe(
      "connected to db:5432/lattice as role lattice (TLS)",
    );
    expect(checks.find((c) => c.name === "durable commits")?.outcome).toBe("pass");
  });
});
