// Flags that pick a gateway (shared by the console and the commands that act on a gateway's sandbox).
export const GATEWAY_FLAGS = {
  endpoint: {
    type: 'string',
    value: 'URL',
    description:
      'A gateway at URL, 0.1.x or 0.0.x (http:// plaintext h2c, https:// TLS/mTLS); $RYNO_GATEWAY_ENDPOINT / $OPENSHELL_GATEWAY_ENDPOINT',
  },
  gateway: {
    type: 'string',
    value: 'NAME',
    description: 'A gateway from the OpenShell CLI config (~/.config/{ryno,openshell}/gateways/NAME; $RYNO_GATEWAY / $OPENSHELL_GATEWAY)',
  },
  workspace: {
    type: 'string',
    value: 'NAME',
    description: 'Gateway workspace, or * for all (default $RYNO_WORKSPACE / $OPENSHELL_WORKSPACE, else "default")',
  },
} as const;

/** --gateway/--endpoint plus what acting on one sandbox of it needs. */
export const REMOTE_FLAGS = {
  ...GATEWAY_FLAGS,
  sandbox: { type: 'string', value: 'NAME', description: "The sandbox (default: the gateway's only one)" },
  wait: { type: 'boolean', description: 'With --gateway/--endpoint: wait until the sandbox has loaded the new policy version' },
  timeout: { type: 'string', value: 'SECONDS', description: 'How long --wait waits (default 60; exit 124 on timeout)' },
} as const;

export const isRemote = (args: { flags: Record<string, unknown> }) => args.flags.gateway !== undefined || args.flags.endpoint !== undefined;
