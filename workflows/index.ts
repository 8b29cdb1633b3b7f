// Every export of this module becomes a workflow type registered by the production worker:
// re-export workflows only. Helpers live in workflows/lib or src/domain; test-only workflows in
// test/support/test-workflows.ts.
export { scaleNodegroupTo, scaleSelfManagedGroupTo } from './scaling/scale-group';
export { costAnalysis, spotOptimization } from './cost/reports';
export { alertEscalation } from './alerts/escalation';
export { alertDigest } from './alerts/digest';
export { spotInterruption } from './interruption/spot-interruption';
export { asgCapacity } from './interruption/asg-capacity';
export { clusterController } from './scaling/controller';
export { scaleUpCluster, scaleUpFleet, preWorkAnalysis } from './scaling/scale-up';
export { scaleDownCluster, scaleDownFleet, trafficAnalysis } from './scaling/scale-down';
export { verifyClusterHealth, verifyFleetHealth } from './scaling/health';
export { securityScans } from './security/scan';
export { logArchival } from './logs/archive';
export { configWatch } from './config-sync/watch';
export { healthMonitor } from './health/monitor';
export { cloudwatchAlarm } from './health/cloudwatch-alarm';
export { backups } from './backups/backups';
export { backupRestoreDrill } from './backups/restore-drill';
export { backupObjectVerification } from './backups/verify-object';
export { resourceCleanup } from './cleanup/cleanup';
export { listBackups } from './backups/list';
export { anomalyMonitor } from './health/anomaly';
export { drainNode } from './drain/drain-node';
export { performanceTuning } from './tuning/tuning';
export { tuningProposal } from './tuning/pending-change';
