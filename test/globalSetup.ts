// Before any test file: the MediaPipe models, cut out of the @mediapipe/hands npm package and
// sha256-checked, into models/ (git-ignored; the package ships them), where both runtimes read them.
import { ensureMediapipeModels, MODEL_DIR } from '../tools/models/mediapipe.ts';

export default function setup(): void {
  ensureMediapipeModels(MODEL_DIR);
}
