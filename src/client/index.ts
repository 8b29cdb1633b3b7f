// Connecting to Temporal. The per-feature client helpers are src/client/<feature>.ts.
export { connectClient, connectionOptions, connectWorkerConnection } from './connection';
