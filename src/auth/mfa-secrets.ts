import { Inject, Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verifySync } from 'otplib';
import { securityClock } from '../common/clock';
import { seal, unseal } from '../common/sealed';
import { authConfig, AuthConfig } from '../config/configuration';

const ISSUER = '长三角科技创新券';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) through otplib, and the secrets' encryption at rest with AES-256-GCM under
 * MFA_ENCRYPTION_KEY: a copy of the database alone does not give away anyone's second factor.
 */
@Injectable()
export class MfaSecrets {
  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {}

  generate(username: string): { secret: string; otpauthUrl: string } {
    const secret = generateSecret();
    return { secret, otpauthUrl: generateURI({ issuer: ISSUER, label: username, secret }) };
  }

  /** The time step a code belongs to (±1 step of drift), or null when it is wrong. */
  verify(secret: string, otp: string): number | null {
    const result = verifySync({ secret, token: otp, epochTolerance: 30, epoch: Math.floor(securityClock.now().getTime() / 1000) });
    // otplib types the result for HOTP and TOTP alike; a TOTP match carries its time step.
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }

  encrypt(secret: string): string {
    return seal(this.config.mfaKey, secret);
  }

  decrypt(stored: string): string {
    return unseal(this.config.mfaKey, stored);
  }
}
