import { SignJWT, jwtVerify } from 'jose';

export interface SessionClaims {
  userId: number;
  companyId: number;
}

/** Session tokens: HS256 JWTs signed with SESSION_SECRET; the user row is re-read on every request. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: SessionClaims): Promise<string> {
    return new SignJWT({ cid: claims.companyId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(claims.userId))
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setIssuer('lifeline')
      .sign(this.key);
  }

  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'lifeline', algorithms: ['HS256'] });
      const userId = Number(payload.sub);
      const companyId = Number(payload.cid);
      return Number.isInteger(userId) && Number.isInteger(companyId) ? { userId, companyId } : null;
    } catch {
      return null;
    }
  }
}
