import { defineQuery } from '@temporalio/workflow';
import type { SecurityScanSummary } from '../../activities/security';

export interface SecurityScanInput {
  /** Cluster names to scan; all configured clusters when absent. */
  clusters?: string[];
  /** Stable id of this scan (alert dedup key, report name); the run's IST start time by default. */
  scanId?: string;
}

export interface SecurityScanResult extends SecurityScanSummary {
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
