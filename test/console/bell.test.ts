// --bell: the terminal bell rings once per new pending request, never for updates or other events.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bellOnNewRequests } from '../../src/console/run-console.js';
import type { InboxRequest } from '../../src/gateway/gateway.js';

const request = (over: Partial<InboxRequest>): InboxRequest => ({
  id: 'r1',
  host: 'pypi.org',
  port: 443,
  binary: '/usr/bin/curl',
  firstSeen: 1,
  lastSeen: 1,
  hits: 1,
  samples: [],
  status: 'pending',
  held: 1,
  reason: 'no rule',
  sandbox: 'local',
  ...over,
});

afterEach(() => vi.restoreAllMocks());

describe('--bell', () => {
  it('rings on a new pending request only', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const ring = bellOnNewRequests(true)!;
    ring('embedded', { type: 'request', request: request({}) });
    ring('embedded', { type: 'request', request: request({ hits: 2 }) });
    ring('embedded', { type: 'request', request: request({ status: 'approved' }) });
    ring('embedded', { type: 'connection', state: { status: 'connected' } });
    expect(write.mock.calls.map((c) => c[0])).toEqual(['\u0007']);
  });

  it('is silent unless asked for', () => {
    expect(bellOnNewRequests(false)).toBeUndefined();
  });
});
