import { array, boolean, enum as enum_, number, object, record, string, union } from 'zod';

/**
 * The zod builders the lazily built schemas use (src/domain/lazy-zod.ts requires this module when a
 * schema is first built). Named imports, not the `z` namespace: the workflow bundler then takes only
 * the parts of zod these reach, as it did for `z.object(…)` calls before the schemas became lazy;
 * the whole namespace would add every locale and more (~0.6 MB of code to the bundle).
 */
export const z = { array, boolean, enum: enum_, number, object, record, string, union };
