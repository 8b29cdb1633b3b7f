import { defineQuery } from '@temporalio/workflow';
import type { SecurityScanSummary } from '../../activities/security';

export interface SecurityScanInput {
  /** Config version the run uses (config sync, ssm mode); the worker's version in force at the start when absent. */
  configVersion?: number;
  /** Cluster names to scan; all configured clusters when absent. */
  clusters?: string[];
  /** Stable id of this scan (alert dedup key, report name); the run's IST start time by default. */
  scanId?: string;
}

export interface SecurityScanResult extends SecurityScanSummary {
  /** The config version the run used (ssm mode); absent with a config file. */
  configVersion?: number;
  clustersScanned: number;
  clustersFailed: string[];
  alerted: boolean;
}

export interface SecurityScanProgress {
  phase: 'listing' | 'scanning' | 'reporting' | 'alerting' | 'done';
  clusters: number;
  scanned: number;
  failed: string[];
}

export const securityScanProgressQuery = defineQuery<SecurityScanProgress>('securityScanProgress');
