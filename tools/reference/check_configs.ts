/**
 * The random-configuration property test, longer: runs the engine (Node, Dawn) on every folder
 * of a set written by make_config_fixtures.py and compares each output with PyTorch's, exactly as
 * test/model/hiuConfigs.cases.ts does for the committed dozen.
 *   /usr/bin/python3 tools/reference/make_config_fixtures.py --count 40 --seed 7 --out /tmp/cfgs
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx tools/reference/check_configs.ts /tmp/cfgs
 * Exit status 1 when any configuration differs or is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { setFixtureReader } from '../../test/fixtures.ts';
import { runHiuConfig } from '../../test/model/hiuConfigs.cases.ts';

async function main(): Promise<number> {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npx tsx tools/reference/check_configs.ts DIR   (DIR written by make_config_fixtures.py --out DIR)');
    return 2;
  }
  // The cases read fixture paths; here they resolve inside DIR.
  setFixtureReader(async (p) => new Uint8Array(readFileSync(join(root, p))));
  const names = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as string[];
  const engine = await Engine.create();
  let failed = 0;
  try {
    for (const name of names) {
      const t0 = performance.now();
      try {
        await runHiuConfig(engine, name);
        console.log(`${name} ok (${Math.round(performance.now() - t0)} ms)`);
      } catch (e) {
        failed++;
        console.log(`${name} FAILED: ${(e as Error).message}`);
      }
    }
  } finally {
    engine.dispose();
  }
  console.log(`${names.length - failed} of ${names.length} configurations match PyTorch`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
