// The log format: JSON lines by default, `pretty` lines for people — through the real CLI, and the
// formatter's handling of fields, errors and control characters.
import { describe, expect, it } from "vitest";
import { cleanEnv, runLattice } from "../test-support/lattice-process.test-helpers.js";
import { formatPrettyRecord } from "./pretty-log.js";

/** A one-shot command on the in-process memory backend that logs `initial sync complete` at info. */
const STATUS = ["status", "--backend", "memory", "--log-level", "info"];
const PRETTY_SYNC_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}initial sync complete revision=0 entries=0$/;

function stderrLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line !== "");
}

describe("lattice --log-format", () => {
  it("writes JSON lines by default", async () => {
    const run = await runLattice(STATUS, { env: cleanEnv() });
    expect(run.code).toBe(0);
    const records = stderrLines(run.stderr).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({ level: 30, name: "lattice", msg: "initial sync complete", revision: 0 }),
    );
  });

  it("pretty: ISO time, level name, message, then key=value fields — from the flag or LATTICE_LOG_FORMAT", async () => {
    const byFlag = await runLattice([...STATUS, "--log-format", "pretty"], { env: cleanEnv() });
    expect(byFlag.code).toBe(0);
    expect(stderrLines(byFlag.stderr)).toEqual([expect.stringMatching(PRETTY_SYNC_LINE)]);
    // Command output stays on stdout, untouched.
    expect(byFlag.stdout).toMatch(/^state {9}live$/m);

    const byEnv = await runLattice(STATUS, { env: cleanEnv({ LATTICE_LOG_FORMAT: "pretty" }) });
    expect(stderrLines(byEnv.stderr)).toEqual([expect.stringMatching(PRETTY_SYNC_LINE)]);
  });

  it("refuses a format it does not know (exit 2, naming the allowed ones)", async () => {
    const run = await runLattice([...STATUS, "--log-format", "fancy"], { env: cleanEnv() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/json.*pretty/);
  });
});

describe("formatPrettyRecord", () => {
  const time = Date.UTC(2026, 11, 7, 18, 40, 3, 123);

  it("quotes values with blanks, flattens objects with dots and leaves pid and name out", () => {
    const line = formatPrettyRecord({
      level: 40,
      time,
      pid: 42,
      name: "lattice",
      detail: "the connection was cut",
      server: { url: "nats://127.0.0.1:4222", up: false },
      ids: ["a", "b"],
      msg: "backend feed disconnected",
    });
    expect(line).toBe(
      '2026-12-07T18:40:03.123Z WARN  backend feed disconnected detail="the connection was cut" ' +
        'server.url=nats://127.0.0.1:4222 server.up=false ids=["a","b"]\n',
    );
  });

  it("puts an error's stack on indented lines below, and escapes control characters everywhere", () => {
    const line = formatPrettyRecord({
      level: 50,
      time,
      msg: "write failed\u001b[2J",
      err: { type: "Error", message: "boom\r", stack: "Error: boom\n    at write (x.js:1:1)" },
      "key\u202e": "v",
    });
    expect(line).toBe(
      "2026-12-07T18:40:03.123Z ERROR write failed\\u001b[2J err.type=Error " +
        'err.message="boom\\r" key\\u202e=v\n' +
        "    Error: boom\n        at write (x.js:1:1)\n",
    );
  });
});
