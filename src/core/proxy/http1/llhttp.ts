// Node's own HTTP/1.1 parser (llhttp, the C parser behind node:http), driven directly. node:http wraps
// every message in IncomingMessage/ServerResponse streams and an Agent; a forward proxy needs only the
// parse, and skipping those layers halves the CPU per request. Parsing stays exactly as strict as
// node:http's: no lenient flags, the same header-size limit, CL+TE and bare-LF smuggling refused.
import { createRequire } from 'node:module';
import { methodName } from './llhttp-methods.js';

interface ParseError extends Error {
  code: string;
  bytesParsed?: number;
}

type Callback = (...args: never[]) => unknown;

interface NativeParser {
  initialize(kind: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): ParseError | undefined;
  close(): void;
  [callback: number]: Callback;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

// `_http_common` is how Node's own http modules reach the parser binding; it is the same object. Its
// `methods` list is not indexed by llhttp's method codes: names come from llhttp-methods.ts.
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass };

/** One parsed message head. Headers are raw [name, value, name, value…], as sent. */
export interface MessageHead {
  versionMajor: number;
  versionMinor: number;
  headers: string[];
  /** Requests: the method ('' when llhttp reported a code that has no name here) and request-target. */
  method: string;
  /** Requests: llhttp's method code; -1 for responses. */
  methodCode: number;
  url: string;
  /** Responses: the status. */
  statusCode: number;
  statusMessage: string;
  /** Set for CONNECT and for Upgrade requests: the parser stops after the head. */
  upgrade: boolean;
  /** llhttp's reading of HTTP version + Connection header. */
  keepAlive: boolean;
}

/**
 * What follows a head: the body, parsed as usual (undefined); no body whatever the headers say, as for
 * an answer to HEAD ('no-body'); or a body the caller reads itself ('stop': execute() returns at the end
 * of the head, and the parser must be reset() before the next message).
 */
export type AfterHead = undefined | 'no-body' | 'stop';

export interface MessageHandlers {
  /** The first byte of a message arrived. */
  begin(): void;
  head(head: MessageHead): AfterHead;
  body(chunk: Buffer): void;
  complete(): void;
}

export class HttpParseError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A streaming parser for one connection's messages, in order. */
export class MessageParser {
  private readonly native = new HTTPParser();
  // Heads with more than 32 headers arrive in parts.
  private partialHeaders: string[] = [];
  private partialUrl = '';

  constructor(
    private readonly kind: 'request' | 'response',
    private readonly maxHeaderSize: number,
    handlers: MessageHandlers,
  ) {
    this.reset();
    const native = this.native;
    native[HTTPParser.kOnMessageBegin] = () => handlers.begin();
    native[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.partialHeaders.push(h);
      this.partialUrl += url;
    };
    native[HTTPParser.kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number | undefined,
      url: string | undefined,
      statusCode: number | undefined,
      statusMessage: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      if (!headers) {
        headers = this.partialHeaders;
        this.partialHeaders = [];
      }
      if (url === undefined) {
        url = this.partialUrl;
        this.partialUrl = '';
      }
      const after = handlers.head({
        versionMajor,
        versionMinor,
        headers,
        method: method === undefined ? '' : (methodName(method) ?? ''),
        methodCode: method ?? -1,
        url,
        statusCode: statusCode ?? 0,
        statusMessage: statusMessage ?? '',
        upgrade,
        keepAlive,
      });
      // llhttp: 1 = no body; 2 = no body, and pause at the end of the head (as for an upgrade).
      return after === 'stop' ? 2 : after === 'no-body' ? 1 : 0;
    };
    native[HTTPParser.kOnBody] = (chunk: Buffer) => handlers.body(chunk);
    native[HTTPParser.kOnMessageComplete] = () => handlers.complete();
  }

  /** Parses `data`; returns how many bytes were consumed (fewer than given after a CONNECT/Upgrade head, or a 'stop'). */
  execute(data: Buffer): number {
    const result = this.native.execute(data);
    if (typeof result !== 'number') throw new HttpParseError(result.code, result.message);
    return result;
  }

  /** The peer closed: completes a close-delimited message, or throws if one was cut short. */
  finish(): void {
    const error = this.native.finish();
    if (error) throw new HttpParseError(error.code, error.message);
  }

  /** (Re)starts the parser: ready for a new message, as after a head that stopped it. */
  reset(): void {
    this.partialHeaders = [];
    this.partialUrl = '';
    this.native.initialize(
      this.kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE,
      {},
      this.maxHeaderSize,
      HTTPParser.kLenientNone,
    );
  }

  close(): void {
    this.native.close();
  }
}
