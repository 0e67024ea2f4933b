// Expanders by name, as pattern files refer to them (`expander:`).
import type { Expander } from './common.js';
import { expandDatabase } from './database.js';
import { expandDropRole } from './drop-role.js';
import { expandProject } from './project.js';
import { expandRoles } from './roles.js';
import { expandRowLevelSecurity } from './row-level-security.js';
import { expandSchemaPrivileges } from './schema-privileges.js';
import { expandTeamHierarchy } from './team-hierarchy.js';

export const EXPANDERS: Record<string, Expander> = {
  'schema-privileges': expandSchemaPrivileges,
  'team-hierarchy': expandTeamHierarchy,
  project: expandProject,
  database: expandDatabase,
  'row-level-security': expandRowLevelSecurity,
  'drop-role': expandDropRole,
  roles: expandRoles,
};
