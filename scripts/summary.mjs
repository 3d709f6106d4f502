// Reads vitest's JSON report, prints kernel cases per runtime, and fails if a runtime ran none.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const count = { node: { passed: 0, failed: 0 }, chromium: { passed: 0, failed: 0 }, other: { passed: 0, failed: 0 } };
let passed = 0;
let failed = 0;
for (const file of report.testResults ?? []) {
  const kernelFile = /test\/kernels\//.test(file.name);
  for (const a of file.assertionResults ?? []) {
    const rt = kernelFile && a.title.startsWith('node: ') ? 'node' : kernelFile && a.title.startsWith('chromium: ') ? 'chromium' : 'other';
    const ok = a.status === 'passed';
    if (a.status === 'passed' || a.status === 'failed') {
      count[rt][ok ? 'passed' : 'failed']++;
      ok ? passed++ : failed++;
    }
  }
}
console.log('\nkernel cases by runtime');
console.log(`  node (Dawn)        ${count.node.passed} passed, ${count.node.failed} failed`);
console.log(`  chromium (browser) ${count.chromium.passed} passed, ${count.chromium.failed} failed`);
console.log(`  other tests        ${count.other.passed} passed, ${count.other.failed} failed`);
let bad = failed > 0;
for (const rt of ['node', 'chromium']) {
  if (count[rt].passed === 0) {
    console.log(`ERROR: no kernel case passed in ${rt}`);
    bad = true;
  }
}
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(bad ? 1 : 0);
