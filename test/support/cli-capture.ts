import { main as cli } from '../../src/cli/main';

/**
 * Runs the real CLI in-process with the given environment, capturing what it prints. Each
 * `run` starts with empty `out`/`err`; `restore()` puts stdout, stderr and the environment back.
 */
export function captureCli(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let out = '';
  let err = '';
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((c) => {
    out += String(c);
    return true;
  });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((c) => {
    err += String(c);
    return true;
  });
  return {
    async run(...args: string[]): Promise<number> {
      out = '';
      err = '';
      return cli(args);
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    restore() {
      outSpy.mockRestore();
      errSpy.mockRestore();
      process.env = saved;
    },
  };
}
