import { ensureMoto, prepareTestEnvironment } from './servers';

/**
 * Global setup of the `workflows` project (jest.config.js). Each file starts its own time-skipping
 * test server (`createTimeSkippingEnv()`); the activities those workflows run talk to moto.
 */
export default async function globalSetup(): Promise<void> {
  prepareTestEnvironment();
  await ensureMoto();
}
