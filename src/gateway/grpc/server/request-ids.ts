// request_id idempotency (upstream 0.1.0): a mutation retried with the same request_id and the same
// payload gets the first attempt's result instead of being applied again; the same id with another
// payload is refused. Only successes are remembered (a failed attempt changed nothing and may be
// retried); a retry that arrives while the first attempt is still running waits for it. Entries live
// 24 hours, and at most MAX_ENTRIES are kept (the oldest go first).
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatusError } from './status-error.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_ENTRIES = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Entry {
  fingerprint: string;
  at: number;
  result: Promise<unknown>;
}

/** Canonical JSON of the request without its request_id: what "the same payload" means. */
function fingerprint(method: string, request: Record<string, unknown>): string {
  const { request_id: _id, ...rest } = request;
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (Buffer.isBuffer(value)) return value.toString('base64');
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    return value;
  };
  return createHash('sha256')
    .update(method)
    .update('\0')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex');
}

export class RequestIds {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `apply` once per (method, request_id); without a request_id it just runs. */
  run<T>(method: string, request: Record<string, unknown>, apply: () => T | Promise<T>): Promise<T> {
    const id = typeof request.request_id === 'string' ? request.request_id : '';
    if (!id) return Promise.resolve().then(apply);
    if (!UUID.test(id) || /^[0-]+$/.test(id))
      return Promise.reject(
        new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `request_id must be a nonzero UUID, got '${id.slice(0, 64)}'`),
      );
    this.expire();
    const key = `${method}\0${id.toLowerCase()}`;
    const print = fingerprint(method, request);
    const known = this.entries.get(key);
    if (known) {
      if (known.fingerprint !== print)
        return Promise.reject(
          new GrpcStatusError(
            grpc.status.INVALID_ARGUMENT,
            `request_id ${id} was already used for a different ${method} request; use a new id`,
          ),
        );
      return known.result as Promise<T>;
    }
    const result = Promise.resolve().then(apply);
    this.entries.set(key, { fingerprint: print, at: this.now(), result });
    // A failure applied nothing: forget it so a retry runs for real.
    result.catch(() => this.entries.get(key)?.result === result && this.entries.delete(key));
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return result;
  }

  private expire(): void {
    const cutoff = this.now() - DAY_MS;
    for (const [key, entry] of this.entries) {
      if (entry.at >= cutoff) break;
      this.entries.delete(key);
    }
  }
}
