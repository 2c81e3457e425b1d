import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Directories searched after `$PATH`; server binaries often live in sbin directories. */
const EXTRA_DIRECTORIES = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"];

/** Whether `path` is an executable regular file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Returns the absolute path of the executable `name`, searching `$PATH` followed by `/usr/sbin`,
 * `/usr/local/sbin` (and a few other standard directories). Throws an error naming every searched
 * directory if it cannot be found.
 */
export function findExecutable(name: string, searchPath: string = process.env["PATH"] ?? ""): string {
  const directories = [...searchPath.split(delimiter).filter((dir) => dir !== ""), ...EXTRA_DIRECTORIES];
  const unique = [...new Set(directories)];
  for (const dir of unique) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    `${name} not found: it must be installed and on PATH (searched ${unique.join(", ")}); ` +
      `the test harness starts a real ${name} process`,
  );
}
