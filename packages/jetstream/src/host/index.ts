// @lattice-cache/jetstream/host — the door for the `lattice` host (and any program that hosts backend
// plugins the same way): the jetstream backend as a plugin of the `@lattice-cache/plugin` contract — its
// `nats` config section, how it is made from a host's configuration, its doctor checks, its status channel,
// how it words a failure to open. Programs that only use the backend import `@lattice-cache/jetstream`.

export { jetstreamConfigSection } from "../options.js";
export { type JetStreamConfig, jetstreamOptions, jetstreamPlugin } from "./jetstream-plugin.js";
