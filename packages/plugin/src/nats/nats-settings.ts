// The NATS connection settings — servers, credentials, TLS files — that the NATS-based backends (jetstream,
// legacy) put in their `nats` section, and that the host's own NATS connections (the status channel) reuse.
import type { SettingsValues } from "../settings/config-section.js";
import { mapping, setting, settingGroup } from "../settings/setting.js";
import { text, urlList } from "../settings/setting-types.js";

/** Default NATS URL. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** 64 MiB: the largest `max_payload` a NATS server accepts, so the most any message size setting may allow. */
export const NATS_MAX_PAYLOAD_CEILING = 64 * 1024 * 1024;

const AUTH_METHODS = ["token", "user/password", "nkeySeed", "credsFile"];

/** Credentials: at most one method (token, user/password, nkey seed or creds file). */
const auth = settingGroup({
  token: setting(text().optional(), {
    description: "token authentication",
    env: "LATTICE_NATS_TOKEN",
    secret: true,
  }),
  user: setting(text().optional(), {
    description: "user of user/password authentication",
    env: "LATTICE_NATS_USER",
  }),
  password: setting(text().optional(), {
    description: "password of user/password authentication",
    env: "LATTICE_NATS_PASSWORD",
    secret: true,
  }),
  nkeySeed: setting(text().optional(), {
    description: "nkey seed (`SU…`)",
    env: "LATTICE_NATS_NKEY_SEED",
    secret: true,
  }),
  credsFile: setting(text().optional(), {
    description: "path of a JWT `.creds` file (the path is not secret; the file is)",
    env: "LATTICE_NATS_CREDS",
  }),
}).superRefine((given, ctx) => {
  const methods = [
    given.token !== undefined && "token",
    (given.user !== undefined || given.password !== undefined) && "user/password",
    given.nkeySeed !== undefined && "nkeySeed",
    given.credsFile !== undefined && "credsFile",
  ].filter((m): m is string => typeof m === "string");
  if (methods.length > 1) {
    ctx.addIssue({
      code: "custom",
      message: `only one authentication method may be set, found ${methods.join(" and ")}`,
      params: { allowed: AUTH_METHODS },
    });
  }
  if ((given.user === undefined) !== (given.password === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: "user and password go together",
      path: [given.user === undefined ? "user" : "password"],
    });
  }
});

/** TLS files; absent unless one is set (an empty `tls:` does not turn TLS on). */
const tls = mapping({
  caFile: setting(text().optional(), {
    description: "CA certificate (PEM) to verify the server",
    env: "LATTICE_NATS_TLS_CA",
  }),
  certFile: setting(text().optional(), {
    description: "client certificate (PEM) for mutual TLS",
    env: "LATTICE_NATS_TLS_CERT",
  }),
  keyFile: setting(text().optional(), {
    description: "client key (PEM) for mutual TLS",
    env: "LATTICE_NATS_TLS_KEY",
  }),
})
  .superRefine((files, ctx) => {
    if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "certFile and keyFile go together",
        path: [files.certFile === undefined ? "certFile" : "keyFile"],
      });
    }
  })
  .optional()
  .transform((files) => (files && Object.values(files).some((v) => v !== undefined) ? files : undefined));

/** Servers, credentials and TLS: how to reach NATS. Shared (the same schemas) by every `nats` section. */
export const NATS_CONNECTION_SETTINGS = {
  servers: setting(urlList(["nats:", "tls:", "ws:", "wss:"], 4222).default([DEFAULT_NATS_URL]), {
    description: "NATS server URL(s): a list, or comma-separated",
    env: "LATTICE_NATS_URL",
    flag: "--nats-url <urls>",
    secret: "url-credentials",
  }),
  auth,
  tls,
};

/** Validated NATS connection settings. */
export type NatsConnectionSettings = SettingsValues<typeof NATS_CONNECTION_SETTINGS>;
