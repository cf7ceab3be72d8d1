import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on a bare machine with defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.embedded).toBe(true);
    expect(config.stripeSecretKey).toBeUndefined();
  });

  it('bounds Stripe requests to seconds by default, and reads its timeout and retries', () => {
    expect(loadConfig({})).toMatchObject({ stripeTimeoutMs: 3000, stripeMaxNetworkRetries: 1 });
    const config = loadConfig({ STRIPE_TIMEOUT_MS: '8000', STRIPE_MAX_NETWORK_RETRIES: '0' });
    expect(config).toMatchObject({ stripeTimeoutMs: 8000, stripeMaxNetworkRetries: 0 });
    expect(() => loadConfig({ STRIPE_TIMEOUT_MS: '0', STRIPE_MAX_NETWORK_RETRIES: '9' })).toThrow(
      /STRIPE_TIMEOUT_MS[\s\S]*STRIPE_MAX_NETWORK_RETRIES/,
    );
  });

  it('allows local webhook URLs outside production unless told otherwise, and reads the retry schedule', () => {
    expect(loadConfig({}).webhooks.allowLocalUrls).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).webhooks.allowLocalUrls).toBe(false);
    expect(
      loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_LOCAL_URLS: 'true' }).webhooks.allowLocalUrls,
    ).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_LOCAL_URLS: 'false' }).webhooks.allowLocalUrls).toBe(false);
    const days = loadConfig({}).webhooks.retryScheduleMs.reduce((sum, ms) => sum + ms, 0) / 86_400_000;
    expect(days).toBeGreaterThan(2.5);
    expect(days).toBeLessThan(3.5);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100, 2000' }).webhooks.retryScheduleMs).toEqual([
      100, 2000,
    ]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '1s', WEBHOOK_ALLOW_LOCAL_URLS: 'maybe' })).toThrow(
      /WEBHOOK_ALLOW_LOCAL_URLS[\s\S]*WEBHOOK_RETRY_SCHEDULE_MS/,
    );
  });

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', STRIPE_SECRET_KEY: 'sk_test_abc' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('STRIPE_WEBHOOK_SECRET');
    }
  });
});
