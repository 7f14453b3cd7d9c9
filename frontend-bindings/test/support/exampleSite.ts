// Builds the example app (examples/) with Vite, as `npm run example:build` does, and serves the
// result with Vite's preview server on a free port of 127.0.0.1: another origin than the tracking
// server's. Node only: type-checked by `tsconfig.node.json`.

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { preview, type PreviewServer } from "vite";

/** `frontend-bindings/`. */
const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE_CONFIG = fileURLToPath(new URL("../../examples/vite.config.ts", import.meta.url));

/**
 * `vite build` of the example into `outDir`, in a child process: the test runner's own
 * `NODE_ENV=test` would otherwise give a development build of Vue.
 */
export function buildExample(outDir: string, timeoutMs: number): Promise<void> {
  const viteCli = join(dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin", "vite.js");
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["NODE_ENV"];
  return new Promise((done, fail) => {
    const args = [viteCli, "build", "--config", EXAMPLE_CONFIG, "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"];
    const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, env, stdio: ["ignore", "inherit", "pipe"] });
    let errors = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      errors += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`vite build did not finish within ${timeoutMs} ms:\n${errors}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new Error(`vite build failed (code ${code}, signal ${signal}):\n${errors}`));
    });
  });
}

export interface ExampleSite {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves a built example from `outDir` on a free port of 127.0.0.1. */
export async function serveExample(outDir: string): Promise<ExampleSite> {
  const server: PreviewServer = await preview({
    configFile: false,
    root: PACKAGE_ROOT,
    logLevel: "warn",
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0, strictPort: true, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) {
    await server.close();
    throw new Error("vite preview did not say where it listens");
  }
  return { origin: new URL(url).origin, close: () => server.close() };
}
