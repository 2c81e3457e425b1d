// The states a host reports — on /status, in `lattice_cache_state{state}` and in its status-channel answers.

/** Every state a host is in: the replica's states plus `connecting` before the backend opens. */
export const HOST_STATES = ["connecting", "syncing", "live", "stale", "resyncing"] as const;

/** One of {@link HOST_STATES}. */
export type HostState = (typeof HOST_STATES)[number];
