/**
 * MediaPipe's hand landmark model, the CPU side: the rotated hand region (from a palm or from the
 * previous frame's landmarks), the crop affine, landmark projection and handedness. Pure math.
 * Sources (github.com/google-ai-edge/mediapipe), restated in our words:
 * - mediapipe/modules/hand_landmark/palm_detection_detection_to_roi.pbtxt and
 *   hand_landmark_landmarks_to_roi.pbtxt (the options), mediapipe/tasks/cc/vision/hand_detector/
 *   hand_detector_graph.cc and hand_landmarker/hand_landmarks_detector_graph.cc (HandLandmarker);
 * - mediapipe/calculators/util/detections_to_rects_calculator.cc, rect_transformation_calculator.cc,
 *   mediapipe/modules/hand_landmark/calculators/hand_landmarks_to_rect_calculator.cc;
 * - mediapipe/calculators/tensor/image_to_tensor_utils.cc (crop matrix, PadRoi),
 *   tensors_to_landmarks_calculator.cc, mediapipe/calculators/util/landmark_letterbox_removal_calculator.cc,
 *   landmark_projection_calculator.cc, world_landmark_projection_calculator.cc.
 * MediaPipe works on rects normalised by the image size and converts to pixels inside each step;
 * every step is the same as doing it in pixels, which we do. Image axes: x right, y down; a
 * rotation r turns the crop clockwise on screen by r, and r = 0 means fingers up.
 */
import type { PalmDetection, Point2 } from './palm.ts';

/** A rotated rectangle in image pixels: centre, size, rotation (radians, in [-pi, pi)). */
export interface HandRegion {
  cx: number;
  cy: number;
  w: number;
  h: number;
  rotation: number;
}

/** x = m[0] u + m[1] v + m[2], y = m[3] u + m[4] v + m[5]. */
export type Affine2x3 = [number, number, number, number, number, number];

/** NormalizeRadians in the calculators: into [-pi, pi). */
export function normalizeRadians(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}

/** Rotation that turns the vector from -> to (image pixels) into targetAngle (counter-clockwise from +x, y up). */
export function rotationToTarget(from: Point2, to: Point2, targetAngle: number): number {
  return normalizeRadians(targetAngle - Math.atan2(-(to.y - from.y), to.x - from.x));
}

export interface RectTransform {
  scaleX: number;
  scaleY: number;
  /** Shifts in units of the rect's own width / height, along its rotated axes. */
  shiftX: number;
  shiftY: number;
  squareLong: boolean;
}

/** palm_detection_detection_to_roi.pbtxt (and hand_detector_graph.cc): palm box -> whole hand. */
export const PALM_TO_HAND: RectTransform = { scaleX: 2.6, scaleY: 2.6, shiftX: 0, shiftY: -0.5, squareLong: true };
/** hand_landmark_landmarks_to_roi.pbtxt (and hand_landmarks_detector_graph.cc): landmarks -> next frame. */
export const LANDMARKS_TO_NEXT: RectTransform = { scaleX: 2.0, scaleY: 2.0, shiftX: 0, shiftY: -0.1, squareLong: true };

/** RectTransformationCalculator (no extra rotation): shift along the rotated axes, square to the long side, scale. */
export function transformRect(r: HandRegion, t: RectTransform): HandRegion {
  const c = Math.cos(r.rotation);
  const s = Math.sin(r.rotation);
  const dx = r.w * t.shiftX;
  const dy = r.h * t.shiftY;
  const side = Math.max(r.w, r.h);
  const w = t.squareLong ? side : r.w;
  const h = t.squareLong ? side : r.h;
  return { cx: r.cx + dx * c - dy * s, cy: r.cy + dx * s + dy * c, w: w * t.scaleX, h: h * t.scaleY, rotation: r.rotation };
}

/** Target angle of the wrist -> middle-MCP vector: rotation_vector_target_angle_degrees 90
 * (palm_detection_detection_to_roi.pbtxt, the graph @mediapipe/hands runs). */
export const PALM_TARGET_ANGLE = Math.PI / 2;
/** HandLandmarker's hand_detector_graph.cc sets the radians field rotation_vector_target_angle to 90,
 * i.e. 90 rad (= 2.0354 rad, 116.6 degrees, after normalising): pass it as targetAngle to match Tasks. */
export const TASKS_PALM_TARGET_ANGLE = 90;

/**
 * DetectionsToRectsCalculator (rect from the box, rotation from keypoint 0 to keypoint 2) then
 * RectTransformation PALM_TO_HAND. `det` is normalised to the image (after removeLetterbox).
 */
export function palmToHandRegion(det: PalmDetection, imageW: number, imageH: number, o: { targetAngle?: number } = {}): HandRegion {
  const px = (p: Point2) => ({ x: p.x * imageW, y: p.y * imageH });
  const { xmin, ymin, w, h } = det.box;
  const rotation = rotationToTarget(px(det.keypoints[0]), px(det.keypoints[2]), o.targetAngle ?? PALM_TARGET_ANGLE);
  const palm = { cx: (xmin + w / 2) * imageW, cy: (ymin + h / 2) * imageH, w: w * imageW, h: h * imageH, rotation };
  return transformRect(palm, PALM_TO_HAND);
}

/** The 12 landmarks HandLandmarksToRectCalculator uses (wrist, thumb CMC/MCP/IP, MCP and PIP of the four fingers). */
export const REGION_LANDMARKS = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18] as const;

/**
 * HandLandmarksToRectCalculator then RectTransformation LANDMARKS_TO_NEXT (video mode's next
 * region). Rotation: wrist (0) -> ((index MCP 5 + ring MCP 13) / 2 + middle MCP 9) / 2, target
 * 90 degrees (the source names them PIP joints, but they index the 12-point subset: 4, 6, 8 =
 * landmarks 5, 9, 13). Extent: bounding box of REGION_LANDMARKS in the rotated frame, about the
 * axis-aligned box's centre. `landmarks`: the 21 points in image pixels. (No image size needed:
 * MediaPipe's normalised form equals this pixel form.)
 */
export function landmarksToRegion(landmarks: readonly Point2[]): HandRegion {
  if (landmarks.length !== 21) throw new Error(`landmarksToRegion: ${landmarks.length} landmarks, want 21`);
  const pts = REGION_LANDMARKS.map((i) => landmarks[i]);
  const [i5, i9, i13] = [landmarks[5], landmarks[9], landmarks[13]];
  const end = { x: ((i5.x + i13.x) / 2 + i9.x) / 2, y: ((i5.y + i13.y) / 2 + i9.y) / 2 };
  const rotation = rotationToTarget(landmarks[0], end, Math.PI / 2);
  const ax = (Math.min(...pts.map((p) => p.x)) + Math.max(...pts.map((p) => p.x))) / 2;
  const ay = (Math.min(...pts.map((p) => p.y)) + Math.max(...pts.map((p) => p.y))) / 2;
  const back = normalizeRadians(-rotation);
  const [cb, sb] = [Math.cos(back), Math.sin(back)];
  const rx = pts.map((p) => (p.x - ax) * cb - (p.y - ay) * sb);
  const ry = pts.map((p) => (p.x - ax) * sb + (p.y - ay) * cb);
  const [x0, x1, y0, y1] = [Math.min(...rx), Math.max(...rx), Math.min(...ry), Math.max(...ry)];
  const [mx, my] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const [c, s] = [Math.cos(rotation), Math.sin(rotation)];
  const rect = { cx: ax + mx * c - my * s, cy: ay + mx * s + my * c, w: x1 - x0, h: y1 - y0, rotation };
  return transformRect(rect, LANDMARKS_TO_NEXT);
}

export const LANDMARK_INPUT_SIZE = 224;

/**
 * The crop the landmark model sees: ImageToTensorCalculator with keep_aspect_ratio pads the region
 * to the tensor's aspect (square: side max(w, h), same centre and rotation), then maps it edge to
 * edge onto the crop. `toImage` takes continuous crop coordinates (u, v) in [0, cropSize] (crop
 * pixel k spans [k, k + 1]; its centre is k + 0.5) to image pixels; `toCrop` is its inverse.
 * This is the map MediaPipe's landmark letterbox removal + projection apply to the model's output.
 */
export function regionTransform(rect: HandRegion, cropSize = LANDMARK_INPUT_SIZE): { toImage: Affine2x3; toCrop: Affine2x3; side: number } {
  const side = Math.max(rect.w, rect.h);
  const k = side / cropSize;
  const c = Math.cos(rect.rotation);
  const s = Math.sin(rect.rotation);
  const half = side / 2;
  const toImage: Affine2x3 = [c * k, -s * k, rect.cx - half * c + half * s, s * k, c * k, rect.cy - half * s - half * c];
  return { toImage, toCrop: invertAffine(toImage), side };
}

export function invertAffine(m: Affine2x3): Affine2x3 {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!(det !== 0 && Number.isFinite(det))) throw new Error(`invertAffine: singular matrix [${m}]`);
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

export function applyAffine(m: Affine2x3, x: number, y: number): Point2 {
  return { x: m[0] * x + m[1] * y + m[2], y: m[3] * x + m[4] * y + m[5] };
}

export interface Point3 {
  x: number;
  y: number;
  z: number;
}

/** normalize_z in hand_landmark_cpu.pbtxt and kLandmarksNormalizeZ in hand_landmarks_detector_graph.cc. */
export const LANDMARK_Z_NORMALIZE = 0.4;

/**
 * The landmark model's `Identity` [63] (x, y in crop pixels, z) -> 21 points. `image`: x, y in
 * image pixels, z in pixels too (raw z / cropSize / 0.4 x padded region side: TensorsToLandmarks
 * divides z by the crop width and normalize_z, projection scales it like x). `normalized`: what
 * HandLandmarker reports: x / W, y / H, z / W.
 */
export function projectLandmarks(raw63: ArrayLike<number>, rect: HandRegion, imageW: number, imageH: number, cropSize = LANDMARK_INPUT_SIZE): { image: Point3[]; normalized: Point3[] } {
  if (raw63.length !== 63) throw new Error(`projectLandmarks: ${raw63.length} values, want 63`);
  const { toImage, side } = regionTransform(rect, cropSize);
  const zScale = side / cropSize / LANDMARK_Z_NORMALIZE;
  const image: Point3[] = [];
  for (let i = 0; i < 21; i++) {
    const p = applyAffine(toImage, raw63[3 * i], raw63[3 * i + 1]);
    image.push({ x: p.x, y: p.y, z: raw63[3 * i + 2] * zScale });
  }
  return { image, normalized: image.map((p) => ({ x: p.x / imageW, y: p.y / imageH, z: p.z / imageW })) };
}

/** WorldLandmarkProjectionCalculator: `Identity_3` [63] (metres) with x, y rotated by the region's rotation. */
export function projectWorldLandmarks(raw63: ArrayLike<number>, rect: HandRegion): Point3[] {
  if (raw63.length !== 63) throw new Error(`projectWorldLandmarks: ${raw63.length} values, want 63`);
  const c = Math.cos(rect.rotation);
  const s = Math.sin(rect.rotation);
  const out: Point3[] = [];
  for (let i = 0; i < 21; i++) {
    const [x, y, z] = [raw63[3 * i], raw63[3 * i + 1], raw63[3 * i + 2]];
    out.push({ x: c * x - s * y, y: s * x + c * y, z });
  }
  return out;
}

/** Hand presence: `Identity_1` is already a probability (the model ends in LOGISTIC; TensorsToFloats
 * applies none); ThresholdingCalculator accepts score > threshold (0.5 in hand_landmark_cpu.pbtxt). */
export function handPresent(presence: number, threshold = 0.5): boolean {
  return presence > threshold;
}

/**
 * `Identity_2` (a probability, the model ends in LOGISTIC) -> HandLandmarker's label.
 * HandLandmarker (hand_landmarks_detector_graph.cc, ConfigureTensorsToHandednessCalculator)
 * labels the raw score "Right" and 1 - score "Left" (binary_classification, top_k 1), and reports
 * handedness for the image as given: MediaPipe commit ed0c8d8 ("Swap left and right hand labels",
 * 2023-08-16) swapped the Tasks labels and test images; the legacy solution (handedness.txt:
 * index 0 "Left") assumed a mirrored selfie image. So a right hand in an unmirrored photo is
 * "Right". The score is that of the chosen label; a tie (0.5) stays "Right", the first entry.
 */
export function handednessLabel(score: number): { label: 'Left' | 'Right'; score: number } {
  return score >= 1 - score ? { label: 'Right', score } : { label: 'Left', score: 1 - score };
}
