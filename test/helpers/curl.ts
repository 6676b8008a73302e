// A real agent for tests: curl through a proxy, returning the status and body.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function curlVia(proxy: string, url: string, extra: string[] = []): Promise<{ status: number; body: string }> {
  const { stdout } = await exec('curl', ['-s', '-o', '-', '-w', '\\n%{http_code}', '-x', proxy, ...extra, url]);
  const lines = stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}
