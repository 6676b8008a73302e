// The console's banners: what the operator must see on every screen until it is over (the inbox is full,
// the audit log cannot be written), from the gateway's notices. Each topic holds one banner, taken down
// by a notice that says it ended; pure, so the store and the tests apply notices the same way.
import type { GatewayNotice } from '../gateway/gateway.js';

export type BannerTopic = GatewayNotice['topic'];

export interface Banner {
  topic: BannerTopic;
  level: 'warn' | 'error';
  message: string;
}

export type Banners = Partial<Record<BannerTopic, Banner>>;

/** The banners after a notice: an active one raises its topic's banner, an inactive one takes it down. */
export function applyNotice(banners: Banners, notice: GatewayNotice): Banners {
  const next = { ...banners };
  if (notice.active)
    next[notice.topic] = { topic: notice.topic, level: notice.topic === 'audit' ? 'error' : 'warn', message: notice.message };
  else delete next[notice.topic];
  return next;
}

/** Banners to draw, the most serious first. */
export const selectBanners = (banners: Banners): Banner[] => [banners.audit, banners.inbox].filter((b): b is Banner => b !== undefined);
