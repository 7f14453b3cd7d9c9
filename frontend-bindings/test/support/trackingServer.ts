// Builds (when needed), starts and stops the real `tracking-server` for the end-to-end test.
// Node only: type-checked by `tsconfig.node.json`, not by the browser `tsconfig.json`.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (`frontend-bindings/..`). */
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The line the server logs on stderr once it listens, e.g. `listening on http://127.0.0.1:40013`. */
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))\b/;

/** `$CARGO_TARGET_DIR/debug/tracking-server`, or `<repo>/target/debug/tracking-server`. */
export function serverBinaryPath(): string {
  const configured = process.env["CARGO_TARGET_DIR"];
  const targetDir =
    configured === undefined || configured === ""
      ? join(REPO_ROOT, "target")
      : isAbsolute(configured)
        ? configured
        : // cargo reads a relative CARGO_TARGET_DIR from where it runs: scripts/test.sh runs it at the root.
          resolve(REPO_ROOT, configured);
  return join(targetDir, "debug", process.platform === "win32" ? "tracking-server.exe" : "tracking-server");
}

/** Runs a command in the repository root, inheriting stdio; rejects on a non-zero exit or after `timeoutMs`. */
function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new Error(`${command} ${args.join(" ")} failed: exit code ${code}, signal ${signal}`));
    });
  });
}

/**
 * The server binary: the one already built (`scripts/test.sh` runs `cargo test --workspace` first,
 * which builds it), else built now with `cargo build -p tracking-server`.
 */
export async function ensureServerBinary(buildTimeoutMs: number): Promise<string> {
  const binary = serverBinaryPath();
  if (!existsSync(binary)) {
    await run("cargo", ["build", "-p", "tracking-server"], buildTimeoutMs);
    if (!existsSync(binary)) throw new Error(`cargo build did not produce ${binary}`);
  }
  return binary;
}

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

export interface RunningServer {
  /** `http://127.0.0.1:PORT`, as logged by the server. */
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly dataDir: string;
  readonly logDir: string;
  /** Everything the server wrote on stderr so far (its log). */
  stderr(): string;
  /** Sends SIGTERM and resolves with how it exited; SIGKILLs it and rejects after `timeoutMs`. */
  stop(timeoutMs: number): Promise<ExitStatus>;
  /** Kills it if it still runs (SIGKILL), keeping its dirs; resolves once it is gone. */
  kill(): Promise<void>;
  /** Kills it if it still runs (SIGKILL) and removes the temp dirs; for clean-up after a failure. */
  dispose(): Promise<void>;
  /**
   * SIGKILLs it (unless `kill` did already), then starts the same binary again on the same port with the same data and log
   * dirs, admin token and options, like a crash and a supervisor's restart. The new handle owns
   * the temp dirs from then on (this one's `dispose` no longer removes them).
   */
  restart(startTimeoutMs: number): Promise<RunningServer>;
}

export type ServerOptions = {
  /** Front-end origins the server allows by CORS (`--cors-origins`); none by default. */
  corsOrigins?: readonly string[] | undefined;
};

/** Where one server keeps its files, and how it is started; kept across a restart. */
type Layout = {
  root: string;
  dataDir: string;
  logDir: string;
  adminToken: string;
  options: ServerOptions;
};

/**
 * Starts `binary` on a free port (`--bind 127.0.0.1:0`) with fresh temp data and log dirs and a
 * random admin token, and resolves once it logs `listening on http://127.0.0.1:PORT`. No
 * `TRACKING_*` variable of the caller's environment reaches it, so only these flags configure it.
 */
export async function startServer(
  binary: string,
  startTimeoutMs: number,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const root = await mkdtemp(join(tmpdir(), "tracking-server-e2e-"));
  const layout: Layout = {
    root,
    dataDir: join(root, "data"),
    logDir: join(root, "logs"),
    adminToken: randomBytes(24).toString("hex"), // 48 characters, the contract asks ≥ 32
    options,
  };
  return launch(binary, layout, "127.0.0.1:0", startTimeoutMs);
}

async function launch(binary: string, layout: Layout, bind: string, startTimeoutMs: number): Promise<RunningServer> {
  const { root, dataDir, logDir, adminToken, options } = layout;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("TRACKING_")) env[key] = value;

  const args = ["--bind", bind, "--data-dir", dataDir, "--log-dir", logDir, "--admin-token", adminToken];
  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) args.push("--cors-origins", corsOrigins.join(","));
  const child: ChildProcess = spawn(binary, args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  /** Set once `restart` handed the temp dirs to the next process. */
  let handedOver = false;

  // Should the test process end without stopping it (a crash, Ctrl-C), the server goes too.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  let log = "";
  let exit: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((done) => {
    child.once("exit", (code, signal) => {
      process.off("exit", killOnExit);
      exit = { code, signal };
      done(exit);
    });
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log += chunk;
  });

  async function kill(): Promise<void> {
    if (exit === undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  }
  async function dispose(): Promise<void> {
    await kill();
    if (!handedOver) await rm(root, { recursive: true, force: true });
  }

  let baseUrl: string;
  try {
    baseUrl = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`tracking-server did not log "listening on" within ${startTimeoutMs} ms:\n${log}`)),
        startTimeoutMs,
      );
      const check = (): void => {
        const found = LISTENING.exec(log);
        if (found?.[1] === undefined) return;
        clearTimeout(timer);
        child.stderr?.off("data", check);
        done(found[1]);
      };
      child.stderr?.on("data", check);
      child.once("error", (error) => {
        clearTimeout(timer);
        fail(error);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        fail(new Error(`tracking-server exited before listening (code ${code}, signal ${signal}):\n${log}`));
      });
    });
  } catch (error) {
    await dispose();
    throw error;
  }

  const listening = log.match(new RegExp(LISTENING.source, "g")) ?? [];
  if (listening.length !== 1) {
    await dispose();
    throw new Error(`expected exactly one "listening on http://…" line, found ${listening.length}:\n${log}`);
  }

  return {
    baseUrl,
    adminToken,
    dataDir,
    logDir,
    stderr: () => log,
    async stop(timeoutMs) {
      if (exit !== undefined) return exit;
      child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, fail) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          fail(new Error(`tracking-server did not stop within ${timeoutMs} ms of SIGTERM:\n${log}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill,
    dispose,
    async restart(timeoutMs) {
      await kill();
      handedOver = true;
      return launch(binary, layout, new URL(baseUrl).host, timeoutMs);
    },
  };
}
