import { describe, expect, it } from "vitest";

import {
  ValidationError,
  assertValid,
  errorBody,
  health,
  integer,
  timestamp,
  trackedMutation,
  trackingEvent,
  trackingEventPage,
  ulid,
} from "../src/validate";
import type { TrackingEvent } from "../src/models";
import taskActivated from "../../fixtures/events/task_activated.json";
import trackedMutationFixture from "../../fixtures/tracked_mutation.json";

const event = assertValid(trackingEvent, taskActivated);

describe("building blocks", () => {
  it.each([
    ["2026-02-09T18:42:15.123Z", true],
    ["2026-02-09T18:42:15Z", false],
    ["2026-02-09T18:42:15.123+01:00", false],
    ["2026-02-09T18:42:15.1234Z", false],
    ["2026-13-09T18:42:15.123Z", false],
    ["2026-02-09 18:42:15.123Z", false],
    [1739126535123, false],
  ] as const)("timestamp %j → %s", (value, valid) => {
    expect(timestamp.is(value)).toBe(valid);
  });

  it.each([
    ["01JKZ8Q4V3X9T7M2N5P6R8S0AB", true],
    ["01jkz8q4v3x9t7m2n5p6r8s0ab", true],
    ["01JKZ8Q4V3X9T7M2N5P6R8S0A", false],
    ["01JKZ8Q4V3X9T7M2N5P6R8S0AU", false],
    ["81JKZ8Q4V3X9T7M2N5P6R8S0AB", false],
    ["", false],
  ] as const)("ulid %j → %s", (value, valid) => {
    expect(ulid.is(value)).toBe(valid);
  });

  it.each([
    [0, true],
    [-3, true],
    [Number.MAX_SAFE_INTEGER, true],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [1.5, false],
    ["5", false],
    [Number.NaN, false],
  ] as const)("integer %j → %s", (value, valid) => {
    expect(integer.is(value)).toBe(valid);
  });
});

describe("documents", () => {
  it("accepts a valid event and reports each problem of an invalid one with its path", () => {
    expect(trackingEvent.problems(event)).toEqual([]);
    const { delta: _delta, ...withoutDelta } = event;
    const bad = { ...withoutDelta, entity_type: "chore", user_id: undefined, points_after: "15", metadata: [] };
    expect(trackingEvent.problems(bad)).toEqual([
      '$.user_id: expected a ULID or null, got undefined',
      '$.entity_type: expected one of "task" | "reward" | "penalty", got "chore"',
      '$.points_after: expected a safe integer, got "15"',
      "$.delta: missing (expected a safe integer)",
      "$.metadata: expected EventMetadata or null, got an array",
    ]);
    expect(trackingEvent.is(bad)).toBe(false);
    expect(trackingEvent.problems(null)).toEqual(["$: expected TrackingEvent (an object), got null"]);
  });

  it("checks the metadata: who acted, and the entity's numbers", () => {
    const byChild = { ...event, metadata: { entity_name: "Ice cream", actor: "child", cost: 10 } };
    expect(trackingEvent.problems(byChild)).toEqual([]);
    const bad = { ...event, metadata: { entity_name: "Ice cream", actor: "dog", cost: "10" } };
    expect(trackingEvent.problems(bad)).toEqual([
      '$.metadata.actor: expected one of "parent" | "child", got "dog"',
      '$.metadata.cost: expected a safe integer, got "10"',
    ]);
  });

  it("accepts null where the model says so (user_id after deletion, metadata)", () => {
    const anonymized: TrackingEvent = { ...event, user_id: null, metadata: null };
    expect(trackingEvent.is(anonymized)).toBe(true);
  });

  it("checks the items of a page", () => {
    const page = { items: [event, { ...event, action: "deleted" }], total: 2, limit: 50, offset: 0 };
    expect(trackingEventPage.problems(page)).toEqual([
      '$.items[1].action: expected one of "activated" | "requested" | "redeemed" | "cancelled", got "deleted"',
    ]);
    expect(trackingEventPage.problems({ ...page, items: [event], total: -1 })).toEqual([
      "$.total: expected a non-negative safe integer, got number -1",
    ]);
  });

  it("an optional field may be absent but not null or wrong", () => {
    const { reward_request, ...withoutRequest } = trackedMutationFixture;
    expect(trackedMutation.is(withoutRequest)).toBe(true);
    expect(trackedMutation.is({ ...withoutRequest, reward_request })).toBe(true);
    expect(trackedMutation.problems({ ...withoutRequest, reward_request: null })).toEqual([
      "$.reward_request: expected RewardRequest (an object), got null",
    ]);
    expect(trackedMutation.problems({ ...withoutRequest, reward_request: { ...reward_request, status: "done" } })).toEqual([
      '$.reward_request.status: expected one of "pending" | "redeemed" | "cancelled", got "done"',
    ]);
  });

  it("allows unknown fields unless exact", () => {
    const extended = { ...event, child_name: "Sam" };
    expect(trackingEvent.is(extended)).toBe(true);
    expect(trackingEvent.problems(extended, { exact: true })).toEqual(["$.child_name: not a field of TrackingEvent"]);
    expect(health.problems({ status: "ok", tracking_backlog: 0, audit_backlog: 0, version: "1" }, { exact: true })).toEqual([
      "$.version: not a field of Health",
    ]);
  });

  it("checks error bodies, including an unknown code", () => {
    expect(errorBody.is({ error: { code: "not_found", message: "no such child" } })).toBe(true);
    expect(errorBody.is({ error: { code: "invalid_request", message: "m", details: { field: "limit" } } })).toBe(true);
    expect(errorBody.is({ error: { code: "teapot", message: "m" } })).toBe(false);
    expect(errorBody.is({ code: "not_found", message: "m" })).toBe(false);
  });

  it("assertValid throws a ValidationError listing the problems", () => {
    expect(() => assertValid(health, { status: "ok" })).toThrow(ValidationError);
    expect(() => assertValid(health, { status: "ok" })).toThrow(
      "not a valid Health: $.tracking_backlog: missing (expected a non-negative safe integer)",
    );
    const backlog = { status: "ok", tracking_backlog: 3, audit_backlog: 4 };
    expect(assertValid(health, backlog)).toEqual(backlog);
  });
});
