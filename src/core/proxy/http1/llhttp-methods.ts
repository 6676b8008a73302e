// llhttp reports a request's method as a number: its llhttp_method_t code (llhttp.h). The codes are
// llhttp's own enum, 0 to 46, with the RTSP methods and PRI in between; Node's public method list skips
// those, so it cannot be indexed by code. This is the enum itself, in code order, as Node's parser binding
// holds it (its internal `allMethods`; test/proxy/request-methods.test.ts checks the two are equal).
export const LLHTTP_METHODS: readonly string[] = Object.freeze([
  'DELETE', // 0
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'CONNECT', // 5
  'OPTIONS',
  'TRACE',
  'COPY',
  'LOCK',
  'MKCOL', // 10
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'SEARCH',
  'UNLOCK', // 15
  'BIND',
  'REBIND',
  'UNBIND',
  'ACL',
  'REPORT', // 20
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'M-SEARCH',
  'NOTIFY', // 25
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'PATCH',
  'PURGE',
  'MKCALENDAR', // 30
  'LINK',
  'UNLINK',
  'SOURCE',
  'PRI',
  'DESCRIBE', // 35: RTSP methods, parsed with an RTSP/1.0 version
  'ANNOUNCE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN', // 40
  'GET_PARAMETER',
  'SET_PARAMETER',
  'REDIRECT',
  'RECORD',
  'FLUSH', // 45
  'QUERY',
]);

/** The method for an llhttp code; undefined for any code this table does not know (never guessed). */
export function methodName(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code < LLHTTP_METHODS.length ? LLHTTP_METHODS[code] : undefined;
}
