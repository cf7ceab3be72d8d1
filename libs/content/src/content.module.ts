import { join } from 'node:path';
import { Module, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { CONTENT_STORE, type ContentStore } from './content-store.js';
import { KuboContentStore } from './kubo-content-store.js';
import { LocalContentStore } from './local-content-store.js';
import { MediaController, MediaOperatorController } from './media.controller.js';
import { MediaService } from './media.service.js';

/** Kubo when IPFS_API_URL is set, otherwise the local CID-exact folder store. */
export function createContentStore(config: HeirloomConfig): ContentStore {
  if (config.ipfsApiUrl) return new KuboContentStore({ url: config.ipfsApiUrl });
  return new LocalContentStore(join(config.dataDir, 'content'));
}

@Module({
  controllers: [MediaController, MediaOperatorController],
  providers: [
    { provide: CONTENT_STORE, useFactory: createContentStore, inject: [HeirloomConfig] },
    MediaService,
  ],
  exports: [CONTENT_STORE, MediaService],
})
export class ContentModule implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly config: HeirloomConfig,
    private readonly media: MediaService,
  ) {}

  onModuleInit(): void {
    this.jobs.register('media-integrity', this.config.mediaIntegrityIntervalMs, async () => {
      await this.media.checkIntegrity();
    });
  }
}
