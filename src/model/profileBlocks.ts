/**
 * Profiler blocks for the hand graph (src/model/pipeline.ts buildHandGraph): maps layer names
 * such as `hiu.stack1.hm_dec.upsample0.conv1` to blocks for src/engine/profileReport.ts.
 *
 *   stem         hiu.stem.*
 *   encoder k    hiu.stack<k>.encoder.*
 *   decoder k    hiu.stack<k>.{hm,pof,mask}_dec.* except the prediction heads
 *                (split by task as `decoder k hm` etc. with `splitTasks`)
 *   TAM k        hiu.stack<k>.tam.*
 *   heads        hiu.stack<k>.*_dec.predict.*, hiu.maskProb, hiu.keypoints
 *   regressor    hiu.regressor.*
 *   MANO         mano.*
 */
import type { BlockRule } from '../engine/profileReport.ts';
import type { HiuConfig } from '../weights/config.ts';

export interface HiuBlockOptions {
  /** Split each stack's decoders into one block per task (hm, pof, mask). */
  splitTasks?: boolean;
  /** Scope of the network's layers ('hiu' in buildHandGraph; '' for a bare buildHiuGraph). */
  scope?: string;
  /** Scope of the MANO layers (default 'mano'). */
  manoScope?: string;
}

const TASKS = ['hm', 'pof', 'mask'] as const;

export function hiuProfileBlocks(config: Pick<HiuConfig, 'stacks'>, opts: HiuBlockOptions = {}): BlockRule[] {
  const scope = opts.scope ?? 'hiu';
  const p = scope ? `${scope}.` : '';
  const mano = `${opts.manoScope ?? 'mano'}.`;
  const rules: BlockRule[] = [
    { name: 'stem', prefix: `${p}stem.` },
    {
      name: 'heads',
      match: (l) => l === `${p}maskProb` || l === `${p}keypoints` || (l.startsWith(`${p}stack`) && /_dec\.predict\./.test(l.slice(p.length))),
    },
  ];
  for (let k = 0; k < config.stacks; k++) {
    const s = `${p}stack${k}.`;
    rules.push({ name: `encoder ${k}`, prefix: `${s}encoder.` });
    if (opts.splitTasks) for (const t of TASKS) rules.push({ name: `decoder ${k} ${t}`, prefix: `${s}${t}_dec.` });
    else rules.push({ name: `decoder ${k}`, prefix: TASKS.map((t) => `${s}${t}_dec.`) });
    rules.push({ name: `TAM ${k}`, prefix: `${s}tam.` });
  }
  rules.push({ name: 'regressor', prefix: `${p}regressor.` });
  rules.push({ name: 'MANO', prefix: mano });
  return rules;
}
