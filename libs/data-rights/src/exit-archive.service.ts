import { PassThrough, type Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { strToU8, Zip, ZipDeflate } from 'fflate';
import { HeirloomConfig } from '#config';
import { HoldingsService } from '#custody';
import { DomainError } from '#http';
import { CertificateService } from '#ledger';
import { archiveReadme } from './archive-readme.js';

/** Holdings read per page, and certificates built at once within a page. */
const PAGE_SIZE = 100;
const CERTIFICATES_AT_ONCE = 4;
export const POLICY_FILE = 'heirloom.tlog-policy';

/** A token in the archive's manifest: the file proving it, or why there is none yet. */
interface ManifestToken {
  tokenId: string;
  name: string;
  collectionName: string;
  editionNumber: number;
  editionTotal: number;
  certificate: string | null;
  missing?: { code: string; detail: string };
}

/** The certificate file name, as the certificate route's download names it. */
export function certificateFileName(tokenId: string): string {
  return `certificates/heirloom-${tokenId.replace(/[^A-Za-z0-9._-]/g, '_')}.cert.json`;
}

/**
 * The exit archive: a zip (opens on any computer without extra tools) of the account's ownership
 * certificates, the platform's trust policy and a README on verifying them offline. Written page
 * by page into the response as it is read, so memory stays flat however many tokens are held.
 */
@Injectable()
export class ExitArchiveService {
  private readonly logger = new Logger(ExitArchiveService.name);

  constructor(
    private readonly config: HeirloomConfig,
    private readonly holdings: HoldingsService,
    private readonly certificates: CertificateService,
  ) {}

  /** The archive of what `accountId` holds, as a stream of zip bytes. */
  archive(accountId: string): Readable {
    const output = new PassThrough();
    const zip = new Zip((error, chunk, final) => {
      if (error) return void output.destroy(error);
      output.write(chunk);
      if (final) output.end();
    });
    this.fill(zip, output, accountId).catch((error: unknown) => {
      // Headers are sent by now: all that is left is to cut the download short.
      this.logger.error(`exit archive of ${accountId} failed: ${String(error)}`);
      zip.terminate();
      output.destroy(error as Error);
    });
    return output;
  }

  private async fill(zip: Zip, output: PassThrough, accountId: string): Promise<void> {
    const createdAt = new Date().toISOString();
    addFile(zip, POLICY_FILE, this.certificates.recommendedPolicy());
    const manifest: ManifestToken[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.holdings.list(accountId, { limit: PAGE_SIZE, cursor });
      for (let i = 0; i < page.items.length; i += CERTIFICATES_AT_ONCE) {
        const batch = page.items.slice(i, i + CERTIFICATES_AT_ONCE);
        const built = await Promise.all(batch.map((item) => this.certificateOf(item.tokenId)));
        batch.forEach((item, j) => {
          const { certificate, missing } = built[j]!;
          const file = certificate === undefined ? null : certificateFileName(item.tokenId);
          if (file !== null) addFile(zip, file, certificate!);
          manifest.push({
            tokenId: item.tokenId,
            name: item.name,
            collectionName: item.collectionName,
            editionNumber: item.editionNumber,
            editionTotal: item.editionTotal,
            certificate: file,
            ...(missing ? { missing } : {}),
          });
        });
        if (!(await drained(output))) return;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const missingCount = manifest.filter((token) => token.certificate === null).length;
    addFile(
      zip,
      'manifest.json',
      JSON.stringify(
        { origin: this.config.ledgerOrigin, createdAt, policy: POLICY_FILE, tokens: manifest },
        null,
        2,
      ),
    );
    addFile(
      zip,
      'README.txt',
      archiveReadme({
        origin: this.config.ledgerOrigin,
        createdAt,
        policyFile: POLICY_FILE,
        certificateCount: manifest.length - missingCount,
        missingCount,
      }),
    );
    zip.end();
  }

  /**
   * The certificate's bytes as the certificate route serves them (its JSON), or, for a token the
   * ledger cannot certify yet (too new for a co-signed checkpoint), why not.
   */
  private async certificateOf(
    tokenId: string,
  ): Promise<{ certificate?: string; missing?: { code: string; detail: string } }> {
    try {
      return { certificate: JSON.stringify(await this.certificates.certificate(tokenId)) };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { missing: { code: error.code, detail: error.message } };
    }
  }
}

function addFile(zip: Zip, name: string, text: string): void {
  const file = new ZipDeflate(name, { level: 6 });
  zip.add(file);
  file.push(strToU8(text), true);
}

/** Waits while the client is behind; false once the download was abandoned. */
async function drained(output: PassThrough): Promise<boolean> {
  if (output.destroyed) return false;
  if (output.writableNeedDrain) {
    await new Promise<void>((resolve) => {
      const done = () => {
        output.off('drain', done).off('close', done);
        resolve();
      };
      output.on('drain', done).on('close', done);
    });
  }
  return !output.destroyed;
}
