// The operator action trail: who did what to which token, account or order, when and why. The
// only lib that writes `operator_actions`; every operator act records itself here, in its own
// transaction, through `recordOperatorAction`.
export { OperatorActionView } from './operator-trail.dto.js';
export { OperatorTrailModule } from './operator-trail.module.js';
export {
  OPERATOR_ACTIONS,
  OperatorTrail,
  recordOperatorAction,
  type OperatorAction,
  type OperatorActionKind,
} from './operator-trail.js';
