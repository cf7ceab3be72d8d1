export { identityEntities, type Role, ROLES } from './identity.entities.js';
export { IdentityModule } from './identity.module.js';
export { IdentityService, type AccountView } from './identity.service.js';
export {
  assertOwnerOrOperator,
  CurrentPrincipal,
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
