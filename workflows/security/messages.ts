import { defineQuery } from '@temporalio/workflow';

export interface SecurityScanProgress {
  phase: 'listing' | 'scanning' | 'reporting' | 'alerting' | 'done';
  clusters: number;
  scanned: number;
  failed: string[];
}

export const securityScanProgressQuery = defineQuery<SecurityScanProgress>('securityScanProgress');
