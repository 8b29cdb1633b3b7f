import { z } from 'zod';

/**
 * The operator API (`/api/v1`, the status page, SNS manual triggers): who may call it with which
 * role. Tokens are kept as SHA-256 hashes only (`eksflow api hash-token` style: `sha256sum`); a
 * Secrets Manager secret may hold more of them (a JSON array of the same objects).
 */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash as 64 lower-case hex digits');

export const apiTokenSchema = z
  .object({
    /** Recorded as "who" on every mutation made with the token. */
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a token name (letters, digits, _ . @ -)'),
    sha256: sha256Hex,
    role: z.enum(API_ROLES),
  })
  .strict();
export type ApiTokenConfig = z.infer<typeof apiTokenSchema>;

export const oidcSchema = z
  .object({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    jwksUrl: z.string().url(),
    /** The claim holding the caller's groups or roles (a string or an array of strings). */
    roleClaim: z.string().default('groups'),
    /** Claim value → eksflow role; the highest matching role wins, none → 403. */
    roleMap: z.record(z.string(), z.enum(API_ROLES)),
  })
  .strict();

export const snsTopicSchema = z
  .object({
    arn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN'),
    /** The role a message from this topic acts with. */
    role: z.enum(API_ROLES).default('operator'),
  })
  .strict();

/** Amazon SNS signing certificates are only ever fetched from these hosts. */
export const SNS_CERT_URL_PATTERN = '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/';

export const apiSchema = z
  .object({
    tokens: z.array(apiTokenSchema).default([]),
    /** A Secrets Manager secret id whose value is a JSON array of tokens (same fields). */
    tokensSecretId: z.string().min(1).optional(),
    oidc: oidcSchema.optional(),
    /** Requests per token (or per address, unauthenticated) per minute. */
    rateLimitPerMinute: z.number().int().min(1).max(100_000).default(300),
    /** Origins allowed by CORS; none (the default) sends no CORS headers at all. */
    corsOrigins: z.array(z.string().url()).default([]),
    sns: z
      .object({
        topics: z.array(snsTopicSchema).default([]),
        /**
         * Which certificate URLs are trusted. Keep the default (Amazon SNS hosts); tests point it at
         * a local server.
         */
        certUrlPattern: z.string().default(SNS_CERT_URL_PATTERN),
      })
      .strict()
      .default({ topics: [], certUrlPattern: SNS_CERT_URL_PATTERN }),
    /** Seconds between automatic refreshes of the status page. */
    statusRefreshSeconds: z.number().int().min(5).max(3600).default(30),
  })
  .strict();
export type ApiConfig = z.infer<typeof apiSchema>;
