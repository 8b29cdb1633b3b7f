import { z } from 'zod';
import { clusterSchema } from './clusters';
import { timetableSchema } from './timetable';
import { notificationsSchema } from './notifications';
import { apiSchema } from './api';

export const configSchema = z
  .object({
    clusters: z.array(clusterSchema).min(1),
    timetable: timetableSchema.default(timetableSchema.parse({})),
    notifications: notificationsSchema.default(notificationsSchema.parse({})),
    api: apiSchema.default(apiSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.clusters.forEach((c, i) => {
      const key = `${c.accountId}/${c.region}/${c.name}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `duplicate cluster ${key}`, path: ['clusters', i, 'name'] });
      seen.add(key);
    });
  });

export type EksflowConfig = z.infer<typeof configSchema>;
export type { ClusterConfig, NodegroupConfig, Size, AwsTarget } from './clusters';
