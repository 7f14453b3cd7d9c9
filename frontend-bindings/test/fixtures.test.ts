/// <reference types="vite/client" />
// The JSON documents Rust wrote from real model values (../fixtures), checked against the
// generated TypeScript types twice:
//
// - at compile time, `satisfies JsonShape<T>`: every field of `T` is present with the right JSON
//   kind (a JSON import widens `"task"` to `string`, so a plain `satisfies T` cannot compile; see
//   test/support/jsonShape.ts and the README);
// - at run time, by the validators of src/validate.ts (which are themselves typed against
//   models.ts), in `exact` mode: enum values, id and timestamp formats, no unknown fields. A
//   passing check narrows the value to `T`, which the `satisfies T` lines below then confirm.

import { describe, expect, it } from "vitest";

import type {
  ChildSummary,
  ErrorBody,
  FamilyRanking,
  Page,
  TrackedMutation,
  TrackingEvent,
  TrackingEventCreated,
} from "../src/index";
import { SERVER_EVENTS, SERVER_EVENT_TYPES, isServerEventType } from "../src/backendEvents";
import { assertValid, errorBody, trackedMutation, trackingEvent, trackingEventPage } from "../src/validate";
import type { Validator } from "../src/validate";
import type { JsonShape } from "./support/jsonShape";

import childSummaryFixture from "../../fixtures/child_summary.json";
import familyRankingFixture from "../../fixtures/family_ranking.json";
import errorInsufficientPoints from "../../fixtures/error_insufficient_points.json";
import errorInvalidRequest from "../../fixtures/error_invalid_request.json";
import penaltyActivated from "../../fixtures/events/penalty_activated.json";
import rewardCancelled from "../../fixtures/events/reward_cancelled.json";
import rewardRedeemed from "../../fixtures/events/reward_redeemed.json";
import rewardRequested from "../../fixtures/events/reward_requested.json";
import taskActivated from "../../fixtures/events/task_activated.json";
import pageFixture from "../../fixtures/page.json";
import sseTrackingEventCreated from "../../fixtures/sse_tracking_event_created.json";
import trackedMutationFixture from "../../fixtures/tracked_mutation.json";

// ---- compile time: the shape of each fixture -------------------------------------------------

taskActivated satisfies JsonShape<TrackingEvent>;
penaltyActivated satisfies JsonShape<TrackingEvent>;
rewardRequested satisfies JsonShape<TrackingEvent>;
rewardRedeemed satisfies JsonShape<TrackingEvent>;
rewardCancelled satisfies JsonShape<TrackingEvent>;
pageFixture satisfies JsonShape<Page<TrackingEvent>>;
sseTrackingEventCreated satisfies JsonShape<TrackingEventCreated>;
trackedMutationFixture satisfies JsonShape<TrackedMutation>;
errorInsufficientPoints satisfies JsonShape<ErrorBody>;
errorInvalidRequest satisfies JsonShape<ErrorBody>;
childSummaryFixture satisfies JsonShape<ChildSummary>;
familyRankingFixture satisfies JsonShape<FamilyRanking>;

// ---- run time: the values, then the narrowed types -------------------------------------------

describe("fixtures imported one by one", () => {
  it("events/*.json are TrackingEvents", () => {
    const events = [taskActivated, penaltyActivated, rewardRequested, rewardRedeemed, rewardCancelled].map(
      (doc) => assertValid(trackingEvent, doc, { exact: true }) satisfies TrackingEvent,
    );
    expect(events.map((e) => [e.entity_type, e.action])).toEqual([
      ["task", "activated"],
      ["penalty", "activated"],
      ["reward", "requested"],
      ["reward", "redeemed"],
      ["reward", "cancelled"],
    ]);
    for (const e of events) expect(e.delta).toBe(e.points_after - e.points_before);
  });

  it("page.json is a Page<TrackingEvent>", () => {
    const page = assertValid(trackingEventPage, pageFixture, { exact: true }) satisfies Page<TrackingEvent>;
    expect(page.items.length).toBeLessThanOrEqual(page.limit);
    expect(page.total).toBeGreaterThanOrEqual(page.items.length);
  });

  it("sse_tracking_event_created.json is a TrackingEventCreated", () => {
    const payload = assertValid(SERVER_EVENTS.tracking_event_created, sseTrackingEventCreated, {
      exact: true,
    }) satisfies TrackingEventCreated;
    expect(payload.tracking_event_id).toBe(taskActivated.id);
  });

  it("tracked_mutation.json is a TrackedMutation", () => {
    const m = assertValid(trackedMutation, trackedMutationFixture, { exact: true }) satisfies TrackedMutation;
    expect(m.child.points).toBe(m.tracking_event.points_after);
    expect(m.reward_request?.status).toBe("redeemed");
  });

  it("error_*.json are ErrorBodies", () => {
    const a = assertValid(errorBody, errorInsufficientPoints, { exact: true }) satisfies ErrorBody;
    const b = assertValid(errorBody, errorInvalidRequest, { exact: true }) satisfies ErrorBody;
    expect(a.error.code).toBe("insufficient_points");
    expect(b.error.details?.field).toBe("limit");
  });
});

describe("summary fixtures", () => {
  it("child_summary.json adds up: good_share and buckets follow from the totals", () => {
    const s = childSummaryFixture;
    expect(s.good_share).toBe(s.totals.earned / (s.totals.earned + s.totals.lost));
    const sum = (key: "earned" | "lost" | "spent") => s.buckets.reduce((total, b) => total + b[key], 0);
    expect([sum("earned"), sum("lost"), sum("spent")]).toEqual([s.totals.earned, s.totals.lost, s.totals.spent]);
    expect(s.tz).toBe("America/Los_Angeles");
    // Local midnight in Los Angeles (PST) is 08:00 UTC.
    for (const b of s.buckets) expect(b.start).toMatch(/T08:00:00\.000Z$/);
  });

  it("family_ranking.json is ordered by earned, ties sharing a rank", () => {
    const children = familyRankingFixture.children;
    expect(children.map((c) => c.rank)).toEqual([1, 1, 3]);
    const earned = children.map((c) => c.totals.earned);
    expect(earned).toEqual([...earned].sort((a, b) => b - a));
    expect(children.at(-1)?.good_share).toBeNull();
  });
});

// Every fixture file, including ones added after this test was written, by naming convention.
const files = import.meta.glob<unknown>(["../../fixtures/*.json", "../../fixtures/events/*.json"], {
  eager: true,
  import: "default",
});

function validatorFor(path: string): Validator<unknown> | undefined {
  const name = path.replace(/^.*\/fixtures\//, "");
  if (name.startsWith("events/")) return trackingEvent;
  if (name.startsWith("error_")) return errorBody;
  if (name === "page.json") return trackingEventPage;
  if (name === "tracked_mutation.json") return trackedMutation;
  const sse = /^sse_(.+)\.json$/.exec(name)?.[1];
  if (sse !== undefined) return isServerEventType(sse) ? SERVER_EVENTS[sse] : undefined;
  return undefined;
}

describe("every fixture file", () => {
  const entries = Object.entries(files);

  it("finds the fixture files", () => {
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(entries.filter(([path]) => path.includes("/events/")).length).toBeGreaterThanOrEqual(5);
  });

  it.each(entries)("%s is valid", (path, doc) => {
    const validator = validatorFor(path);
    if (validator === undefined) {
      // A top-level fixture this package does not know (e.g. a demo family): nothing to check,
      // unless it looks like an SSE payload of an unregistered event type.
      expect(path).not.toMatch(/\/sse_[^/]+\.json$/);
      return;
    }
    expect(validator.problems(doc, { exact: true })).toEqual([]);
  });

  it("has an sse_<type>.json for every registered server event type", () => {
    const names = entries.map(([path]) => path.replace(/^.*\//, ""));
    for (const type of SERVER_EVENT_TYPES) expect(names).toContain(`sse_${type}.json`);
  });
});

