import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Which URLs an endpoint may name, so that webhooks cannot be aimed at the platform's own network
 * (SSRF): HTTPS to a public host. Loopback (127.0.0.0/8, ::1, localhost), over http or https, only
 * where local URLs are allowed (development; WEBHOOK_ALLOW_LOCAL_URLS). Private, link-local,
 * carrier-grade NAT, documentation, multicast and other reserved addresses never. Names are checked
 * again when a delivery connects, on every address they resolve to (a public name may point inside).
 */

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const RESERVED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  RESERVED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  RESERVED.addSubnet(network, prefix, 'ipv6');
}

/** Names that only ever mean something inside a network. */
const LOCAL_SUFFIXES = ['.local', '.internal', '.intranet', '.lan', '.home.arpa', '.corp', '.localdomain'];

type AddressKind = 'public' | 'loopback' | 'reserved';

/** What kind of address an IP literal is (an IPv4-mapped IPv6 address counts as its IPv4 one). */
export function addressKind(address: string): AddressKind {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1] : address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(ip, family)) return 'loopback';
  if (RESERVED.check(ip, family)) return 'reserved';
  return 'public';
}

/** Why this URL may not be an endpoint, in words for its owner; undefined when it may. */
export function endpointUrlRefusal(raw: string, allowLocalUrls: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute URL such as https://example.com/webhooks';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url must be an https:// URL';
  if (url.username !== '' || url.password !== '')
    return 'url must not carry a user name or password; authenticate with the signature instead';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = isIP(host) !== 0;
  const kind: AddressKind = literal
    ? addressKind(host)
    : host === 'localhost' || host.endsWith('.localhost')
      ? 'loopback'
      : !host.includes('.') || LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix))
        ? 'reserved'
        : 'public';
  if (kind === 'reserved')
    return `url must name a public host: ${host} is a private, reserved or local-network address`;
  if (kind === 'loopback') {
    return allowLocalUrls
      ? undefined
      : `url must name a public host: ${host} is this machine (local URLs are allowed in development only)`;
  }
  if (url.protocol !== 'https:') return 'url must be an https:// URL (plain http only for local development)';
  return undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for outgoing connections that refuses names resolving to an address endpoints may not
 * use, so a public name that points inside (or is rebound to) the platform's network gets nowhere.
 */
export function guardedLookup(allowLocalUrls: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((address) => {
        const kind = addressKind(address.address);
        return kind === 'reserved' || (kind === 'loopback' && !allowLocalUrls);
      });
      if (refused) {
        const blocked: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${refused.address}, which endpoints may not use`,
        );
        blocked.code = 'EADDRNOTALLOWED';
        return callback(blocked, []);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
