// Every export of this module becomes a workflow type registered by the worker: re-export
// workflows only. Helpers live in workflows/lib or src/domain.
export { timerProbe } from './probe';
export { scaleNodegroupTo } from './scale-nodegroup';
