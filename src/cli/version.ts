// Kept for importers not yet moved: the version lives below the CLI, where the gateway API can read it.
export { VERSION } from '../gateway/version.js';
