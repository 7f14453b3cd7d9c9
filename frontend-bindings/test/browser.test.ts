// End to end in a real browser: the example app (examples/), built by Vite and served from its own
// origin, drives the real `tracking-server` from headless Chromium, so every request is a
// cross-origin `fetch` through `api.ts` (CORS preflights included) and the live events come
// through the browser's own `EventSource` in `connectBackendEvents`. The test only clicks, types
// and reads the page; Node talks to the server once, for the admin to create the parent.
//
// The steps share one server, one page and one child, and run in order.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { BrowserContext, Locator, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createApiClient } from "../src/api";
import type { CreatedUser } from "../src/models";
import { launchChromium, requireChromium } from "./support/chromium";
import { buildExample, serveExample, type ExampleSite } from "./support/exampleSite";
import { ensureServerBinary, startServer, type RunningServer } from "./support/trackingServer";

/** `cargo build` of a cold workspace on a 2-core machine, plus the example's `vite build`. */
const SETUP_TIMEOUT_MS = 12 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
/** Longest wait for the page to show something (a fetch, a live event, a reconnect). */
const WAIT_MS = 20_000;
const STEP_MS = 60_000;

let workDir: string | undefined;
let site: ExampleSite | undefined;
let server: RunningServer | undefined;
let browser: BrowserContext | undefined;
let page: Page;
let parent: CreatedUser;
/** Uncaught exceptions in the page. */
const pageErrors: string[] = [];

/** The one child the steps share, and the tracking events they recorded for it, oldest first. */
let childId = "";
const recorded: string[] = [];

beforeAll(async () => {
  const chromium = requireChromium();
  const binary = await ensureServerBinary(SETUP_TIMEOUT_MS);
  workDir = await mkdtemp(join(tmpdir(), "frontend-bindings-browser-"));
  const outDir = join(workDir, "site");
  await buildExample(outDir, 5 * 60_000);
  site = await serveExample(outDir);
  server = await startServer(binary, START_TIMEOUT_MS, { corsOrigins: [site.origin] });

  const admin = createApiClient({ baseUrl: server.baseUrl, token: server.adminToken });
  parent = await admin.adminCreateUser({ name: "Sam" });

  browser = await launchChromium(chromium, join(workDir, "profile"));
  page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  const current = server;
  try {
    if (current !== undefined) {
      const exit = await current.stop(STOP_TIMEOUT_MS);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(current.stderr()).not.toMatch(/\bERROR\b/);
    }
  } finally {
    await current?.dispose();
    await site?.close();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  }
}, STOP_TIMEOUT_MS + 30_000);

function running(): RunningServer {
  if (server === undefined) throw new Error("the server did not start");
  return server;
}

/** Waits until `read()` gives `expected` (the page updates asynchronously). */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  await expect.poll(read, { timeout: WAIT_MS, interval: 50 }).toEqual(expected);
}

const family = (): Locator => page.getByTestId("family");
const childLive = (): Locator => page.getByTestId("child-live");
const streamStatus = (): Promise<string | null> => childLive().getAttribute("data-status");
const points = (): Promise<string | null> => page.getByTestId("points").textContent();
const received = (): Promise<string[]> =>
  page
    .getByTestId("received")
    .locator("li")
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-event-id") ?? ""));
const history = (): Promise<string[]> =>
  page
    .getByTestId("history")
    .locator("li")
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-event-id") ?? ""));

/** Clicks "Activate" on a task and returns the tracking event id the answer showed. */
async function activate(task: string): Promise<string> {
  const shown = page.getByTestId("last-mutation");
  const before = (await shown.count()) === 0 ? null : await shown.getAttribute("data-event-id");
  await family().locator(`[data-task="${task}"] button`, { hasText: "Activate" }).click();
  await expect.poll(() => shown.getAttribute("data-event-id"), { timeout: WAIT_MS }).not.toBe(before);
  const id = await shown.getAttribute("data-event-id");
  if (id === null) throw new Error("the page shows no tracking event id");
  recorded.push(id);
  return id;
}

describe("the example app in headless Chromium, from another origin", () => {
  it(
    "connects to the server across origins",
    async () => {
      const server = running();
      expect(site?.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(site?.origin).not.toBe(server.baseUrl);

      await page.goto(`${site?.origin}/`);
      const form = page.getByTestId("connect");
      await form.locator('[name="baseUrl"]').fill(server.baseUrl);
      await form.locator('[name="token"]').fill(parent.token);
      await form.locator('[name="adminToken"]').fill(server.adminToken);
      await form.getByRole("button", { name: "Connect" }).click();

      // The admin table's first page arrived: a cross-origin GET with an Authorization header,
      // so the preflight passed.
      await eventually(() => page.getByTestId("page-info").getAttribute("data-total"), "0");
      await expect(family().getByTestId("error").count()).resolves.toBe(0);
    },
    STEP_MS,
  );

  it(
    "creates a child and a task",
    async () => {
      await family().getByTestId("new-child").locator('[name="name"]').fill("Robin");
      await family().getByTestId("new-child").getByRole("button").click();
      await eventually(() => family().locator('select[name="child"] option').allTextContents(), ["Robin"]);
      childId = await family().locator('select[name="child"]').inputValue();
      expect(childId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);

      const task = family().getByTestId("new-task");
      await task.locator('[name="name"]').fill("Dishes");
      await task.locator('[name="points"]').fill("5");
      await task.getByRole("button").click();
      await family().locator('[data-task="Dishes"]').waitFor({ timeout: WAIT_MS });

      await eventually(points, "0");
      await eventually(history, []);
    },
    STEP_MS,
  );

  it(
    "activates the task and receives its live event through connectBackendEvents",
    async () => {
      await eventually(streamStatus, "live");
      const id = await activate("Dishes");
      await expect(page.getByTestId("last-mutation").getAttribute("data-points")).resolves.toBe("5");

      await eventually(received, [id]);
      await eventually(points, "5");
      await eventually(history, [id]);
    },
    STEP_MS,
  );

  it(
    "shows a refused mutation as an ApiRequestError with status 409",
    async () => {
      const reward = family().getByTestId("new-reward");
      await reward.locator('[name="name"]').fill("Bike");
      await reward.locator('[name="cost"]').fill("100");
      await reward.getByRole("button").click();
      await family().locator('[data-reward="Bike"]').waitFor({ timeout: WAIT_MS });

      await family().locator('[data-reward="Bike"] button', { hasText: "Redeem" }).click();
      const error = family().getByTestId("error");
      await error.waitFor({ timeout: WAIT_MS });
      await expect(error.getAttribute("data-kind")).resolves.toBe("ApiRequestError");
      await expect(error.getAttribute("data-status")).resolves.toBe("409");
      await expect(error.getAttribute("data-code")).resolves.toBe("insufficient_points");

      // Nothing was recorded: no event, same points.
      await expect(page.getByTestId("last-mutation").getAttribute("data-event-id")).resolves.toBe(recorded.at(-1));
      await expect(received()).resolves.toEqual([...recorded].reverse());
      await expect(points()).resolves.toBe("5");
    },
    STEP_MS,
  );

  it(
    "pages and filters the history in the admin table",
    async () => {
      for (let i = 0; i < 4; i += 1) await activate("Dishes");
      await eventually(points, "25");

      const admin = page.getByTestId("admin");
      const filters = admin.getByTestId("filters");
      const info = admin.getByTestId("page-info");
      const rows = (): Promise<string[]> =>
        admin
          .getByTestId("rows")
          .locator("tr")
          .evaluateAll((items) => items.map((item) => item.getAttribute("data-event-id") ?? ""));
      const shown = async (): Promise<[string | null, string | null, string[]]> => [
        await info.getAttribute("data-total"),
        await info.getAttribute("data-offset"),
        await rows(),
      ];

      await filters.locator('[name="child_id"]').fill(childId);
      await filters.locator('[name="order"]').selectOption("asc");
      await filters.locator('[name="limit"]').fill("2");
      await filters.getByRole("button", { name: "Search" }).click();
      await eventually(shown, ["5", "0", recorded.slice(0, 2)]);

      await admin.getByRole("button", { name: "Next" }).click();
      await eventually(shown, ["5", "2", recorded.slice(2, 4)]);
      await admin.getByRole("button", { name: "Next" }).click();
      await eventually(shown, ["5", "4", recorded.slice(4, 5)]);
      await expect(admin.getByRole("button", { name: "Next" }).isDisabled()).resolves.toBe(true);
      await admin.getByRole("button", { name: "Previous" }).click();
      await eventually(shown, ["5", "2", recorded.slice(2, 4)]);

      await filters.locator('[name="order"]').selectOption("desc");
      await filters.getByRole("button", { name: "Search" }).click();
      await eventually(shown, ["5", "0", [...recorded].reverse().slice(0, 2)]);

      await filters.locator('[name="action"]').selectOption("redeemed");
      await filters.getByRole("button", { name: "Search" }).click();
      await eventually(shown, ["0", "0", []]);

      // A filter the server refuses is shown as its invalid_request, naming nothing else.
      await filters.locator('[name="action"]').selectOption("");
      await filters.locator('[name="from"]').fill("yesterday");
      await filters.getByRole("button", { name: "Search" }).click();
      const error = admin.getByTestId("error");
      await error.waitFor({ timeout: WAIT_MS });
      await expect(error.getAttribute("data-status")).resolves.toBe("400");
      await expect(error.getAttribute("data-code")).resolves.toBe("invalid_request");
      await filters.locator('[name="from"]').fill("");
    },
    STEP_MS,
  );

  it(
    "survives a server restart: the stream reconnects and delivers what is recorded afterwards",
    async () => {
      await running().kill();
      await eventually(streamStatus, "reconnecting");

      server = await running().restart(START_TIMEOUT_MS);
      await eventually(streamStatus, "live");
      await eventually(points, "25");
      await eventually(history, [...recorded].reverse().slice(0, 10));

      const id = await activate("Dishes");
      await eventually(received, [...recorded].reverse());
      await eventually(points, "30");
      await expect(received()).resolves.toContain(id);
    },
    STEP_MS,
  );

  it(
    "resumes the stream: an event recorded while the page was disconnected arrives after the reconnect, once",
    async () => {
      // Cut the page's stream with a crash, keep it from reopening (Chromium refuses its /events
      // requests) while the page records an activation, then let it reconnect: connectBackendEvents
      // resumes from the last cursor it received, so the missed event arrives live, exactly once.
      const streams: URL[] = [];
      const onRequest = (request: Request): void => {
        const url = new URL(request.url());
        if (url.pathname === "/events") streams.push(url);
      };
      page.on("request", onRequest);
      const events = `${running().baseUrl}/events?*`;
      await page.route(events, (route) => route.abort("connectionrefused"));
      try {
        await running().kill();
        await eventually(streamStatus, "reconnecting");
        server = await running().restart(START_TIMEOUT_MS);

        // The server answered, but the page cannot hear of it while its stream is refused.
        const missed = await activate("Dishes");
        expect(await received()).not.toContain(missed);
        expect(await streamStatus()).toBe("reconnecting");
      } finally {
        await page.unroute(events);
      }
      await eventually(streamStatus, "live");
      // Replayed once: the list is exactly what was recorded, no duplicate of the missed event.
      await eventually(received, [...recorded].reverse());
      await eventually(points, "35");
      await eventually(history, [...recorded].reverse().slice(0, 10));
      page.off("request", onRequest);

      const resumed = streams.at(-1);
      expect(resumed?.searchParams.get("ticket")).toBeTruthy();
      expect(resumed?.searchParams.get("last_event_id")).toBeTruthy();

      // And it goes on live after the replay.
      const next = await activate("Dishes");
      await eventually(received, [...recorded].reverse());
      await eventually(points, "40");
      expect(recorded.at(-1)).toBe(next);
    },
    STEP_MS,
  );

  it(
    "a child token: the child's own device sees its child live, requests a reward and is refused an activation",
    async () => {
      // The parent creates a reward the child can afford and issues a token for the child's device.
      const reward = family().getByTestId("new-reward");
      await reward.locator('[name="name"]').fill("Sticker");
      await reward.locator('[name="cost"]').fill("5");
      await reward.getByRole("button").click();
      await family().locator('[data-reward="Sticker"]').waitFor({ timeout: WAIT_MS });
      await family().getByRole("button", { name: "Issue a child token" }).click();
      const issued = family().getByTestId("child-token");
      await issued.waitFor({ timeout: WAIT_MS });
      await expect(issued.getAttribute("data-child-id")).resolves.toBe(childId);
      const childToken = await issued.getAttribute("data-token");
      expect(childToken).toBeTruthy();

      // The child's device: the same app, in a second tab, connected with the child's token.
      const device = await (browser as BrowserContext).newPage();
      device.on("pageerror", (error) => pageErrors.push(`child device: ${error.message}`));
      try {
        await device.goto(`${site?.origin}/`);
        const form = device.getByTestId("connect");
        await form.locator('[name="baseUrl"]').fill(running().baseUrl);
        await form.locator('[name="token"]').fill(childToken ?? "");
        await form.getByRole("button", { name: "Connect" }).click();
        const own = device.getByTestId("family");

        // Only its own child, live, with the parent's points.
        await eventually(() => own.locator('select[name="child"] option').allTextContents(), ["Robin"]);
        await eventually(() => device.getByTestId("child-live").getAttribute("data-status"), "live");
        const shownPoints = await points();
        await eventually(() => device.getByTestId("points").textContent(), shownPoints);

        // Activating is the parent's: 403 forbidden, nothing recorded.
        await own.locator('[data-task="Dishes"] button', { hasText: "Activate" }).click();
        const refused = own.getByTestId("error");
        await refused.waitFor({ timeout: WAIT_MS });
        await expect(refused.getAttribute("data-kind")).resolves.toBe("ApiRequestError");
        await expect(refused.getAttribute("data-status")).resolves.toBe("403");
        await expect(refused.getAttribute("data-code")).resolves.toBe("forbidden");

        // Requesting a reward is the child's own: recorded with actor "child", and heard live by
        // both the child's device and the parent's page.
        await own.locator('[data-reward="Sticker"] button', { hasText: "Request" }).click();
        const answer = own.getByTestId("last-mutation");
        await answer.waitFor({ timeout: WAIT_MS });
        const requested = await answer.getAttribute("data-event-id");
        expect(requested).toBeTruthy();
        await expect(answer.getAttribute("data-actor")).resolves.toBe("child");
        recorded.push(requested ?? "");
        await eventually(
          () =>
            device
              .getByTestId("received")
              .locator("li")
              .evaluateAll((items) => items.map((item) => item.getAttribute("data-event-id"))),
          [requested],
        );
        await eventually(received, [...recorded].reverse());
      } finally {
        await device.close();
      }
    },
    STEP_MS,
  );

  it("threw nothing in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});
