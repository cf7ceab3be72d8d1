export { ConfigError, HeirloomConfig, loadConfig, type WebhookSettings } from './config.js';
export { ConfigModule } from './config.module.js';
