import {
  ensureKubernetes,
  ensureMoto,
  ensurePrometheus,
  ensureTemporalDevServer,
  prepareTestEnvironment,
} from './servers';

/**
 * Global setup of the `integration` project (jest.config.js): the Temporal dev server, moto and
 * any other real server the integration tests share. A new server gets its own block here: a
 * `start<Thing>()` in its own `test/support/<thing>.ts`, started at most once per run.
 */
export default async function globalSetup(): Promise<void> {
  prepareTestEnvironment();
  await Promise.all([
    ensureMoto(),
    ensureTemporalDevServer(),
    ensurePrometheus(),
    // --- Kubernetes (issue 11): etcd + kube-apiserver + kube-controller-manager, for the kube tests.
    ensureKubernetes(),
  ]);
}
