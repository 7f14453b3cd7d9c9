// A stand-in for `EventSource` that a test drives by hand.

import type { EventSourceLike } from "../../src/backendEvents";

export interface FakeEventSource extends EventSourceLike {
  readonly url: string;
  readyState: number;
  closeCalls: number;
  /** The types listened to, in order of `addEventListener` calls. */
  listenedTypes(): string[];
  /** The connection opens (readyState 1, `open`). */
  open(): void;
  /** A server event with this `event:` type (`message` for one without), data and `id:`. */
  emit(type: string, data: unknown, lastEventId?: string): void;
  /** The connection fails; readyState 0 = the EventSource retries, 2 = gave up. */
  fail(readyState: 0 | 2): void;
}

/** A fresh fake class, with the list of every instance it made. */
export function fakeEventSourceClass(): {
  EventSource: new (url: string) => FakeEventSource;
  instances: FakeEventSource[];
} {
  const instances: FakeEventSource[] = [];

  class Fake implements FakeEventSource {
    readyState = 0;
    closeCalls = 0;
    private readonly listeners: [string, (event: Event) => void][] = [];

    constructor(readonly url: string) {
      instances.push(this);
    }

    addEventListener(type: string, listener: (event: Event) => void): void {
      this.listeners.push([type, listener]);
    }

    close(): void {
      this.readyState = 2;
      this.closeCalls += 1;
    }

    listenedTypes(): string[] {
      return this.listeners.map(([type]) => type);
    }

    private dispatch(event: Event): void {
      for (const [type, listener] of this.listeners) if (type === event.type) listener(event);
    }

    open(): void {
      this.readyState = 1;
      this.dispatch(new Event("open"));
    }

    emit(type: string, data: unknown, lastEventId = ""): void {
      this.dispatch(new MessageEvent(type, { data, lastEventId }));
    }

    fail(readyState: 0 | 2): void {
      this.readyState = readyState;
      this.dispatch(new Event("error"));
    }
  }

  return { EventSource: Fake, instances };
}
