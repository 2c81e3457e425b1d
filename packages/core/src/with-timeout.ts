// A promise bounded in time: what the replica's head checks, a closing log feed and a backend's own checks
// before a write each need — written once.

/**
 * `promise`, or a rejection with `timeoutError()` once `ms` have passed. The promise itself goes on; only the
 * waiting stops. With `unref`, the timer does not keep the process alive (a background check, not a step a
 * caller awaits to finish its own work).
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  timeoutError: () => Error,
  options: { readonly unref?: boolean } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), Math.max(0, ms));
    if (options.unref === true) timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
