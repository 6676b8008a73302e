// Primitives for walking /proc from inside a busy proxy.
//
// Processes come and go while we walk, and other users' entries may be closed to us: those errors mean
// "not this one, keep looking", never a failure of the lookup.
//
// Readlinks and small reads under /proc cost microseconds each, so a threadpool hop per call would cost
// more than the call. They are made synchronously instead, and the event loop is handed back every so
// many calls so that a whole-table scan never stalls the proxy for long.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';

const SKIPPABLE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR']);

export function isSkippableProcError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && SKIPPABLE.has((error as NodeJS.ErrnoException).code ?? '');
}

/** Runs a synchronous /proc read; undefined when the entry vanished or is not ours to read. */
export function tryProc<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (isSkippableProcError(error)) return undefined;
    throw error;
  }
}

/** Every process in /proc (numeric entries; threads live under /proc/<pid>/task and are not listed). */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const code = name.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(name));
  }
  return pids;
}

const small = Buffer.allocUnsafe(4096);

/** A small /proc file (stat, status) in one read: /proc files report size 0, so readFileSync would read twice. */
export function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return small.toString('latin1', 0, readSync(fd, small, 0, small.length, 0));
  } finally {
    closeSync(fd);
  }
}

export function isPid(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

export interface Slicer {
  /** Counts `calls` syscalls; returns a promise to await once a slice's budget is spent. */
  spend(calls: number): Promise<void> | undefined;
}

export function slicer(callsPerSlice = 256): Slicer {
  let spent = 0;
  return {
    spend(calls) {
      spent += calls;
      if (spent < callsPerSlice) return undefined;
      spent = 0;
      return nextTurn();
    },
  };
}
