/**
 * The public API is what src/index.ts exports. This snapshot makes any change
 * to it show up in review (update with `npx vitest run test/public-api.test.ts -u`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });

  it('reports the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(api.VCZDEPOT_VERSION).toBe(pkg.version);
  });
});
