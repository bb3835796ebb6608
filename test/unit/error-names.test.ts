// Error names are written out in each class (bundles are built without keepNames, and minified
// bundles rename classes): every exported error class must name itself.
import { describe, expect, it } from 'vitest';
import * as engine from '../../shaders/index.js';
import * as bundle from '../../renderer/session/bundle.js';
import * as safetensors from '../../shaders/model/safetensors.js';

type Ctor = new (...args: never[]) => Error;

function errorClasses(mod: Record<string, unknown>): Array<[string, Ctor]> {
  return Object.entries(mod).filter((e): e is [string, Ctor] => typeof e[1] === 'function' && (e[1] as { prototype?: unknown }).prototype instanceof Error);
}

describe('error names', () => {
  const classes = [...errorClasses(engine), ...errorClasses(bundle), ...errorClasses(safetensors)];
  it('finds the error classes', () => {
    expect(classes.map(([n]) => n)).toEqual(expect.arrayContaining(['ReglaError', 'ShapeError', 'ModelFolderError', 'SafetensorsTruncatedError', 'BundleVersionError']));
  });
  it.each(classes)('%s names itself', (exported, C) => {
    const e = new (C as unknown as new (...a: unknown[]) => Error)('a', 'b', 'c', 'd');
    expect(e.name).toBe(exported);
    expect(e).toBeInstanceOf(Error);
  });
});
