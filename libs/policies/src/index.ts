// Platform policies operators set at run time: the only lib that writes `platform_policies`.
export { PoliciesModule } from './policies.module.js';
export { PLATFORM_REAL_NAME_SQL, PolicyService, type PlatformPolicy } from './policies.js';
