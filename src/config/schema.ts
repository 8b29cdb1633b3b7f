import { z } from 'zod';
import { clusterSchema } from './clusters';
import { timetableSchema } from './timetable';
import { notificationsSchema } from './notifications';
import { securitySchema } from './security';
import { logsSchema } from './logs';
import { healthSchema } from './health';
import { backupsSchema } from './backups';
import { cleanupSchema } from './cleanup';
import { apiSchema } from './api';
import { limitsSchema } from './limits';

export const configSchema = z
  .object({
    clusters: z.array(clusterSchema).min(1),
    timetable: timetableSchema.default(timetableSchema.parse({})),
    notifications: notificationsSchema.default(notificationsSchema.parse({})),
    security: securitySchema.default(securitySchema.parse({})),
    logs: logsSchema.default(logsSchema.parse({})),
    health: healthSchema.default(healthSchema.parse({})),
    backups: backupsSchema.default(backupsSchema.parse({})),
    cleanup: cleanupSchema.default(cleanupSchema.parse({})),
    api: apiSchema.default(apiSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.clusters.forEach((c, i) => {
      const key = `${c.accountId}/${c.region}/${c.name}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', message: `duplicate cluster ${key}`, path: ['clusters', i, 'name'] });
      seen.add(key);
    });
    cfg.health.clusters.forEach((h, i) => {
      const matches = cfg.clusters.filter(
        (c) =>
          c.name === h.cluster && (!h.accountId || c.accountId === h.accountId) && (!h.region || c.region === h.region),
      );
      if (matches.length === 0)
        ctx.addIssue({
          code: 'custom',
          message: `health: no cluster named ${h.cluster} in clusters`,
          path: ['health', 'clusters', i, 'cluster'],
        });
      if (matches.length > 1)
        ctx.addIssue({
          code: 'custom',
          message: `health: ${h.cluster} names several clusters; add accountId/region`,
          path: ['health', 'clusters', i, 'cluster'],
        });
    });
  });

export type EksflowConfig = z.infer<typeof configSchema>;
export type { ClusterConfig, NodegroupConfig, Size, AwsTarget } from './clusters';
