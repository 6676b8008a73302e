// The core's own guard against the agents it serves: PR_SET_DUMPABLE 0, so no process of the same uid
// can ptrace it or read its /proc/<pid>/mem, environ or fd/ (the control token and the CA key are in its
// memory). Landlock already keeps sandboxed agents out; this also holds where Landlock is missing and
// against anything else the operator's user runs. Needs native/agent-sandbox's core_guard addon.
import { loadNativeAddon } from '../native/load-addon.js';

interface CoreGuardAddon {
  /** 0, or the errno of the failure. */
  setDumpable(flag: boolean): number;
  /** The kernel's current value (0, 1 or 2). */
  dumpable(): number;
}

const addon = loadNativeAddon<CoreGuardAddon>('agent-sandbox', 'core_guard', 'OPENSHELL_TERM_NO_CORE_GUARD');

/** Makes this process non-dumpable; returns a warning for the operator when it could not. */
export function guardCoreProcess(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (!addon)
    return 'the core_guard addon is not built (native/agent-sandbox): processes of your user can ptrace the core and read its memory';
  const errno = addon.setDumpable(false);
  if (errno !== 0) return `prctl(PR_SET_DUMPABLE, 0) failed (errno ${errno}): processes of your user can ptrace the core`;
  return undefined;
}

/** The kernel's dumpable flag for this process, or undefined without the addon. */
export function coreDumpable(): number | undefined {
  return addon?.dumpable();
}
