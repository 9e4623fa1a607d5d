import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verifySync } from 'otplib';
import { securityClock } from '../common/clock';
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
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.config.mfaKey, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
  }

  decrypt(stored: string): string {
    const [, iv, tag, data] = stored.split('.');
    const decipher = createDecipheriv('aes-256-gcm', this.config.mfaKey, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
