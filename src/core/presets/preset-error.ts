// The one error type the presets layer throws. Messages are meant for an operator as they are: they name
// the file, and carry FILE:LINE:COL lines from the policy loader when the problem is inside the YAML.
import { formatProblem, type PolicyProblem } from '../policy/source.js';

export type PresetErrorCode =
  | 'not-found' // no such preset, file or tier
  | 'invalid' // the file or document breaks a rule
  | 'conflict' // collides with a built-in name or key
  | 'not-applied'
  | 'io'; // the state directory could not be read or written

export class PresetError extends Error {
  override readonly name = 'PresetError';
  /** For a directory run that stopped: the presets applied before the failure (they stay applied). */
  readonly applied: readonly string[];

  constructor(
    readonly code: PresetErrorCode,
    message: string,
    /** Loader problems behind the error, when it came from a YAML document. */
    readonly problems: readonly PolicyProblem[] = [],
    options?: { cause?: unknown; applied?: readonly string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.applied = options?.applied ?? [];
  }

  /** An `invalid` error listing every loader error, one FILE:LINE:COL line each. */
  static fromProblems(problems: readonly PolicyProblem[]): PresetError {
    return new PresetError('invalid', problems.map(formatProblem).join('\n'), problems);
  }
}

/** A bad file found while opening the store: reported, skipped, never fatal. `message` may span lines. */
export interface PresetProblem {
  file: string;
  message: string;
}
