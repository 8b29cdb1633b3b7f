// Every export of this module becomes a workflow type registered by the worker: re-export
// workflows only. Helpers live in workflows/lib or src/domain.
export { timerProbe } from './probe';
export { scaleNodegroupTo } from './scale-nodegroup';
export { costAnalysis, spotOptimization } from './cost';
export { alertEscalation, alertDigest } from './alerts';
export { spotInterruption } from './spot-interruption';
export { clusterController } from './cluster-controller';
export { scaleUpCluster, scaleUpFleet, preWorkAnalysis } from './scaling/scale-up';
export { scaleDownCluster, scaleDownFleet, trafficAnalysis } from './scaling/scale-down';
export { verifyClusterHealth, verifyFleetHealth } from './scaling/health';
export { scaleSelfManagedGroupTo } from './scaling/scale-asg';
export { drainNode } from './drain/drain-node';
