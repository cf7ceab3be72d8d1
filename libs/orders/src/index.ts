// The orders table's one writer: its state machine (order-state.ts), the one statement that changes
// an order's status (order-moves.ts) and the few other writes of the table. Checkout (reserve, pay)
// and settlement (payment events) both move orders, so this sits below them both.
export {
  moveLockedOrder,
  moveOrder,
  moveOrders,
  ORDER_MOVE_PARAMS,
  orderMovesCte,
  orderMovesValues,
} from './order-moves.js';
export type { OrderMove, OrderMoveFields } from './order-moves.js';
export {
  assertOrderMove,
  canMoveOrder,
  HOLDING_STATUSES,
  IllegalOrderMoveError,
  nextStepOf,
  ORDER_TRANSITIONS,
  type NextStep,
  type OrderStatus,
} from './order-state.js';
export {
  findOrderByKey,
  insertReservedOrder,
  lockOrder,
  ORDER_COLUMN_NAMES,
  ORDER_COLUMNS,
  recordPaymentId,
  recordProcessingPaymentId,
  validOrderId,
  type NewOrder,
  type OrderRow,
} from './order.repository.js';
