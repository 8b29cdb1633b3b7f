import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { EksflowEnv } from '../config/env';

/** Connection settings for a local dev server, a self-hosted cluster or Temporal Cloud. */
export function connectionOptions(env: EksflowEnv): ConnectionOptions & NativeConnectionOptions {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? { clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } }
      : env.TEMPORAL_API_KEY
        ? true
        : undefined;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

export async function connectClient(env: EksflowEnv): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}

export function connectWorkerConnection(env: EksflowEnv): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(env));
}
