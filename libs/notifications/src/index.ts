// In-app notifications: the only lib that writes `notifications`. Other libs tell an account about
// something in the transaction that made it happen, through `notify`.
export { NotificationsModule } from './notifications.module.js';
export {
  NOTIFICATION_KINDS,
  forgetNotifications,
  notify,
  tokenNotice,
  type Notice,
  type NotificationData,
  type NotificationKind,
} from './notifications.js';
