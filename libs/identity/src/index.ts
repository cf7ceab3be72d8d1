export { AccountView } from './identity.dto.js';
export {
  CREATOR_STATUSES,
  type CreatorStatus,
  identityEntities,
  type Role,
  ROLES,
} from './identity.entities.js';
export { IdentityModule } from './identity.module.js';
export { IdentityService } from './identity.service.js';
export {
  assertOwnerOrOperator,
  CurrentPrincipal,
  FrozenMayCall,
  hasRole,
  OptionalPrincipal,
  type Principal,
  Public,
  Roles,
  routeAccess,
  type RouteAccess,
  SessionOnly,
} from './principal.js';
export { isValidResidentId } from './real-name.js';
