// Loads our wire-compatible subset of NVIDIA OpenShell's gRPC API (proto/*.proto)
// and exposes the `openshell.v1.OpenShell` service for clients and servers.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROJECT_ROOT } from '../../project-root.js';

/** Project-level proto/ directory. */
export const PROTO_DIR = path.join(PROJECT_ROOT, 'proto');

/** Entry files; openshell.proto imports sandbox.proto and datamodel.proto. */
export const PROTO_FILES = ['openshell.proto', 'sandbox.proto', 'datamodel.proto'] as const;

/** Fully-qualified service name; gRPC paths are `/openshell.v1.OpenShell/<Method>`. */
export const OPENSHELL_SERVICE = 'openshell.v1.OpenShell';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export const packageDefinition: protoLoader.PackageDefinition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);

export const grpcObject: grpc.GrpcObject = grpc.loadPackageDefinition(packageDefinition);

function lookup(fqName: string): unknown {
  let node: unknown = grpcObject;
  for (const part of fqName.split('.')) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  return node;
}

/** Client constructor for `openshell.v1.OpenShell` (`new OpenShellClient(addr, creds)`). */
export const OpenShellClient = lookup(OPENSHELL_SERVICE) as grpc.ServiceClientConstructor;
if (typeof OpenShellClient !== 'function' || !OpenShellClient.service) {
  throw new Error(`${OPENSHELL_SERVICE} not found in ${PROTO_DIR}`);
}

/** Service definition for `server.addService(openShellServiceDefinition, handlers)`. */
export const openShellServiceDefinition: grpc.ServiceDefinition = OpenShellClient.service;
