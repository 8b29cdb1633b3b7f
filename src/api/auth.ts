import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ApiConfig, ApiRole, ApiTokenConfig } from '../config/api';
import { API_ROLES } from '../config/api';

/** Who is calling and with which role: the name is recorded as "who" on every mutation. */
export interface Principal {
  name: string;
  role: ApiRole;
  via: 'token' | 'jwt' | 'sns' | 'ingress-token';
}

export const roleRank = (r: ApiRole): number => API_ROLES.indexOf(r);
export const hasRole = (p: Principal | undefined, needed: ApiRole): boolean =>
  p !== undefined && roleRank(p.role) >= roleRank(needed);

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer ([\x21-\x7e]+)$/.exec(header ?? '')?.[1];
}

/**
 * Resolves bearer tokens to principals: API tokens (kept as SHA-256 hashes only; the presented
 * token is hashed and compared in constant time), the ingress token (admin, as before), and
 * OIDC JWTs verified against the IdP's JWKS with the configured claim → role mapping.
 */
export class Authenticator {
  private readonly jwks?: JWTVerifyGetKey;

  constructor(
    private readonly api: ApiConfig,
    private tokens: ApiTokenConfig[],
    private readonly ingressToken?: string,
  ) {
    if (api.oidc) this.jwks = createRemoteJWKSet(new URL(api.oidc.jwksUrl), { cacheMaxAge: 10 * 60_000 });
  }

  /** Adds tokens read later (Secrets Manager). */
  addTokens(more: ApiTokenConfig[]): void {
    this.tokens = [...this.tokens, ...more];
  }

  async authenticate(presented: string | undefined): Promise<Principal | undefined> {
    if (!presented) return undefined;
    const hash = Buffer.from(sha256Hex(presented), 'hex');
    let found: ApiTokenConfig | undefined;
    // Every configured hash is compared (no early exit), so timing does not tell which matched.
    for (const t of this.tokens) if (timingSafeEqual(hash, Buffer.from(t.sha256, 'hex'))) found = t;
    if (found) return { name: found.name, role: found.role, via: 'token' };
    if (this.ingressToken && timingSafeEqual(hash, Buffer.from(sha256Hex(this.ingressToken), 'hex')))
      return { name: 'ingress-token', role: 'admin', via: 'ingress-token' };
    if (this.jwks && this.api.oidc && presented.split('.').length === 3) return this.verifyJwt(presented);
    return undefined;
  }

  private async verifyJwt(jwt: string): Promise<Principal | undefined> {
    const oidc = this.api.oidc!;
    try {
      const { payload } = await jwtVerify(jwt, this.jwks!, { issuer: oidc.issuer, audience: oidc.audience });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) return undefined;
      const claim = payload[oidc.roleClaim];
      const values: unknown[] = Array.isArray(claim) ? claim : typeof claim === 'string' ? [claim] : [];
      const roles = values.flatMap((v) => (typeof v === 'string' && oidc.roleMap[v] ? [oidc.roleMap[v]] : []));
      if (roles.length === 0) return undefined;
      const role = roles.reduce((a, b) => (roleRank(b) > roleRank(a) ? b : a));
      return { name: `jwt:${payload.sub}`, role, via: 'jwt' };
    } catch {
      return undefined;
    }
  }
}
