// The server's live events (Server-Sent Events on `GET /events`): the registry of event types,
// their payload types, and helpers that open an `EventSource` and hand typed payloads to callbacks.

import type { ApiClient } from "./api";
import { ApiRequestError } from "./api";
import type { ServerEventType, TrackingEventCreated, TrackingStreamReset } from "./models";
import type { Validator } from "./validate";
import { trackingEventCreated, trackingStreamReset } from "./validate";

interface PayloadOf {
  tracking_event_created: TrackingEventCreated;
  tracking_stream_reset: TrackingStreamReset;
}

/**
 * The payload type of each server event type. Its keys are exactly `ServerEventType` (generated
 * from Rust); a new Rust variant fails to compile here until `PayloadOf` names its payload.
 */
export type ServerEventPayloads = { [K in ServerEventType]: PayloadOf[K] };

/**
 * The registry: every server event type with the runtime check of its payload. `satisfies` makes
 * it name exactly the members of `ServerEventType`, no more and no fewer.
 */
export const SERVER_EVENTS = {
  tracking_event_created: trackingEventCreated,
  tracking_stream_reset: trackingStreamReset,
} as const satisfies { readonly [K in ServerEventType]: Validator<ServerEventPayloads[K]> };

/** Every registered event type: the ones the helpers listen to. */
export const SERVER_EVENT_TYPES = Object.freeze(Object.keys(SERVER_EVENTS) as ServerEventType[]);

/** Whether a string names a registered server event type. */
export function isServerEventType(type: string): type is ServerEventType {
  return Object.hasOwn(SERVER_EVENTS, type);
}

/** What a callback gets besides the payload. */
export type ServerEventMeta<K extends ServerEventType = ServerEventType> = {
  type: K;
  /**
   * The SSE `id:` line: an opaque resume cursor chosen by the server (never parse it); `""` if
   * none. Pass it as `lastEventId` to resume after this event.
   */
  lastEventId: string;
};

/** One optional callback per event type, each receiving that type's payload. */
export type ServerEventHandlers = {
  [K in ServerEventType]?: ((payload: ServerEventPayloads[K], meta: ServerEventMeta<K>) => void) | undefined;
};

/** Something that went wrong with the stream; reported to `onError`, never thrown into the app. */
export type BackendEventProblem =
  | {
      /** An event without a registered type (an SSE message without `event:` arrives as `message`). */
      kind: "unknown_event";
      type: string;
      data: unknown;
      message: string;
    }
  | {
      /** A registered type whose data is not JSON or not the payload the type promises. */
      kind: "malformed_event";
      type: ServerEventType;
      data: unknown;
      problems: string[];
      message: string;
    }
  | {
      /** A callback threw; the stream goes on. */
      kind: "handler_failed";
      type: ServerEventType;
      error: unknown;
      message: string;
    }
  | {
      /** The connection failed or dropped. `readyState` 0: the EventSource retries; 2: it gave up. */
      kind: "connection";
      readyState: number;
      message: string;
    }
  | {
      /** `connectBackendEvents` could not get a ticket (`error` is usually an `ApiRequestError`). */
      kind: "ticket_failed";
      error: unknown;
      message: string;
    };

/** The part of `EventSource` the helpers use; the browser's class and the `eventsource` npm package fit. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** `EventSource.CLOSED`. */
const CLOSED = 2;

/** An open stream. */
export interface BackendEventStream {
  /** Stops listening and closes the connection; idempotent. No callback runs afterwards. */
  close(): void;
  /** Whether `close()` was called (or `connectBackendEvents` gave up). */
  readonly closed: boolean;
}

export type OpenBackendEventsOptions = {
  /** The server's base URL, as given to `createApiClient` (trailing slashes are ignored). */
  baseUrl: string;
  /** A ticket from `POST /events/ticket` (`api.createEventTicket()`); it works once. */
  ticket: string;
  /**
   * The cursor (`meta.lastEventId`) of the last event received on an earlier stream: the server
   * first replays every event after it, then continues live, or sends `tracking_stream_reset`
   * when it cannot resume from it.
   */
  lastEventId?: string | undefined;
  handlers: ServerEventHandlers;
  /** Defaults to `console.warn`. */
  onError?: ((problem: BackendEventProblem) => void) | undefined;
  onOpen?: (() => void) | undefined;
  /**
   * Called with the cursor of each registered, well-formed event that has one, before its
   * handler: where a later stream resumes from.
   */
  onEventId?: ((lastEventId: string) => void) | undefined;
  /** Defaults to `globalThis.EventSource` (browsers; Node needs one from npm). */
  EventSource?: EventSourceConstructor | undefined;
};

/** `${baseUrl}/events?ticket=...`, with `&last_event_id=...` when resuming from a cursor. */
export function eventsUrl(baseUrl: string, ticket: string, lastEventId?: string): string {
  const resume = lastEventId ? `&last_event_id=${encodeURIComponent(lastEventId)}` : "";
  return `${baseUrl.replace(/\/+$/, "")}/events?ticket=${encodeURIComponent(ticket)}${resume}`;
}

function defaultOnError(problem: BackendEventProblem): void {
  console.warn(`[backendEvents] ${problem.message}`, problem);
}

function resolveEventSource(given: EventSourceConstructor | undefined): EventSourceConstructor {
  const found = given ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (found === undefined) {
    throw new TypeError("no EventSource: pass one (e.g. from the `eventsource` npm package) as `EventSource`");
  }
  return found;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens `GET /events?ticket=...` and calls `handlers[type]` with each registered event's parsed,
 * checked payload. Unknown and malformed events, throwing callbacks and connection errors go to
 * `onError`. The browser's EventSource retries a dropped connection with the same URL, and a
 * ticket works only once, so prefer `connectBackendEvents`, which gets a fresh ticket each time.
 *
 * @throws TypeError only when no EventSource implementation is available.
 */
export function openBackendEvents(options: OpenBackendEventsOptions): BackendEventStream {
  const EventSourceImpl = resolveEventSource(options.EventSource);
  const onError = options.onError ?? defaultOnError;
  const source = new EventSourceImpl(eventsUrl(options.baseUrl, options.ticket, options.lastEventId));
  let closed = false;

  function deliver<K extends ServerEventType>(type: K, event: Event): void {
    if (closed) return;
    const message = event as Partial<MessageEvent>;
    const data: unknown = message.data;
    const lastEventId = typeof message.lastEventId === "string" ? message.lastEventId : "";
    let payload: unknown;
    try {
      if (typeof data !== "string") throw new TypeError("data is not text");
      payload = JSON.parse(data);
    } catch (error) {
      onError({
        kind: "malformed_event",
        type,
        data,
        problems: [errorText(error)],
        message: `${type}: data is not JSON`,
      });
      return;
    }
    // TypeScript cannot tie the registry's entry to `K` for a generic `K`; `satisfies` above does.
    const validator = SERVER_EVENTS[type] as Validator<ServerEventPayloads[K]>;
    if (!validator.is(payload)) {
      const problems = validator.problems(payload);
      onError({
        kind: "malformed_event",
        type,
        data,
        problems,
        message: `${type}: not a valid ${validator.expected}: ${problems.join("; ")}`,
      });
      return;
    }
    if (lastEventId !== "") options.onEventId?.(lastEventId);
    const handler = options.handlers[type] as
      | ((payload: ServerEventPayloads[K], meta: ServerEventMeta<K>) => void)
      | undefined;
    if (handler === undefined) return;
    try {
      handler(payload, { type, lastEventId });
    } catch (error) {
      onError({ kind: "handler_failed", type, error, message: `${type} handler threw: ${errorText(error)}` });
    }
  }

  for (const type of SERVER_EVENT_TYPES) {
    source.addEventListener(type, (event) => deliver(type, event));
  }
  source.addEventListener("message", (event) => {
    if (closed) return;
    onError({
      kind: "unknown_event",
      type: event.type,
      data: (event as Partial<MessageEvent>).data,
      message: `unknown server event type ${JSON.stringify(event.type)}`,
    });
  });
  source.addEventListener("open", () => {
    if (!closed) options.onOpen?.();
  });
  source.addEventListener("error", () => {
    if (closed) return;
    const readyState = source.readyState;
    onError({
      kind: "connection",
      readyState,
      message: readyState === CLOSED ? "event stream closed by an error" : "event stream interrupted, reconnecting",
    });
  });

  return {
    close() {
      if (closed) return;
      closed = true;
      source.close();
    },
    get closed() {
      return closed;
    },
  };
}

export type ReconnectOptions = {
  /** Wait before the first retry; doubles each failed attempt. Default 1000 ms. */
  initialDelayMs?: number | undefined;
  /** The longest wait. Default 30000 ms. */
  maxDelayMs?: number | undefined;
};

export type ConnectBackendEventsOptions = Omit<OpenBackendEventsOptions, "baseUrl" | "ticket"> & {
  /** The client whose token gets the tickets and whose base URL is used. */
  api: Pick<ApiClient, "baseUrl" | "createEventTicket">;
  /**
   * After a failed ticket request or a dropped stream, get a fresh ticket and open again, with
   * exponential backoff (reset once a stream opens). Default on; `false` closes the handle on the
   * first failure. A 401 or 403 on the ticket request never retries: the token is not good.
   */
  reconnect?: boolean | ReconnectOptions | undefined;
};

/**
 * Gets a ticket with `api.createEventTicket()`, then opens the stream with it, and does that again
 * whenever the stream fails (see `reconnect`). Each new stream resumes from the cursor of the last
 * event received (`last_event_id`), so an event recorded while the connection was down arrives
 * after the reconnect, once; when the server cannot resume, `tracking_stream_reset` tells the app
 * to refetch. Returns at once; problems go to `onError`.
 *
 * @throws TypeError only when no EventSource implementation is available.
 */
export function connectBackendEvents(options: ConnectBackendEventsOptions): BackendEventStream {
  const EventSourceImpl = resolveEventSource(options.EventSource);
  const onError = options.onError ?? defaultOnError;
  const retry = options.reconnect === false ? undefined : options.reconnect === true ? {} : (options.reconnect ?? {});
  const initialDelayMs = retry?.initialDelayMs ?? 1000;
  const maxDelayMs = retry?.maxDelayMs ?? 30000;

  let closed = false;
  let current: BackendEventStream | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let lastEventId = options.lastEventId;

  function stop(): void {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    current?.close();
    current = undefined;
  }

  function retryLater(): void {
    if (closed) return;
    if (retry === undefined) {
      stop();
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** failures, maxDelayMs);
    failures += 1;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
  }

  async function connect(): Promise<void> {
    let ticket: string;
    try {
      ticket = (await options.api.createEventTicket()).ticket;
    } catch (error) {
      if (closed) return;
      onError({ kind: "ticket_failed", error, message: `could not get an event ticket: ${errorText(error)}` });
      if (error instanceof ApiRequestError && (error.status === 401 || error.status === 403)) stop();
      else retryLater();
      return;
    }
    if (closed) return;
    current = openBackendEvents({
      baseUrl: options.api.baseUrl,
      ticket,
      lastEventId,
      handlers: options.handlers,
      onEventId: (id) => {
        lastEventId = id;
        options.onEventId?.(id);
      },
      EventSource: EventSourceImpl,
      onOpen: () => {
        failures = 0;
        options.onOpen?.();
      },
      onError: (problem) => {
        onError(problem);
        if (problem.kind !== "connection" || closed) return;
        // The EventSource would retry with the spent ticket; start over with a fresh one instead.
        current?.close();
        current = undefined;
        retryLater();
      },
    });
  }

  void connect();

  return {
    close: stop,
    get closed() {
      return closed;
    },
  };
}
