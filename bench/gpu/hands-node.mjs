// The trained hand pipeline on a real GPU through Dawn in Node, as an installed package runs it:
// per-frame ms in image and video mode, full and lite, with and without the mesh, on the three
// bundled photos (decoded with jpeg-js, uploaded once as textures). Prints a markdown table.
// usage: node hands-node.mjs PHOTO_DIR [--frames N]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { createHandEstimator } from 'hiu-webgpu';

const dir = process.argv[2];
const frames = Number(process.argv[process.argv.indexOf('--frames') + 1] || 60);
const PHOTOS = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'];
const decoded = PHOTOS.map((p) => jpeg.decode(readFileSync(join(dir, p)), { useTArray: true }));
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const f1 = (x) => (x == null ? '-' : x.toFixed(x < 10 ? 2 : 1));

const rows = [];
let adapter = '';
for (const [model, mesh, mode] of [
  ['lite', false, 'image'], ['full', false, 'image'], ['full', true, 'image'],
  ['lite', false, 'video'], ['full', false, 'video'], ['full', true, 'video'],
]) {
  const t0 = performance.now();
  const est = await createHandEstimator({ model, numHands: 1, runningMode: mode, ...(mesh ? {} : { mesh: false }) });
  const create = performance.now() - t0;
  adapter = `${est.info.adapter.vendor} ${est.info.adapter.architecture} ${est.info.adapter.description}`.trim();
  const tex = decoded.map((d) => {
    const t = est.device.createTexture({ size: [d.width, d.height], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
    est.device.queue.writeTexture({ texture: t }, d.data, { bytesPerRow: 4 * d.width }, [d.width, d.height]);
    return t;
  });
  let ts = 0;
  const call = (i) => est.estimateHands(tex[mode === 'video' ? Math.floor(i / 20) % 3 : i % 3], mode === 'video' ? { timestamp: (ts += 33) } : undefined);
  const t1 = performance.now();
  await call(0);
  const first = performance.now() - t1;
  const ms = [], palm = [], lm = [], fit = [];
  let found = 0, palmRuns = 0;
  for (let i = 1; i <= frames; i++) {
    const s = performance.now();
    const hands = await call(i);
    ms.push(performance.now() - s);
    found += hands.length;
    const t = est.lastTimings;
    if (t.palm != null) (palm.push(t.palm), palmRuns++);
    lm.push(t.landmark);
    fit.push(t.mesh);
  }
  rows.push(`| ${model}${mesh ? ' + mesh' : ''} | ${mode} | ${f1(create)} | ${f1(first)} | **${f1(med(ms))}** | ${f1(Math.min(...ms))} - ${f1(Math.max(...ms))} | ${(1000 / med(ms)).toFixed(0)} | ${palm.length ? f1(med(palm)) : '-'} (${palmRuns}/${frames}) | ${f1(med(lm))} | ${f1(med(fit))} | ${(found / frames).toFixed(2)} |`);
  for (const t of tex) t.destroy();
  await est.dispose();
  console.error(rows.at(-1));
}
console.log(`Adapter: ${adapter}; ${frames} steady frames per row after the first; CPU wall-clock per call, results read back.\n`);
console.log('| model | mode | create ms | first frame ms | steady median ms | min - max | fps | palm ms (frames it ran) | landmark ms | mesh ms | hands per frame |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
