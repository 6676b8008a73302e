// The answer of an adapter to a call its capabilities do not offer: a typed `unimplemented`, never a
// silent empty result (the console does not ask; the CLI says why).
import { GatewayError } from './errors.js';

export function notOffered(gateway: string, what: string): Promise<never> {
  return Promise.reject(new GatewayError('unimplemented', `${gateway} has no ${what}`));
}
