// The commands `lattice up` prints work verbatim, and never carry a secret of the configuration (a NATS URL's
// password or token is shown masked, in an export line the user completes).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { nextSteps } from "./next-steps.js";

const configWith = (env: NodeJS.ProcessEnv) => loadConfig({ env, backends: ["jetstream"] });

describe("lattice up: what to try next", () => {
  it("spells out a non-default NATS URL as a flag", () => {
    const steps = nextSteps(
      configWith({ LATTICE_NATS_URL: "nats://127.0.0.1:4333" }),
      "http://127.0.0.1:7411",
    );
    expect(steps[0]).toContain("--nats-url nats://127.0.0.1:4333");
  });

  it("never prints a password or token of the NATS URLs; an export line with *** stands in for them", () => {
    const servers = "nats://alice:s3cret-pass@127.0.0.1:4333,nats://t0ken-secret@127.0.0.1:4334";
    const steps = nextSteps(configWith({ LATTICE_NATS_URL: servers }), "http://127.0.0.1:7411");
    const printed = steps.join("\n");
    expect(printed).not.toContain("s3cret-pass");
    expect(printed).not.toContain("t0ken-secret");
    expect(printed).not.toContain("--nats-url");
    expect(steps[0]).toMatch(
      /^export LATTICE_NATS_URL='nats:\/\/alice:\*\*\*@127\.0\.0\.1:4333,nats:\/\/\*\*\*@127\.0\.0\.1:4334'/,
    );
  });
});
