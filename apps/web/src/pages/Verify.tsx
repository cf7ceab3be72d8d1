import { decodeEntry, parseTlogPolicy, verifyCertificate, type LedgerEntry } from '#ledger-core';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemNote } from '../components/Problem';
import { useFormat } from '../format';

type Verdict = ReturnType<typeof verifyCertificate>;

const bytesOf = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));

/** The certificate's history, decoded from its entries (shown whatever the verdict). */
function historyOf(certificate: unknown): LedgerEntry[] {
  const entries = (certificate as { entries?: { entry?: string }[] } | null)?.entries ?? [];
  return entries.flatMap((item) => {
    try {
      return [decodeEntry(bytesOf(item.entry ?? ''))];
    } catch {
      return [];
    }
  });
}

/**
 * Checks an ownership certificate in the browser, offline, with the ledger core the CLI uses,
 * against a tlog-policy the person trusts (the platform's published one is offered, not assumed).
 */
export function Verify() {
  const { t } = useTranslation();
  const format = useFormat();
  const [certificate, setCertificate] = useState<unknown>();
  const [fileError, setFileError] = useState<string>();
  const [policy, setPolicy] = useState('');
  const [policyError, setPolicyError] = useState<unknown>();
  const [verdict, setVerdict] = useState<Verdict>();

  const readFile = async (event: ChangeEvent<HTMLInputElement>) => {
    setVerdict(undefined);
    const file = event.target.files?.[0];
    if (!file) return;
    try {
      setCertificate(JSON.parse(await file.text()));
      setFileError(undefined);
    } catch (error) {
      setCertificate(undefined);
      setFileError(`${file.name}: ${(error as Error).message}`);
    }
  };
  const loadPublished = async () => {
    try {
      const response = await fetch('/ledger/policy');
      setPolicy(await response.text());
      setPolicyError(undefined);
    } catch (error) {
      setPolicyError(error);
    }
  };
  const check = (event: FormEvent) => {
    event.preventDefault();
    try {
      setVerdict(verifyCertificate(certificate, parseTlogPolicy(policy)));
      setPolicyError(undefined);
    } catch (error) {
      setVerdict(undefined);
      setPolicyError(error);
    }
  };
  const history = historyOf(certificate);
  return (
    <>
      <h1>{t('verify.title')}</h1>
      <p>{t('verify.intro')}</p>
      <form className="verify" onSubmit={check}>
        <label>
          {t('verify.drop')}
          <input
            type="file"
            accept=".json,application/json"
            onChange={(event) => void readFile(event)}
            required
          />
        </label>
        {fileError && (
          <p role="alert" className="problem">
            {fileError}
          </p>
        )}
        <label>
          {t('verify.keys')}
          <textarea
            rows={5}
            value={policy}
            spellCheck={false}
            onChange={(event) => setPolicy(event.target.value)}
            required
          />
        </label>
        <button type="button" className="secondary" onClick={() => void loadPublished()}>
          {t('verify.useOurKeys')}
        </button>{' '}
        <button type="submit" disabled={certificate === undefined}>
          {t('verify.check')}
        </button>
        {policyError !== undefined && <ProblemNote error={policyError} />}
      </form>
      {verdict && (
        <section
          aria-live="polite"
          className={verdict.ok ? 'verdict valid' : 'verdict invalid'}
          data-testid="verdict"
        >
          {verdict.ok ? (
            <>
              <h2>{t('verify.valid', { owner: verdict.owner ?? '—', token: verdict.token })}</h2>
              <h3>{t('verify.checks')}</h3>
              <ul className="checks">
                <li>✓ {verdict.origin}</li>
                <li>✓ {verdict.quorum}</li>
                {verdict.witnesses.map((witness) => (
                  <li key={witness}>✓ {witness}</li>
                ))}
                {verdict.cosignedAt !== undefined && (
                  <li>✓ {format.date(new Date(verdict.cosignedAt * 1000).toISOString())}</li>
                )}
              </ul>
            </>
          ) : (
            <>
              <h2>{t('verify.invalid')}</h2>
              <ul className="checks">
                {verdict.errors.map((error) => (
                  <li key={error}>✗ {error}</li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      {history.length > 0 && (
        <section aria-labelledby="history">
          <h2 id="history">{t('verify.history')}</h2>
          <ol className="timeline">
            {history.map((entry) => (
              <li key={entry.seq}>
                <strong>{t(`item.events.${entry.type}`, { defaultValue: entry.type })}</strong>{' '}
                {entry.from ?? ''}
                {entry.to ? ` → ${entry.to}` : ''} <time dateTime={entry.at}>{format.date(entry.at)}</time>
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}
