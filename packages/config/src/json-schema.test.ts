import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { environmentJsonSchema } from './json-schema';

test('GIVEN the zod schema WHEN rendered as JSON Schema THEN envs/environment.schema.json is up to date (regenerate it when this fails)', () => {
  const file = path.resolve(__dirname, '..', '..', '..', 'envs', 'environment.schema.json');
  // Regenerate: npx tsx -e "import {environmentJsonSchema} from './packages/config/src'; process.stdout.write(JSON.stringify(environmentJsonSchema(), null, 2) + '\n')" > envs/environment.schema.json
  expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
});
