/** The clock adapter: all "now" reads go through it so rules can be tested with an injected clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch (UTC). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A manually advanced clock for tests. */
export class ManualClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Formats epoch ms as an ISO-8601 UTC string. */
export const iso = (ms: number): string => new Date(ms).toISOString();
