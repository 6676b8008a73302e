// The one way into @peculiar/x509: it needs the Reflect metadata API before it loads, and ESM evaluates
// imports in order, so the polyfill import must stay first. Import `x509` from here, never the package.
import './reflect-polyfill.js';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };

/** Node's WebCrypto, passed explicitly to every x509 call rather than set as a process-wide default. */
export const crypto = webcrypto as unknown as Crypto;
