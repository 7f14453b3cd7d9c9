import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiRequestError } from "../src/api";
import {
  SERVER_EVENTS,
  SERVER_EVENT_TYPES,
  connectBackendEvents,
  eventsUrl,
  isServerEventType,
  openBackendEvents,
} from "../src/backendEvents";
import type { BackendEventProblem, ConnectBackendEventsOptions } from "../src/backendEvents";
import type { EventTicket, TrackingEventCreated } from "../src/models";
import sseFixture from "../../fixtures/sse_tracking_event_created.json";
import { fakeEventSourceClass } from "./support/fakeEventSource";

const BASE = "http://127.0.0.1:8080";
const payload: TrackingEventCreated = {
  tracking_event_id: "01JKZ8Q4V3X9T7M2N5P6R8S0AB",
  child_id: "01JKZ8N0P1Q2R3S4T5V6W7X8YZ",
  entity_type: "penalty",
  entity_id: "01JKZ8PA0B1C2D3E4F5G6H7J8K",
  action: "activated",
  delta: -3,
  points_after: 12,
  occurred_at: "2026-02-09T18:43:02.001Z",
};

describe("the registry", () => {
  it("registers tracking_event_created and tracking_stream_reset, in step with ServerEventType", () => {
    expect(SERVER_EVENT_TYPES).toEqual(["tracking_event_created", "tracking_stream_reset"]);
    expect(Object.keys(SERVER_EVENTS)).toEqual([...SERVER_EVENT_TYPES]);
    expect(isServerEventType("tracking_event_created")).toBe(true);
    expect(isServerEventType("message")).toBe(false);
    expect(isServerEventType("toString")).toBe(false);
  });

  it("checks each type's payload", () => {
    expect(SERVER_EVENTS.tracking_event_created.is(payload)).toBe(true);
    expect(SERVER_EVENTS.tracking_event_created.is({ ...payload, action: "deleted" })).toBe(false);
    expect(SERVER_EVENTS.tracking_stream_reset.is({ reason: "unknown_cursor" })).toBe(true);
    expect(SERVER_EVENTS.tracking_stream_reset.is({ reason: "too_far_behind" })).toBe(true);
    expect(SERVER_EVENTS.tracking_stream_reset.is({ reason: "gone" })).toBe(false);
  });
});

describe("openBackendEvents", () => {
  function open(overrides: { onOpen?: () => void } = {}) {
    const fake = fakeEventSourceClass();
    const received: [TrackingEventCreated, { type: string; lastEventId: string }][] = [];
    const problems: BackendEventProblem[] = [];
    const stream = openBackendEvents({
      baseUrl: `${BASE}/`,
      ticket: "t+k/t t",
      EventSource: fake.EventSource,
      handlers: { tracking_event_created: (p, meta) => received.push([p, meta]) },
      onError: (problem) => problems.push(problem),
      ...overrides,
    });
    const [source] = fake.instances;
    if (source === undefined) throw new Error("no EventSource was made");
    return { stream, source, fake, received, problems };
  }

  it("opens /events with the ticket, URL-encoded, and listens to every registered type", () => {
    const { source, fake } = open();
    expect(fake.instances).toHaveLength(1);
    expect(source.url).toBe(`${BASE}/events?ticket=t%2Bk%2Ft%20t`);
    for (const type of SERVER_EVENT_TYPES) expect(source.listenedTypes()).toContain(type);
    expect(source.listenedTypes()).toEqual(expect.arrayContaining(["message", "open", "error"]));
  });

  it("hands a valid payload, parsed and typed, to its callback", () => {
    const { source, received, problems } = open();
    source.emit("tracking_event_created", JSON.stringify(payload), payload.tracking_event_id);
    source.emit("tracking_event_created", JSON.stringify(sseFixture));
    expect(received).toEqual([
      [payload, { type: "tracking_event_created", lastEventId: payload.tracking_event_id }],
      [sseFixture, { type: "tracking_event_created", lastEventId: "" }],
    ]);
    expect(problems).toEqual([]);
  });

  it("accepts a payload with a field this version does not know", () => {
    const { source, received, problems } = open();
    source.emit("tracking_event_created", JSON.stringify({ ...payload, child_name: "Sam" }));
    expect(received).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it("reports malformed JSON instead of calling back or throwing", () => {
    const { source, received, problems } = open();
    expect(() => source.emit("tracking_event_created", "{not json")).not.toThrow();
    expect(received).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: "malformed_event", type: "tracking_event_created", data: "{not json" });
  });

  it("reports JSON that is not the payload, naming every problem", () => {
    const { source, received, problems } = open();
    const { delta: _delta, ...withoutDelta } = payload;
    source.emit("tracking_event_created", JSON.stringify({ ...withoutDelta, entity_type: "chore" }));
    source.emit("tracking_event_created", "null");
    expect(received).toEqual([]);
    expect(problems.map((p) => p.kind)).toEqual(["malformed_event", "malformed_event"]);
    const first = problems[0];
    if (first?.kind !== "malformed_event") throw new Error("expected a malformed_event");
    expect(first.problems).toEqual([
      expect.stringMatching(/^\$\.entity_type: expected one of "task" \| "reward" \| "penalty", got "chore"$/),
      expect.stringMatching(/^\$\.delta: missing/),
    ]);
  });

  it("reports an event of no registered type (an SSE message without `event:`)", () => {
    const { source, received, problems } = open();
    source.emit("message", '{"hello":1}');
    expect(received).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ kind: "unknown_event", type: "message", data: '{"hello":1}' })]);
  });

  it("reports a throwing callback and goes on", () => {
    const fake = fakeEventSourceClass();
    const problems: BackendEventProblem[] = [];
    let calls = 0;
    openBackendEvents({
      baseUrl: BASE,
      ticket: "t",
      EventSource: fake.EventSource,
      handlers: {
        tracking_event_created: () => {
          calls++;
          throw new Error("boom");
        },
      },
      onError: (p) => problems.push(p),
    });
    const source = fake.instances[0];
    expect(() => source?.emit("tracking_event_created", JSON.stringify(payload))).not.toThrow();
    source?.emit("tracking_event_created", JSON.stringify(payload));
    expect(calls).toBe(2);
    expect(problems).toEqual([
      expect.objectContaining({ kind: "handler_failed", type: "tracking_event_created", message: expect.stringContaining("boom") }),
      expect.objectContaining({ kind: "handler_failed" }),
    ]);
  });

  it("ignores a registered type without a callback", () => {
    const fake = fakeEventSourceClass();
    const onError = vi.fn();
    openBackendEvents({ baseUrl: BASE, ticket: "t", EventSource: fake.EventSource, handlers: {}, onError });
    fake.instances[0]?.emit("tracking_event_created", JSON.stringify(payload));
    expect(onError).not.toHaveBeenCalled();
  });

  it("reports connection errors with the ready state, and calls onOpen", () => {
    const onOpen = vi.fn();
    const { source, problems } = open({ onOpen });
    source.open();
    expect(onOpen).toHaveBeenCalledTimes(1);
    source.fail(0);
    source.fail(2);
    expect(problems).toEqual([
      expect.objectContaining({ kind: "connection", readyState: 0 }),
      expect.objectContaining({ kind: "connection", readyState: 2 }),
    ]);
  });

  it("closes cleanly: the source is closed once, nothing is delivered or reported afterwards", () => {
    const { stream, source, received, problems } = open();
    expect(stream.closed).toBe(false);
    stream.close();
    stream.close();
    expect(stream.closed).toBe(true);
    expect(source.closeCalls).toBe(1);
    source.emit("tracking_event_created", JSON.stringify(payload));
    source.emit("tracking_event_created", "{bad");
    source.emit("message", "x");
    source.fail(2);
    expect(received).toEqual([]);
    expect(problems).toEqual([]);
  });

  describe("defaults", () => {
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    });

    it("warns on the console when no onError is given", () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const fake = fakeEventSourceClass();
      openBackendEvents({ baseUrl: BASE, ticket: "t", EventSource: fake.EventSource, handlers: {} });
      fake.instances[0]?.emit("tracking_event_created", "oops");
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toContain("tracking_event_created: data is not JSON");
    });

    it("uses globalThis.EventSource, and says so when there is none", () => {
      const fake = fakeEventSourceClass();
      vi.stubGlobal("EventSource", fake.EventSource);
      openBackendEvents({ baseUrl: BASE, ticket: "t", handlers: {} });
      expect(fake.instances).toHaveLength(1);
      vi.stubGlobal("EventSource", undefined);
      expect(() => openBackendEvents({ baseUrl: BASE, ticket: "t", handlers: {} })).toThrow(/no EventSource/);
    });
  });

  it("eventsUrl joins the base URL and the encoded ticket", () => {
    expect(eventsUrl("https://x.example/api/", "a&b")).toBe("https://x.example/api/events?ticket=a%26b");
    expect(eventsUrl("", "t")).toBe("/events?ticket=t");
    expect(eventsUrl("", "t", "v1.a+b/c")).toBe("/events?ticket=t&last_event_id=v1.a%2Bb%2Fc");
    expect(eventsUrl("", "t", "")).toBe("/events?ticket=t");
  });
});

describe("connectBackendEvents", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An api stand-in whose tickets are `t1`, `t2`, ... unless a failure is queued. */
  function setup(options: Partial<ConnectBackendEventsOptions> = {}, failures: unknown[] = []) {
    const fake = fakeEventSourceClass();
    let issued = 0;
    const createEventTicket = vi.fn(async (): Promise<EventTicket> => {
      if (failures.length > 0) throw failures.shift();
      issued++;
      return { ticket: `t${issued}`, expires_at: "2026-02-09T18:43:15.123Z" };
    });
    const received: TrackingEventCreated[] = [];
    const problems: BackendEventProblem[] = [];
    const stream = connectBackendEvents({
      api: { baseUrl: BASE, createEventTicket },
      EventSource: fake.EventSource,
      handlers: { tracking_event_created: (p) => received.push(p) },
      onError: (p) => problems.push(p),
      ...options,
    });
    return { stream, fake, createEventTicket, received, problems };
  }

  it("gets a ticket through the api client, then opens the stream with it", async () => {
    const { fake, createEventTicket, received } = setup();
    expect(fake.instances).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(createEventTicket).toHaveBeenCalledTimes(1);
    expect(fake.instances.map((s) => s.url)).toEqual([`${BASE}/events?ticket=t1`]);
    fake.instances[0]?.emit("tracking_event_created", JSON.stringify(payload));
    expect(received).toEqual([payload]);
  });

  it("resumes each new stream from the cursor of the last event received", async () => {
    const seen: string[] = [];
    const { fake, received } = setup({
      reconnect: { initialDelayMs: 10 },
      lastEventId: "c0",
      onEventId: (id) => seen.push(id),
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.instances[0]?.url).toBe(`${BASE}/events?ticket=t1&last_event_id=c0`);
    fake.instances[0]?.emit("tracking_event_created", JSON.stringify(payload), "c1");
    fake.instances[0]?.emit("tracking_event_created", "{malformed", "c-bad");
    fake.instances[0]?.emit("tracking_stream_reset", JSON.stringify({ reason: "too_far_behind" }), "c2");
    fake.instances[0]?.fail(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(fake.instances[1]?.url).toBe(`${BASE}/events?ticket=t2&last_event_id=c2`);
    fake.instances[1]?.fail(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(fake.instances[2]?.url).toBe(`${BASE}/events?ticket=t3&last_event_id=c2`);
    expect(received).toEqual([payload]);
    expect(seen).toEqual(["c1", "c2"]);
  });

  it("hands tracking_stream_reset to its callback", async () => {
    const resets: unknown[] = [];
    const { fake } = setup({
      handlers: { tracking_stream_reset: (p, meta) => resets.push([p.reason, meta.lastEventId]) },
    });
    await vi.advanceTimersByTimeAsync(0);
    fake.instances[0]?.emit("tracking_stream_reset", JSON.stringify({ reason: "unknown_cursor" }), "c9");
    expect(resets).toEqual([["unknown_cursor", "c9"]]);
  });

  it("opens nothing when closed before the ticket arrives", async () => {
    const { stream, fake } = setup();
    stream.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.instances).toHaveLength(0);
    expect(stream.closed).toBe(true);
  });

  it("after a dropped stream, closes it and reconnects with a fresh ticket, backing off", async () => {
    const { fake, createEventTicket, problems } = setup({ reconnect: { initialDelayMs: 100, maxDelayMs: 250 } });
    await vi.advanceTimersByTimeAsync(0);
    const first = fake.instances[0];
    first?.fail(0); // the browser would retry with the spent ticket
    expect(first?.closeCalls).toBe(1);
    expect(problems).toEqual([expect.objectContaining({ kind: "connection", readyState: 0 })]);

    await vi.advanceTimersByTimeAsync(99);
    expect(fake.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.instances.map((s) => s.url)).toEqual([`${BASE}/events?ticket=t1`, `${BASE}/events?ticket=t2`]);

    fake.instances[1]?.fail(2); // second failure in a row: 200 ms
    await vi.advanceTimersByTimeAsync(199);
    expect(fake.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.instances).toHaveLength(3);

    fake.instances[2]?.fail(2); // capped at 250 ms
    await vi.advanceTimersByTimeAsync(249);
    expect(fake.instances).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.instances).toHaveLength(4);

    fake.instances[3]?.open(); // an open stream resets the backoff
    fake.instances[3]?.fail(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.instances).toHaveLength(5);
    expect(createEventTicket).toHaveBeenCalledTimes(5);
  });

  it("retries a failed ticket request, but gives up on 401", async () => {
    const unauthorized = new ApiRequestError({
      status: 401,
      code: "unauthorized",
      message: "unknown token",
      request: "POST /events/ticket",
      fromContract: true,
      responseText: "",
    });
    const { stream, fake, createEventTicket, problems } = setup({ reconnect: { initialDelayMs: 10 } }, [
      new TypeError("fetch failed"),
      unauthorized,
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(problems).toEqual([expect.objectContaining({ kind: "ticket_failed", message: expect.stringContaining("fetch failed") })]);
    await vi.advanceTimersByTimeAsync(10);
    expect(createEventTicket).toHaveBeenCalledTimes(2);
    expect(problems[1]).toMatchObject({ kind: "ticket_failed", error: unauthorized });
    expect(stream.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(createEventTicket).toHaveBeenCalledTimes(2);
    expect(fake.instances).toHaveLength(0);
  });

  it("with reconnect: false, a dropped stream closes the handle", async () => {
    const { stream, fake, createEventTicket } = setup({ reconnect: false });
    await vi.advanceTimersByTimeAsync(0);
    fake.instances[0]?.fail(2);
    expect(stream.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(createEventTicket).toHaveBeenCalledTimes(1);
  });

  it("close() stops a pending reconnect and closes the open source", async () => {
    const { stream, fake, createEventTicket } = setup({ reconnect: { initialDelayMs: 100 } });
    await vi.advanceTimersByTimeAsync(0);
    fake.instances[0]?.fail(2);
    stream.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(createEventTicket).toHaveBeenCalledTimes(1);

    const second = setup();
    await vi.advanceTimersByTimeAsync(0);
    second.stream.close();
    expect(second.fake.instances[0]?.closeCalls).toBe(1);
  });
});
