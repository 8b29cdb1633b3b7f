/**
 * @kubernetes/client-node is loaded by the Kubernetes gateway when first needed, not when a worker
 * imports its activities (~16 MB of heap and ~0.3 s of start for every worker process otherwise).
 */
import type * as Gateway from '../../../activities/gateways/kubernetes';

/** Runs `load` in a fresh module registry; says whether @kubernetes/client-node was evaluated. */
function loadsClient(load: () => void): boolean {
  let loaded = false;
  jest.isolateModules(() => {
    jest.doMock('@kubernetes/client-node', () => {
      loaded = true;
      return jest.requireActual('@kubernetes/client-node');
    });
    load();
  });
  return loaded;
}

describe('the Kubernetes client', () => {
  it('is not loaded by importing the activities (what a worker does at start)', () => {
    expect(loadsClient(() => require('../../../activities'))).toBe(false);
  });

  it('is loaded by the first gateway, which works as before', () => {
    let server: string | undefined;
    let user: string | undefined;
    const loaded = loadsClient(() => {
      const { kubeConfigFor, KubernetesGateway } = require('../../../activities/gateways/kubernetes') as typeof Gateway;
      const kc = kubeConfigFor('prod', 'https://10.0.0.1:6443', 'tok', { caData: 'Q0E=' });
      server = kc.getCurrentCluster()?.server;
      user = kc.getCurrentUser()?.token;
      expect(new KubernetesGateway(kc, 'prod').kubeConfig).toBe(kc);
    });
    expect(loaded).toBe(true);
    expect(server).toBe('https://10.0.0.1:6443');
    expect(user).toBe('tok');
  });
});
