/**
 * The package's own assets/ folder. This module runs from tools/convert (tsx) and, once
 * installed, from dist/tools/convert, so the way up to the package root is found, not assumed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageAsset(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'assets', name);
}
