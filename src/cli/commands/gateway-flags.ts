// Flags that pick a gateway (shared by the console and the commands that act on a gateway's sandbox).
export const GATEWAY_FLAGS = {
  endpoint: { type: 'string', value: 'URL', description: 'An openshell.v1 gateway at URL (http:// plaintext h2c, https:// TLS/mTLS)' },
  gateway: {
    type: 'string',
    value: 'NAME',
    description: 'A gateway from the OpenShell CLI config (~/.config/openshell/gateways/NAME; $OPENSHELL_GATEWAY)',
  },
  workspace: { type: 'string', value: 'NAME', description: 'Gateway workspace (default $OPENSHELL_WORKSPACE, else "default")' },
} as const;

/** --gateway/--endpoint plus what acting on one sandbox of it needs. */
export const REMOTE_FLAGS = {
  ...GATEWAY_FLAGS,
  sandbox: { type: 'string', value: 'NAME', description: "The sandbox (default: the gateway's only one)" },
  wait: { type: 'boolean', description: 'With --gateway/--endpoint: wait until the sandbox has loaded the new policy version' },
  timeout: { type: 'string', value: 'SECONDS', description: 'How long --wait waits (default 60; exit 124 on timeout)' },
} as const;

export const isRemote = (args: { flags: Record<string, unknown> }) => args.flags.gateway !== undefined || args.flags.endpoint !== undefined;
