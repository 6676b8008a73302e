// WatchSandbox resume cursors for the served core. A cursor is `<space>.<sequence>`: the space is
// random per server lifetime (a restarted core starts a new one, so an old cursor is refused with
// OUT_OF_RANGE instead of silently hiding the new core's lines), the sequence is the core's log line
// number, hex, fixed width — so two cursors of one space compare byte-wise, as upstream's contract says.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatusError } from './status-error.js';

const WIDTH = 12;

export class CursorSpace {
  readonly id = randomBytes(8).toString('hex');

  cursor(seq: number): string {
    return `${this.id}.${seq.toString(16).padStart(WIDTH, '0')}`;
  }

  /**
   * The sequence to resume after. `oldest` is the first line still buffered, `newest` the last issued:
   * a cursor before the buffer is trimmed (OUT_OF_RANGE), one after what we issued never came from us.
   */
  resumeAfter(cursor: string, oldest: number, newest: number): number {
    const m = /^([0-9a-f]{16})\.([0-9a-f]{12})$/.exec(cursor);
    if (!m) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'resume_after_cursor was not issued by this server');
    if (m[1] !== this.id)
      throw new GrpcStatusError(
        grpc.status.OUT_OF_RANGE,
        'resume_after_cursor belongs to an earlier server lifetime; restart the watch without resume_after_cursor',
      );
    const seq = Number.parseInt(m[2], 16);
    if (seq > newest)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'resume_after_cursor is ahead of anything this server issued');
    if (oldest > 0 && seq < oldest - 1)
      throw new GrpcStatusError(
        grpc.status.OUT_OF_RANGE,
        'resume_after_cursor has been trimmed from the log buffer; restart the watch without resume_after_cursor',
      );
    return seq;
  }
}
