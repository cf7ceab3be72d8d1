import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { useCollection } from './Collections';
import { CURRENCIES, defaultCurrency, toMinor, type Currency } from './money';
import { useStudioWords } from './register';

/** A Date as a datetime-local input writes it: the wall clock of the person's own zone. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The person's time zone as their language names it, with its place: "Eastern Time (New York)". */
function zoneName(locale: string): string {
  const id = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const name = new Intl.DateTimeFormat(locale, { timeZoneName: 'longGeneric' })
    .formatToParts(new Date())
    .find((part) => part.type === 'timeZoneName')?.value;
  const place = id.split('/').pop()!.replaceAll('_', ' ');
  return name && name !== place ? `${name} (${place})` : place;
}

/** The next full hour from now plus `hours`. */
function fullHourAhead(hours: number): Date {
  const date = new Date();
  date.setMinutes(0, 0, 0);
  date.setHours(date.getHours() + 1 + hours);
  return date;
}

/** Schedule a timed release of the collection's unlisted editions: first come or a lottery draw. */
export function ScheduleDrop() {
  const { t, i18n } = useStudioWords();
  const format = useFormat();
  const collection = useCollection();
  const queries = useQueryClient();
  const [price, setPrice] = useState('');
  const [currency, setCurrency] = useState<Currency>(defaultCurrency(i18n.language));
  const [startsAt, setStartsAt] = useState(() => localInputValue(fullHourAhead(0)));
  const [mode, setMode] = useState<'first-come' | 'lottery'>('first-come');
  const [entriesCloseAt, setEntriesCloseAt] = useState(() => localInputValue(fullHourAhead(24)));
  const [perBuyerLimit, setPerBuyerLimit] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const schedule = useMutation({
    mutationFn: (body: Schemas['CreateDropDto']) => unwrap(api.POST('/drops', { body })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['studio', 'pieces'] }),
  });
  if (collection.isPending) return <Loading />;
  if (collection.isError)
    return <ProblemNote error={collection.error} onRetry={() => void collection.refetch()} />;
  const c = collection.data;
  const zone = zoneName(i18n.language);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const priceMinor = toMinor(price, currency);
    // A datetime-local value has no zone: the Date constructor reads it in the browser's own.
    const start = new Date(startsAt);
    const close = new Date(entriesCloseAt);
    const limit = perBuyerLimit.trim() === '' ? undefined : Number(perBuyerLimit);
    const problem =
      priceMinor === null
        ? t('pricing.badPrice')
        : Number.isNaN(start.getTime())
          ? t('drop.badTime')
          : mode === 'lottery' && !(close.getTime() > start.getTime())
            ? t('drop.closeAfterStart')
            : limit !== undefined && !(Number.isInteger(limit) && limit >= 1)
              ? t('newCollection.badWhole', { min: 1 })
              : null;
    setInvalid(problem);
    if (problem || priceMinor === null) return;
    schedule.mutate({
      collectionId: c.id,
      priceMinor,
      currency,
      startsAt: start.toISOString(),
      mode,
      ...(mode === 'lottery' ? { entriesCloseAt: close.toISOString() } : {}),
      ...(limit !== undefined ? { perBuyerLimit: limit } : {}),
    });
  };

  if (schedule.isSuccess) {
    const drop = schedule.data;
    return (
      <section>
        <h1>{t('drop.title', { collection: c.name })}</h1>
        <p className="success" role="status">
          {t('drop.done', {
            editions: drop.editions,
            price: format.money(drop.priceMinor, drop.currency),
            when: format.when(drop.startsAt),
          })}
        </p>
        <p className="actions">
          <Link className="button" to={`/drop/${drop.dropId}`}>
            {t('drop.view')}
          </Link>
          <Link className="button secondary" to={`/studio/collections/${c.id}`}>
            {c.name}
          </Link>
        </p>
      </section>
    );
  }

  return (
    <form className="studio-form" onSubmit={onSubmit}>
      <h1>{t('drop.title', { collection: c.name })}</h1>
      <p>{t('drop.intro')}</p>
      <div className="row">
        <label>
          {t('drop.price')}
          <input inputMode="decimal" required value={price} onChange={(e) => setPrice(e.target.value)} />
        </label>
        <label>
          {t('pricing.currency')}
          <select value={currency} onChange={(e) => setCurrency(e.target.value as Currency)}>
            {CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        {t('drop.startsAt')}
        <input
          type="datetime-local"
          required
          value={startsAt}
          aria-describedby="drop-zone"
          onChange={(e) => setStartsAt(e.target.value)}
        />
      </label>
      <p id="drop-zone" className="muted">
        {t('drop.zone', { zone })}
      </p>
      <fieldset className="choices">
        <legend>{t('drop.mode')}</legend>
        <label className="choice">
          <input
            type="radio"
            name="mode"
            checked={mode === 'first-come'}
            onChange={() => setMode('first-come')}
          />
          {t('drop.firstCome')}
        </label>
        <label className="choice">
          <input type="radio" name="mode" checked={mode === 'lottery'} onChange={() => setMode('lottery')} />
          {t('drop.lottery')}
        </label>
        {mode === 'lottery' && (
          <label>
            {t('drop.entriesCloseAt')}
            <input
              type="datetime-local"
              required
              value={entriesCloseAt}
              onChange={(e) => setEntriesCloseAt(e.target.value)}
            />
          </label>
        )}
      </fieldset>
      <label>
        {t('drop.perBuyerLimit')}
        <input
          type="number"
          min={1}
          step={1}
          value={perBuyerLimit}
          onChange={(e) => setPerBuyerLimit(e.target.value)}
        />
      </label>
      {invalid && (
        <p role="alert" className="problem">
          {invalid}
        </p>
      )}
      {schedule.isError && <ProblemNote error={schedule.error} />}
      <button type="submit" disabled={schedule.isPending}>
        {schedule.isPending ? t('drop.scheduling') : t('drop.schedule')}
      </button>
    </form>
  );
}
