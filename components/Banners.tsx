// Banners on every screen while something is wrong that the operator must not miss (the audit log cannot
// be written, the inbox is full), one line each, the most serious first; gone with the all-clear.
import { Text } from 'ink';
import { memo } from 'react';
import { type Banner, selectBanners } from '../src/store/banners.js';
import { useConsoleStore } from '../src/store/context.js';
import { safe } from './format.js';
import { type Theme, useTheme } from './theme.js';

export function BannerLines({ banners, theme }: { banners: Banner[]; theme: Theme }) {
  return (
    <>
      {banners.map((b) => (
        <Text key={b.topic} wrap="truncate" bold color={b.level === 'error' ? theme.danger : theme.warn} inverse>
          {` ${b.level === 'error' ? '✗' : '!'} ${b.topic}: ${safe(b.message)} `}
        </Text>
      ))}
    </>
  );
}

/** How many lines the banners take now (the screen below gets the rest). */
export function useBannerCount(): number {
  return useConsoleStore((s) => selectBanners(s.banners).length);
}

function BannersView() {
  const theme = useTheme();
  const banners = useConsoleStore((s) => s.banners);
  return <BannerLines banners={selectBanners(banners)} theme={theme} />;
}

export const Banners = memo(BannersView);
