import { stopTestServers } from './servers';

/** Stops the servers the projects' global setups started: no process outlives the run. */
export default async function globalTeardown(): Promise<void> {
  await stopTestServers();
}
