import type { INestApplication } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { isUniqueViolation } from '#database';
import { IdentityService } from '#identity';

/** Creates the first operator from HEIRLOOM_OPERATOR_EMAIL/PASSWORD if set; never via a public endpoint. */
export async function seedOperator(app: INestApplication, config: HeirloomConfig): Promise<void> {
  if (!config.operatorSeedEmail || !config.operatorSeedPassword) return;
  await createOperator(app.get(IdentityService), config.operatorSeedEmail, config.operatorSeedPassword);
}

/** Creates an operator account; an existing one with that email is left as it is. */
export async function createOperator(
  identity: IdentityService,
  email: string,
  password: string,
): Promise<'created' | 'exists'> {
  try {
    const handle = `operator-${email
      .split('@')[0]
      .replace(/[^a-z0-9_-]/gi, '')
      .toLowerCase()}`.slice(0, 30);
    await identity.createAccount({ email, password, handle }, ['collector', 'operator']);
    return 'created';
  } catch (error) {
    if (isUniqueViolation(error) || (error as { code?: string }).code === 'email-taken') return 'exists';
    throw error;
  }
}
