import { describe, expect, it } from 'vitest';
import { archiveReadme } from './archive-readme.js';
import { certificateFileName } from './exit-archive.service.js';

describe('exit archive files', () => {
  const readme = (missingCount: number) =>
    archiveReadme({
      origin: 'heirloom.example/ledger',
      createdAt: '2026-12-07T00:00:00.000Z',
      policyFile: 'heirloom.tlog-policy',
      certificateCount: 3,
      missingCount,
    });

  it('tells how to verify every certificate offline with the policy in the archive', () => {
    const text = readme(0);
    expect(text).toContain(
      'npx heirloom-verify certificates/heirloom-<token>.cert.json --policy heirloom.tlog-policy',
    );
    expect(text).toContain('node dist/apps/verify/src/main.js');
    expect(text).toContain('(3 in all)');
    expect(text).not.toContain('no certificate in this archive yet');
  });

  it('says which tokens have no certificate yet, and what to do', () => {
    expect(readme(2)).toContain('2 of your tokens have no certificate in this archive yet');
  });

  it('names certificates as the certificate route does, and never outside their folder', () => {
    expect(certificateFileName('tok_AbC-12')).toBe('certificates/heirloom-tok_AbC-12.cert.json');
    expect(certificateFileName('../../etc/passwd')).toBe('certificates/heirloom-.._.._etc_passwd.cert.json');
  });
});
