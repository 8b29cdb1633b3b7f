import type { ManagedProcess } from '../../src/sandbox/processes';

export default async function globalTeardown(): Promise<void> {
  const servers = ((globalThis as Record<string, unknown>).__eksflowTestServers ?? []) as ManagedProcess[];
  await Promise.all(servers.map((s) => s.stop()));
}
