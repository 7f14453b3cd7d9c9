// Starts the system's headless Chromium (Debian's `chromium` package) through playwright-core,
// which downloads no browser of its own. Node only: type-checked by `tsconfig.node.json`.

import { existsSync } from "node:fs";

import { chromium, type BrowserContext } from "playwright-core";

/** `$CHROMIUM_PATH`, else where Debian's `chromium` package puts it. */
export function chromiumPath(): string {
  const configured = process.env["CHROMIUM_PATH"];
  return configured === undefined || configured === "" ? "/usr/bin/chromium" : configured;
}

/**
 * The flags for a machine without a network beyond localhost and without a GPU or a user
 * namespace sandbox: nothing tries to reach Google, nothing waits for a GPU process.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** Fails with how to install Chromium when it is missing: a browser test must not pass without a browser. */
export function requireChromium(): string {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: the browser test needs one. On Debian or Ubuntu: ` +
        "`sudo apt-get install chromium` (`.ci/run` does it); elsewhere set CHROMIUM_PATH to a Chromium or Chrome binary",
    );
  }
  return path;
}

/**
 * Headless Chromium with `userDataDir` (an empty directory) as its profile. Playwright passes the
 * profile as `--user-data-dir` itself (it refuses the flag in `args`).
 */
export function launchChromium(executablePath: string, userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 60_000,
  });
}
