// Expanders by name, as pattern files refer to them (`expander:`).
import type { Expander } from './common.js';
import { expandSchemaPrivileges } from './schema-privileges.js';

export const EXPANDERS: Record<string, Expander> = {
  'schema-privileges': expandSchemaPrivileges,
};
