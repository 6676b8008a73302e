// GraphQL over HTTP: which operations a request carries. GET reads the query string (each control
// parameter at most once), POST reads a JSON envelope or a batch of them; persisted queries (Apollo's
// extensions.persistedQuery.sha256Hash, or id / documentId / queryId) are recorded so the registry can
// stand in for a hash-only request. Semantics follow upstream's l7/graphql.rs classify_request.
import { isJsonObject, type JsonValue, parseStrictJson } from '../strict-json.js';
import { scanGraphqlDocument } from './graphql-scan.js';
import { headerValues, type Headers } from './http-parts.js';

export interface GraphqlOp {
  /** "" for a hash-only persisted query, whose type only the registry knows. */
  operationType: string;
  operationName?: string;
  fields: string[];
  persisted: boolean;
  persistedHash?: string;
  persistedId?: string;
}

export type GraphqlInfo = { ok: true; operations: GraphqlOp[] } | { ok: false; error: string };

/** Envelopes in one POST batch; each runs an operation, so each costs a scan. */
export const MAX_GRAPHQL_BATCH = 128;

export function unsupportedGraphqlHeaders(headers: Headers): string | undefined {
  for (const value of headerValues(headers, 'content-encoding')) {
    const encoding = value.trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') return `GraphQL request content-encoding ${JSON.stringify(encoding)} is not supported`;
  }
  for (const value of headerValues(headers, 'content-type')) {
    if (value.trim().toLowerCase().startsWith('multipart/')) return 'GraphQL multipart requests are not supported';
  }
  return undefined;
}

export function classifyGraphql(method: string, query: Record<string, string[]>, bodyText: string): GraphqlInfo {
  const upper = method.toUpperCase();
  try {
    if (upper === 'GET') return { ok: true, operations: classifyGet(query) };
    if (upper === 'POST') {
      const inUrl = urlControlParameter(query);
      if (inUrl)
        return {
          ok: false,
          error: `GraphQL parameter ${JSON.stringify(inUrl)} in both the URL and the body: servers disagree on which one runs (express-graphql takes the URL's)`,
        };
      return { ok: true, operations: classifyPost(bodyText) };
    }
    return { ok: false, error: `unsupported GraphQL HTTP method ${upper}` };
  } catch (error) {
    if (error instanceof GraphqlError) return { ok: false, error: error.message };
    throw error;
  }
}

class GraphqlError extends Error {}

/** What chooses or names the operation; a server may read any of them from the URL of a POST. */
const CONTROL_PARAMETERS = new Set(['query', 'operationname', 'variables', 'extensions', 'id', 'documentid', 'queryid']);

/**
 * A GraphQL control parameter in the URL of a POST, if there is one. A POST is decided on its body, but
 * servers built like express-graphql read each parameter from the URL first (`?query=mutation…` beside an
 * allowed body ran the mutation), so a POST that carries one in its URL is refused rather than guessed at.
 * Keys compare case-insensitively, and `key[]` as `key`, to cover lenient readers too.
 */
function urlControlParameter(query: Record<string, string[]>): string | undefined {
  for (const key of Object.keys(query)) {
    if (
      CONTROL_PARAMETERS.has(
        key
          .trim()
          .toLowerCase()
          .replace(/\[[^\]]*\]$/, ''),
      )
    )
      return key;
  }
  return undefined;
}

function unique(query: Record<string, string[]>, key: string): string | undefined {
  const values = Object.hasOwn(query, key) ? query[key] : undefined;
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new GraphqlError(`GraphQL GET parameter ${JSON.stringify(key)} must not appear more than once`);
  return values[0] === '' ? undefined : values[0];
}

function classifyGet(query: Record<string, string[]>): GraphqlOp[] {
  const document = unique(query, 'query');
  const operationName = unique(query, 'operationName');
  const extensionsText = unique(query, 'extensions');
  let extensions: JsonValue | undefined;
  if (extensionsText !== undefined) {
    const parsed = parseStrictJson(extensionsText);
    if (parsed.ok) extensions = parsed.value;
  }
  let id: string | undefined;
  let idKey: string | undefined;
  for (const key of ['id', 'documentId', 'queryId']) {
    const value = unique(query, key);
    if (value === undefined) continue;
    if (idKey)
      throw new GraphqlError(
        `GraphQL GET persisted-query id parameters ${JSON.stringify(idKey)} and ${JSON.stringify(key)} must not be combined`,
      );
    idKey = key;
    id = value;
  }
  return classifyEnvelope(document, operationName, extensions, id);
}

function classifyPost(bodyText: string): GraphqlOp[] {
  if (bodyText === '') throw new GraphqlError('GraphQL POST body is empty');
  const parsed = parseStrictJson(bodyText);
  if (!parsed.ok) throw new GraphqlError(`GraphQL request body is not valid JSON: ${parsed.error}`);
  const value = parsed.value;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new GraphqlError('GraphQL batch request is empty');
    if (value.length > MAX_GRAPHQL_BATCH) throw new GraphqlError(`GraphQL batch of ${value.length} requests exceeds ${MAX_GRAPHQL_BATCH}`);
    return value.flatMap(classifyJsonEnvelope);
  }
  if (isJsonObject(value)) return classifyJsonEnvelope(value);
  throw new GraphqlError('GraphQL JSON envelope must be an object or array');
}

function classifyJsonEnvelope(value: JsonValue): GraphqlOp[] {
  if (!isJsonObject(value)) throw new GraphqlError('GraphQL batch item must be an object');
  const text = (v: JsonValue | undefined) => (typeof v === 'string' ? v : undefined);
  // The first of id / documentId / queryId that is present names the query, whatever its type (as upstream).
  const idKey = ['id', 'documentId', 'queryId'].find((key) => Object.hasOwn(value, key));
  const id = idKey === undefined ? undefined : text(value[idKey]);
  return classifyEnvelope(text(value.query), text(value.operationName), value.extensions, id);
}

function classifyEnvelope(
  document: string | undefined,
  operationName: string | undefined,
  extensions: JsonValue | undefined,
  persistedId: string | undefined,
): GraphqlOp[] {
  const persistedQuery = isJsonObject(extensions) ? extensions.persistedQuery : undefined;
  const hash =
    isJsonObject(persistedQuery) && typeof persistedQuery.sha256Hash === 'string' && persistedQuery.sha256Hash !== ''
      ? persistedQuery.sha256Hash
      : undefined;
  if (document !== undefined && document.trim() !== '') {
    const scanned = scanGraphqlDocument(document, operationName);
    if (!scanned.ok) throw new GraphqlError(scanned.error);
    const op: GraphqlOp = { ...scanned.operation, persisted: false };
    if (hash !== undefined) Object.assign(op, { persisted: true, persistedHash: hash });
    if (persistedId !== undefined) Object.assign(op, { persisted: true, persistedId });
    return [op];
  }
  if (hash !== undefined || persistedId !== undefined) {
    return [
      {
        operationType: '',
        ...(operationName !== undefined ? { operationName } : {}),
        fields: [],
        persisted: true,
        ...(hash !== undefined ? { persistedHash: hash } : {}),
        ...(persistedId !== undefined ? { persistedId } : {}),
      },
    ];
  }
  throw new GraphqlError('GraphQL request has no query document or persisted query identifier');
}
