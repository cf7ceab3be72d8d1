import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useAccount } from '../auth';
import { EditionLabel } from '../components/Cards';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { Checkout } from './Checkout';

interface Attribute {
  trait_type?: string;
  value?: unknown;
}

/** A token's page: media, edition, owner, price and its provenance on the ledger. */
export function Item() {
  const { t } = useTranslation();
  const format = useFormat();
  const { '*': tokenId = '' } = useParams();
  const staff = useAccount().data?.roles.some((role) => role === 'operator' || role === 'auditor');
  const token = useQuery({
    queryKey: ['token', tokenId],
    queryFn: () => unwrap(api.GET('/catalogue/tokens/{id}', { params: { path: { id: tokenId } } })),
  });
  if (token.isPending) return <Loading />;
  if (token.isError) return <ProblemNote error={token.error} onRetry={() => void token.refetch()} />;
  const item = token.data;
  const attributes = ((item.metadata?.attributes as Attribute[] | undefined) ?? []).filter(
    (attribute) => attribute.trait_type,
  );
  const offer = item.offer;
  return (
    <article className="item">
      <img src={item.mediaUrl} alt={item.name} width={560} height={560} className="media" />
      <div className="details">
        <h1>{item.name}</h1>
        <p className="muted">
          {item.collection.name} · <EditionLabel number={item.edition.number} total={item.edition.total} />
        </p>
        <p>{t('item.creator', { handle: item.creatorHandle })}</p>
        {staff && (
          <p>
            <Link to={`/console/tokens/${encodeURIComponent(item.id)}`}>{t('item.inConsole')}</Link>
          </p>
        )}
        <p data-testid="owner">
          {item.ownerHandle ? t('item.owner', { handle: item.ownerHandle }) : t('item.noOwner')}
        </p>
        {offer && item.status === 'active' && (
          <p className="price" data-testid="price">
            {format.money(offer.priceMinor, offer.currency)}
          </p>
        )}
        {item.description && <p>{item.description}</p>}
        {item.status === 'frozen' ? (
          <p role="status" className="notice" data-testid="frozen">
            {t('common.frozen')} — {t('item.frozenNote')}
          </p>
        ) : item.status === 'burned' ? (
          <p className="notice">{t('common.burned')}</p>
        ) : !offer ? (
          <p className="muted">{t('common.notForSale')}</p>
        ) : !offer.available ? (
          <p className="notice">
            {offer.startsAt && new Date(offer.startsAt).getTime() > Date.now()
              ? t('item.notYet', { when: format.when(offer.startsAt) })
              : t('item.held')}
          </p>
        ) : (
          <Checkout
            target={{ tokenId: item.id }}
            price={{ amountMinor: offer.priceMinor, currency: offer.currency }}
          />
        )}
        {attributes.length > 0 && (
          <section aria-labelledby="attributes">
            <h2 id="attributes">{t('item.attributes')}</h2>
            <dl className="attributes">
              {attributes.map((attribute) => (
                <div key={attribute.trait_type}>
                  <dt>{attribute.trait_type}</dt>
                  <dd>{String(attribute.value)}</dd>
                </div>
              ))}
            </dl>
          </section>
        )}
        <section aria-labelledby="provenance">
          <h2 id="provenance">{t('item.provenance')}</h2>
          <p className="muted">{t('item.provenanceHelp')}</p>
          <ol className="timeline">
            {item.history.map((event) => (
              <li key={event.seq}>
                <strong>{t(`item.events.${event.type}`, { defaultValue: event.type })}</strong>{' '}
                {event.ownerHandle && <span>@{event.ownerHandle}</span>}{' '}
                <time dateTime={event.at}>{format.date(event.at)}</time>{' '}
                <a href={`/ledger/tokens/${encodeURIComponent(item.id)}/history`}>{t('item.proof')}</a>
              </li>
            ))}
          </ol>
          <a
            href={`/ledger/tokens/${encodeURIComponent(item.id)}/certificate`}
            download={`${item.id}.certificate.json`}
          >
            {t('item.certificate')}
          </a>
        </section>
      </div>
    </article>
  );
}
