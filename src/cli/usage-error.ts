/** Bad CLI input: printed as is, exit code 2, nothing changed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--cluster` names that the config does not know: a UsageError naming them and the configured ones. */
export function checkClusterNames(config: { clusters: { name: string }[] }, names: string[] | undefined): void {
  const unknown = (names ?? []).filter((c) => !config.clusters.some((x) => x.name === c));
  if (unknown.length)
    throw new UsageError(
      `unknown cluster(s) ${unknown.join(', ')} (configured: ${config.clusters.map((c) => c.name).join(', ')})`,
    );
}
