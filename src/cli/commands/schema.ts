// pgrant schema [--catalog DIR]: the JSON Schema of plan files (committed as schema/plan.schema.json);
// with --catalog, the team's patterns are in it too, so editors complete and check them.
import { catalogDirs, withCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'print the JSON Schema of plan files (for editors: # yaml-language-server: $schema=…); --catalog adds team patterns',
  builder: (y) => withCatalogOption(y),
  async run(args, io) {
    const { planJsonSchema } = await import('../../plan/json-schema.js');
    const { loadCatalog } = await import('../../catalog/catalog.js');
    const { loadTeamCatalogFolders } = await import('../../catalog/team.js');
    const { diskFiles } = await import('../../plan/files.js');
    const team = loadTeamCatalogFolders(catalogDirs(args), diskFiles, loadCatalog());
    io.out(JSON.stringify(planJsonSchema([...team.values()]), null, 2));
    return 0;
  },
};
