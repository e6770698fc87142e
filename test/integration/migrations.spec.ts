import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';

describe('migrations', () => {
  it('lists every migration file in migrations/index.ts, in order (tests load the list, the app the files)', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'migrations'))
      .filter((f) => /^\d+-.+\.ts$/.test(f))
      .sort();
    const listed = MIGRATIONS.map((m) => {
      const name = new m().name as string;
      return `${name.match(/\d+$/)![0]}-${name.replace(/\d+$/, '')}.ts`;
    });
    expect(listed).toEqual(files);
  });
});
