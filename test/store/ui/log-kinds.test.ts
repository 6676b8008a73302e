// The logs screen as the operator's event stream: every line has a kind (its own, or its source's), and
// K / `:kind` show one kind at a time. Reducer and selectors only: no Ink, no core, no timers.
import { describe, expect, it } from 'vitest';
import { LOG_KINDS, logKindOf } from '../../../src/core/engine/log-buffer.js';
import { selectVisibleLogs } from '../../../src/store/ui/selectors.js';
import { Driver, ENTER, log, world } from './fixtures.js';

const lines = [
  log(1, { source: 'inbox', message: 'new request r1 pypi.org:443', kind: 'request' }),
  log(2, { source: 'inbox', message: 'r1 pypi.org:443: a held connection timed out', kind: 'timeout' }),
  log(3, { source: 'decision', message: 'console approved r1' }), // no kind: from its source
  log(4, { source: 'policy', message: 'denied x:1 (/bin/sh) at l7: GET not allowed' }),
  log(5, { source: 'proxy', message: 'TLS handshake failed', kind: 'tls' }),
  log(6, { source: 'proxy', message: 'upstream failed', kind: 'upstream', level: 'warn' }),
  log(7, { source: 'policy', message: 'revision 2 (preset: add pypi)' }),
  log(8, { source: 'audit', message: 'the audit log cannot be written', level: 'error' }),
  log(9, { source: 'agent', message: 'hello' }),
];

describe('log kinds', () => {
  it('a line without a kind gets its source’s (a policy denial is a denial, a revision a policy change)', () => {
    expect(lines.map(logKindOf)).toEqual(['request', 'timeout', 'decision', 'denial', 'tls', 'upstream', 'policy', 'notice', 'other']);
  });

  it('the selector keeps one kind, with the other filters', () => {
    expect(selectVisibleLogs(lines, 'all', 'all', '', 'decision').map((l) => l.seq)).toEqual([3]);
    expect(selectVisibleLogs(lines, 'warn', 'all', '', 'upstream').map((l) => l.seq)).toEqual([6]);
    expect(selectVisibleLogs(lines, 'error', 'all', '', 'upstream')).toEqual([]);
    expect(selectVisibleLogs(lines, 'all', 'all', '', 'all')).toBe(lines);
  });

  it('K on the logs screen cycles through every kind and back to all, saying which', () => {
    const d = new Driver(undefined, world([], { logs: lines })).press('4');
    const seen: string[] = [];
    for (let i = 0; i < LOG_KINDS.length + 1; i++) {
      d.press('K');
      seen.push(d.state.logKind);
    }
    expect(seen).toEqual([...LOG_KINDS, 'all']);
    d.press('K');
    expect(d.state.status?.text).toBe('logs: request lines only (K for the next kind)');
  });

  it('K does nothing on the inbox (it is a logs key)', () => {
    const d = new Driver(undefined, world([], { logs: lines })).press('K');
    expect(d.state.logKind).toBe('all');
  });

  it(':kind NAME shows one kind (and goes to the logs); a wrong name says the real ones', () => {
    const d = new Driver(undefined, world([], { logs: lines })).press(':', 'kind tls', ENTER);
    expect(d.state).toMatchObject({ screen: 'logs', logKind: 'tls' });
    d.press(':', 'kind loud', ENTER);
    expect(d.state.status).toMatchObject({ kind: 'error' });
    expect(d.state.status?.text).toContain('request|timeout|decision');
    expect(d.state.logKind).toBe('tls');
  });
});
