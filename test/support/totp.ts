import { generateSync } from 'otplib';
import { securityClock } from '../../src/common/clock';

/** The current TOTP code of a secret, at the service's security time (which tests may move). */
export const totp = (secret: string, offsetSteps = 0): string =>
  generateSync({ secret, epoch: Math.floor(securityClock.now().getTime() / 1000) + offsetSteps * 30 });
