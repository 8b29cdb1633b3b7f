/** Bad CLI input: printed as is, exit code 2, nothing changed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
