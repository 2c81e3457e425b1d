// The typed start-up error for "no JetStream answers": says how to fix it instead of timing out.
import { ConfigurationError } from "@lattice-cache/core/backend";

/**
 * No JetStream answered the backend's requests: the server runs without JetStream, the account has no
 * JetStream, or the bucket lives in another JetStream domain. Code `CONFIGURATION`, field `nats.jsDomain`
 * when a domain was asked, else `nats` (the configuration found a server it cannot use). Its message is
 * `{problem}; {fix}`.
 */
export class JetStreamNotEnabledError extends ConfigurationError {
  /** The servers asked (without credentials). */
  readonly servers: readonly string[];
  /** The JetStream domain asked, if any. */
  readonly jsDomain: string | undefined;
  /** Whether the connected server itself reported JetStream enabled. */
  readonly serverHasJetStream: boolean | undefined;
  /** What is wrong: `JetStream is not enabled on nats://…`. */
  readonly problem: string;
  /** What to do about it. */
  readonly fix: string;

  constructor(args: {
    servers: readonly string[];
    jsDomain: string | undefined;
    serverHasJetStream: boolean | undefined;
    cause?: unknown;
  }) {
    const where = args.servers.join(", ") || "the given connection";
    let problem: string;
    let fix: string;
    if (args.jsDomain !== undefined) {
      problem = `no JetStream answered in domain "${args.jsDomain}" through ${where}`;
      fix =
        `check that the domain name is right (jetstream { domain: ${args.jsDomain} } on the servers that hold ` +
        "the bucket) and that the leaf node connection to them is up";
    } else if (args.serverHasJetStream === false) {
      problem = `JetStream is not enabled on ${where}`;
      fix =
        "start the server with `nats-server -js` or add `jetstream {}` to its config, or, if JetStream runs " +
        "in another domain (leaf node setups), set nats.jsDomain (the jsDomain option)";
    } else {
      problem = `no JetStream answered on ${where}`;
      fix =
        "enable JetStream for this account (`jetstream: enabled` in the account config, or `nats-server -js`), " +
        "or set nats.jsDomain (the jsDomain option) if the bucket lives in another domain";
    }
    super(`${problem}; ${fix}`, {
      field: args.jsDomain !== undefined ? "nats.jsDomain" : "nats",
      cause: args.cause,
    });
    this.servers = args.servers;
    this.jsDomain = args.jsDomain;
    this.serverHasJetStream = args.serverHasJetStream;
    this.problem = problem;
    this.fix = fix;
  }
}
