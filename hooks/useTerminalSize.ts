// The terminal's size, updated on resize.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export function useTerminalSize(): { rows: number; columns: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function sizeOf(stdout: NodeJS.WriteStream): { rows: number; columns: number } {
  return { rows: stdout.rows || 24, columns: stdout.columns || 80 };
}
