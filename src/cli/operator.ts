import { userInfo } from 'node:os';

/** Who runs the CLI, recorded as `by` on operator requests (the OS user; never read from the environment). */
export function operatorName(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}
