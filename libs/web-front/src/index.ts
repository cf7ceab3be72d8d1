// The web front (apps/web, built by Vite into dist/web), served by the API from the same origin.
export { registerWebFront, WEB_FRONT_PATHS } from './web-front.js';
