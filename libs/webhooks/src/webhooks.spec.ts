import { describe, expect, it } from 'vitest';
import { eventPayload, nextAttemptAt } from './dispatcher.js';
import { addressKind, endpointUrlRefusal } from './endpoint-url.js';

describe('endpoint URLs', () => {
  it('allows https to public hosts, and loopback only where local URLs are allowed', () => {
    expect(endpointUrlRefusal('https://example.com/hooks', false)).toBeUndefined();
    expect(endpointUrlRefusal('https://93.184.216.34:8443/hooks', false)).toBeUndefined();
    expect(endpointUrlRefusal('https://[2606:4700::1111]/hooks', false)).toBeUndefined();
    for (const local of [
      'http://127.0.0.1:9000/h',
      'https://localhost/h',
      'http://[::1]/h',
      'http://a.localhost/h',
    ]) {
      expect(endpointUrlRefusal(local, true), local).toBeUndefined();
      expect(endpointUrlRefusal(local, false), local).toMatch(/development only/);
    }
  });

  it('refuses other schemes, credentials, plain http to public hosts and private or reserved hosts', () => {
    expect(endpointUrlRefusal('ftp://example.com/', true)).toMatch(/https/);
    expect(endpointUrlRefusal('http://example.com/', true)).toMatch(/https/);
    expect(endpointUrlRefusal('https://u:p@example.com/', true)).toMatch(/password/);
    expect(endpointUrlRefusal('example.com', true)).toMatch(/absolute URL/);
    for (const host of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.0.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[fd12::1]',
      '[fe80::1]',
      '[::ffff:192.168.0.1]',
      '[::]',
      'printer.local',
      'db.internal',
      'intranet',
    ]) {
      expect(endpointUrlRefusal(`https://${host}/hook`, true), host).toMatch(/public host/);
    }
  });

  it('classifies addresses, IPv4-mapped ones as their IPv4 address', () => {
    expect(addressKind('127.0.0.53')).toBe('loopback');
    expect(addressKind('::1')).toBe('loopback');
    expect(addressKind('::ffff:127.0.0.1')).toBe('loopback');
    expect(addressKind('::ffff:10.0.0.1')).toBe('reserved');
    expect(addressKind('8.8.8.8')).toBe('public');
  });
});

describe('retry schedule', () => {
  const schedule = [1000, 60_000];
  it('waits the attempt’s delay, jittered by up to a quarter either way, then gives up', () => {
    expect(nextAttemptAt(1, schedule, 0, () => 0)?.getTime()).toBe(750);
    expect(nextAttemptAt(1, schedule, 0, () => 0.5)?.getTime()).toBe(1000);
    expect(nextAttemptAt(2, schedule, 0, () => 1)?.getTime()).toBe(75_000);
    expect(nextAttemptAt(3, schedule, 0)).toBeUndefined();
  });
});

describe('event payload', () => {
  it('is the Standard Webhooks shape with the stored data spliced in', () => {
    const payload = eventPayload({
      id: 'evt_1',
      type: 'order.paid',
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      dataJson: '{"amountMinor": 2500, "note": "a \\"quoted\\" ¥"}',
    });
    expect(JSON.parse(payload)).toEqual({
      id: 'evt_1',
      type: 'order.paid',
      timestamp: '2026-01-02T03:04:05.678Z',
      data: { amountMinor: 2500, note: 'a "quoted" ¥' },
    });
  });
});
