// pgrant schema: the JSON Schema of plan files (committed as schema/plan.schema.json).
import type { CommandModule } from '../main.js';

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'print the JSON Schema of plan files (for editors: # yaml-language-server: $schema=…)',
  builder: (y) => y,
  async run(_args, io) {
    const { planJsonSchema } = await import('../../plan/json-schema.js');
    io.out(JSON.stringify(planJsonSchema(), null, 2));
    return 0;
  },
};
