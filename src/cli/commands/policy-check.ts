// `policy check FILE...`: validate policy and preset files; a summary line per valid file on stdout,
// FILE:LINE:COL: message lines on stderr, exit 1 when any file is invalid.
import type { Command } from '../command.js';
import { formatProblem, loadPolicyFile, type PolicyDocument } from '../../core/policy/source.js';
import { endpointCount } from '../../core/policy/summary.js';
import { UsageError } from '../command.js';

export const policyCheck: Command = {
  path: ['policy', 'check'],
  usage: 'policy check FILE...',
  summary: 'Validate OpenShell sandbox policy files and NemoClaw preset files. Exit 0 when all are valid, 1 otherwise.',
  flags: {},
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('policy check needs at least one FILE');
    let failed = false;
    for (const file of args.positionals) {
      const result = await loadPolicyFile(file);
      for (const warning of result.warnings) io.stderr.write(`${formatProblem(warning)}\n`);
      if (result.errors.length > 0 || !result.document) {
        failed = true;
        for (const error of result.errors) io.stderr.write(`${formatProblem(error)}\n`);
        continue;
      }
      io.stdout.write(`${file}: ok — ${describeDocument(result.document)}\n`);
    }
    return failed ? 1 : 0;
  },
};

function describeDocument(document: PolicyDocument): string {
  const policies = document.kind === 'policy' ? document.policy.network_policies : document.preset.network_policies;
  const keys = Object.keys(policies).length;
  const counts = `${keys} network ${keys === 1 ? 'policy' : 'policies'}, ${endpointCount(policies)} endpoints`;
  if (document.kind === 'preset') return `preset '${document.preset.preset.name}', ${counts}`;
  return `sandbox policy v${document.policy.version}, ${counts}`;
}
