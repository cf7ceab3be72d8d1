export { CollectionService, type CollectionView } from './collection.service.js';
export { MintService, type MintResult } from './mint.service.js';
export { MintingModule } from './minting.module.js';
export { TokenOwnershipReader } from './ownership-reader.js';
export {
  OwnershipService,
  type LockedTokenState,
  type OwnershipChange,
  type TokenOwnership,
} from './ownership.service.js';
export { TokenPricing } from './token-pricing.service.js';
