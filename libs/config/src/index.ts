export { ConfigError, HeirloomConfig, loadConfig } from './config.js';
export { ConfigModule } from './config.module.js';
