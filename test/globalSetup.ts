// Before any test file: the MediaPipe models, cut out of the @mediapipe/hands npm package and
// sha256-checked, into test/fixtures/models (git-ignored), where both runtimes read them.
import { ensureMediapipeModels, TEST_MODEL_DIR } from '../tools/models/mediapipe.ts';

export default function setup(): void {
  ensureMediapipeModels(TEST_MODEL_DIR);
}
