// Writes src/metadata.ts: the @nestjs/swagger plugin's reading of every DTO (types, required
// fields, bounds from class-validator, doc comments). The app loads it at start, so the
// OpenAPI document is the same under `nest build` and under tests (swc runs no TS plugins).
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      pathToSource: join(root, 'src'),
    }),
  ],
  outputDir: join(root, 'src'),
  watch: false,
  tsconfigPath: 'tsconfig.build.json',
});
