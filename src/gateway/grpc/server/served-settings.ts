// Runtime settings for the served core, sandbox and gateway-global scope, as upstream's gateway keeps
// them: only registered keys, each value of its registered kind (and allowed values), a global value
// overrides the sandbox one, each scope has a revision that moves on every write. Kept in memory:
// the core reads none of them yet, so nothing is lost on restart but the operator's choices.
import * as grpc from '@grpc/grpc-js';
import { REGISTERED_SETTINGS } from '../setting-values.js';
import type { SettingValue } from '../remote-model.js';
import { GrpcStatusError } from './status-error.js';

export class ServedSettings {
  private readonly global = new Map<string, SettingValue>();
  private readonly sandboxes = new Map<string, Map<string, SettingValue>>();
  private revisions = { global: 0, sandbox: 0 };

  private scope(sandbox: string | undefined): Map<string, SettingValue> {
    if (sandbox === undefined) return this.global;
    let map = this.sandboxes.get(sandbox);
    if (!map) this.sandboxes.set(sandbox, (map = new Map()));
    return map;
  }

  /** Every registered key for a scope; `undefined` value = unset. */
  list(sandbox?: string): Array<{ key: string; value?: SettingValue; source: 'sandbox' | 'global' | 'unset' }> {
    return Object.keys(REGISTERED_SETTINGS).map((key) => {
      const global = this.global.get(key);
      if (sandbox === undefined) return { key, value: global, source: global ? 'global' : 'unset' };
      if (global) return { key, value: global, source: 'global' };
      const own = this.scope(sandbox).get(key);
      return { key, value: own, source: own ? 'sandbox' : 'unset' };
    });
  }

  revision(sandbox?: string): number {
    return sandbox === undefined ? this.revisions.global : this.revisions.sandbox;
  }

  set(sandbox: string | undefined, key: string, value: SettingValue): number {
    const registered = REGISTERED_SETTINGS[key];
    if (!registered)
      throw new GrpcStatusError(
        grpc.status.INVALID_ARGUMENT,
        `unknown setting key '${key}' (registered: ${Object.keys(REGISTERED_SETTINGS).join(', ')})`,
      );
    if (value.kind !== registered.kind)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `setting '${key}' expects a ${registered.kind} value, got ${value.kind}`);
    if (registered.allowed && value.kind === 'string' && !registered.allowed.includes(value.value))
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `setting '${key}' must be one of ${registered.allowed.join(', ')}`);
    this.scope(sandbox).set(key, value);
    return this.bump(sandbox);
  }

  delete(sandbox: string | undefined, key: string): { revision: number; deleted: boolean } {
    // Upstream: sandbox-scoped deletes are rejected; only a global delete is supported.
    if (sandbox !== undefined)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'sandbox-scoped setting deletes are not supported; delete at global scope');
    const deleted = this.global.delete(key);
    return { revision: this.bump(undefined), deleted };
  }

  private bump(sandbox: string | undefined): number {
    if (sandbox === undefined) return ++this.revisions.global;
    return ++this.revisions.sandbox;
  }
}
