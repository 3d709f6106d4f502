#!/usr/bin/env node
/**
 * The `hiu` executable (package.json `bin`, compiled to dist/tools/convert/bin.js). Kept apart
 * from hiu.ts so that running it needs no "was I executed directly?" guess: npm starts it through
 * a symlink or a shim, whose name says nothing.
 */
import { findSwiftShaderIcd, hasRenderNode } from '../../src/platform/node.ts';
import { main } from './hiu.ts';

// Dawn finds no adapter on a Linux machine without a GPU unless Vulkan is pointed at a CPU driver;
// Chromium ships one (SwiftShader). The Vulkan loader reads this when Dawn creates its instance.
if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && !(await hasRenderNode())) {
  const icd = await findSwiftShaderIcd();
  if (icd) process.env.VK_ICD_FILENAMES = icd;
}

// Exit explicitly: Dawn's instance can keep the event loop alive after the work is done.
process.exit(await main(process.argv.slice(2)));
