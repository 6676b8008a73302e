// Loads our wire-compatible subsets of NVIDIA OpenShell's gRPC API, one per protocol generation:
//   v0    proto/v0/    openshell.v1.OpenShell as of 0.0.x (upstream 2f7fb655)
//   v1    proto/v1/    openshell.v1.OpenShell as of 0.1.x
//   ryno  proto/ryno/  ryno.v1.Ryno: the 0.1.x API under the newest upstream names
// v0 and v1 share package names but not layouts, so each generation is its own package definition.
// Loaded lazily: a generation nobody talks to costs nothing.
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROJECT_ROOT } from '../../project-root.js';

/** Response header our served core sets on Health: the API generation of that endpoint (0.0 or 0.1). */
export const API_GENERATION_HEADER = 'openshell-term-api';

export type ApiId = 'v0' | 'v1' | 'ryno';
export type Generation = 'legacy' | 'current';

export const PROTO_ROOT = path.join(PROJECT_ROOT, 'proto');

export interface ApiDescription {
  id: ApiId;
  generation: Generation;
  /** Fully-qualified service name: gRPC paths are `/<service>/<Method>`. */
  service: string;
  /** Package prefix of every message ("openshell" or "ryno"). */
  prefix: 'openshell' | 'ryno';
  dir: string;
  files: readonly string[];
  /** How the dashboard names it (`0.1.11 · openshell.v1`). */
  label: string;
}

export const APIS: Record<ApiId, ApiDescription> = {
  v0: {
    id: 'v0',
    generation: 'legacy',
    service: 'openshell.v1.OpenShell',
    prefix: 'openshell',
    dir: path.join(PROTO_ROOT, 'v0'),
    files: ['openshell.proto', 'sandbox.proto', 'datamodel.proto'],
    label: 'openshell.v1 (0.0.x)',
  },
  v1: {
    id: 'v1',
    generation: 'current',
    service: 'openshell.v1.OpenShell',
    prefix: 'openshell',
    dir: path.join(PROTO_ROOT, 'v1'),
    files: ['openshell.proto', 'sandbox.proto', 'datamodel.proto'],
    label: 'openshell.v1',
  },
  ryno: {
    id: 'ryno',
    generation: 'current',
    service: 'ryno.v1.Ryno',
    prefix: 'ryno',
    dir: path.join(PROTO_ROOT, 'ryno'),
    files: ['ryno.proto', 'sandbox.proto', 'datamodel.proto'],
    label: 'ryno.v1',
  },
};

export const loaderOptions = (dir: string): protoLoader.Options => ({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [dir],
});

export interface LoadedApi extends ApiDescription {
  packageDefinition: protoLoader.PackageDefinition;
  /** Every method: path, (de)serialisers, streaming flags. */
  definition: grpc.ServiceDefinition;
}

const loaded = new Map<ApiId, LoadedApi>();

export function loadApi(id: ApiId): LoadedApi {
  const cached = loaded.get(id);
  if (cached) return cached;
  const description = APIS[id];
  const packageDefinition = protoLoader.loadSync([...description.files], loaderOptions(description.dir));
  const service = packageDefinition[description.service];
  if (!service || !('Health' in service)) throw new Error(`${description.service} not found in ${description.dir}`);
  const api: LoadedApi = { ...description, packageDefinition, definition: service as grpc.ServiceDefinition };
  loaded.set(id, api);
  return api;
}
