// The console's banners: what the operator must see on every screen until it is over (the inbox is full,
// the audit log cannot be written), from the gateway's notices. Each kind of trouble holds one banner,
// replaced by its all-clear; pure, so the store and the tests apply notices the same way.
import type { CoreNotice } from '../core/engine/core-events.js';

export type BannerTopic = 'inbox' | 'audit';

export interface Banner {
  topic: BannerTopic;
  level: 'warn' | 'error';
  message: string;
  time: number;
}

export type Banners = Partial<Record<BannerTopic, Banner>>;

/** The banners after a notice: trouble raises its topic's banner, its all-clear takes it down. */
export function applyNotice(banners: Banners, notice: CoreNotice): Banners {
  const next = { ...banners };
  switch (notice.kind) {
    case 'inbox-full':
      next.inbox = { topic: 'inbox', level: 'warn', message: notice.message, time: notice.time };
      break;
    case 'audit-failing':
      next.audit = { topic: 'audit', level: 'error', message: notice.message, time: notice.time };
      break;
    case 'inbox-open':
      delete next.inbox;
      break;
    case 'audit-recovered':
      delete next.audit;
      break;
  }
  return next;
}

/** Banners to draw, the most serious first. */
export const selectBanners = (banners: Banners): Banner[] => [banners.audit, banners.inbox].filter((b): b is Banner => b !== undefined);
