// Exit and data rights: `GET /me/archive`, `GET /me/data-export`, `POST /me/delete`. Writes no
// table itself (accounts are erased through identity's IdentityService).
export { DataRightsModule } from './data-rights.module.js';
export { certificateFileName, POLICY_FILE } from './exit-archive.service.js';
