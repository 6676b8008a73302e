// The user an agent runs as under `--user` (or `--isolate` as root, where the default is nobody), looked
// up through NSS (getent), so LDAP or systemd users work as /etc/passwd ones do.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
  /** Its home from the user database. */
  home: string;
  /** That home exists and belongs to it (nobody's /nonexistent does not): otherwise the agent gets a private one. */
  homeUsable: boolean;
}

export async function lookupAgentUser(name: string): Promise<AgentUser | undefined> {
  let line: string;
  try {
    line = (await run('getent', ['passwd', name])).stdout.split('\n')[0];
  } catch {
    return undefined;
  }
  const fields = line.split(':');
  if (fields.length < 7) return undefined;
  const [user, , uid, gid, , home] = fields;
  const owner = await stat(home).then(
    (s) => s.isDirectory() && s.uid === Number(uid),
    () => false,
  );
  return { name: user, uid: Number(uid), gid: Number(gid), home, homeUsable: owner };
}
