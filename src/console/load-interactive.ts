// Ink decides once, as it loads, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION set) and if so
// draws nothing until exit. The console only starts on a TTY, where someone is watching, so Ink is
// loaded with those variables hidden; they are put back at once so agents started later still see them.
const CI_FLAGS = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function loadInteractive<T>(load: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const saved = CI_FLAGS.filter((key) => key in env).map((key) => [key, env[key]] as const);
  for (const [key] of saved) delete env[key];
  try {
    return await load();
  } finally {
    for (const [key, value] of saved) env[key] = value;
  }
}
