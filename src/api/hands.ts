/**
 * What both estimator families return and share (README "Embed it"): MediaPipe's trained palm
 * and landmark models (createHandEstimator() with no weights) and HIU-DMTL (with `weights`).
 */
import type { Profile } from '../engine/index.ts';
import type { ProfileOptions } from '../engine/executor.ts';
import type { HandMesh } from '../model/handMesh.ts';
import type { HandImageSource } from './sources.ts';
import type { EstimatorStats, HandEstimate } from './types.ts';
import type { CreationTimings } from './creation.ts';

export type { HandMesh };

/** MediaPipe's 21 hand landmarks, in its order (0 wrist, 1-4 thumb, 5-8 index, 9-12 middle, 13-16 ring, 17-20 pinky). */
export const HAND_KEYPOINT_NAMES = [
  'wrist', 'thumb_cmc', 'thumb_mcp', 'thumb_ip', 'thumb_tip', 'index_mcp', 'index_pip', 'index_dip', 'index_tip',
  'middle_mcp', 'middle_pip', 'middle_dip', 'middle_tip', 'ring_mcp', 'ring_pip', 'ring_dip', 'ring_tip',
  'pinky_mcp', 'pinky_pip', 'pinky_dip', 'pinky_tip',
] as const;
export type HandKeypointName = (typeof HAND_KEYPOINT_NAMES)[number];

export interface Point3D {
  x: number;
  y: number;
  z: number;
}

export interface HandKeypoint extends Point3D {
  name: HandKeypointName;
}

/** A rotated rectangle in image pixels: centre, size, rotation in radians (clockwise on screen, y down). */
export interface RotatedBox {
  cx: number;
  cy: number;
  width: number;
  height: number;
  rotation: number;
}

/** One hand found in an image. */
export interface Hand {
  /** 21 keypoints in image pixels (x right, y down); z is depth relative to the wrist at the scale of x (0 for HIU-DMTL). */
  keypoints: HandKeypoint[];
  /** As MediaPipe reports them: x / width, y / height, z / width. */
  normalized: Point3D[];
  /** 21 points in metres, camera-aligned axes (MediaPipe: origin near the hand's centre; HIU-DMTL: MANO's joints). */
  world: Point3D[];
  /**
   * Which hand, for the image as given (not mirrored): a right hand in an unmirrored photo is
   * 'Right', as MediaPipe Tasks reports it. A selfie camera shows the mirror image: flip the label
   * if you mirror the video for display. HIU-DMTL: the hand you named, score 1.
   */
  handedness: { label: 'Left' | 'Right'; score: number };
  /** Hand presence score of the landmark model (HIU-DMTL: mean heat-map peak). */
  presence: number;
  /** The square the landmark network saw, in image pixels. */
  box: RotatedBox;
  /** The hand model fitted to this hand (null when meshes are off or no model of that side). */
  mesh: HandMesh | null;
  /** Video mode with smoothing: this frame's unsmoothed keypoints (`keypoints` are smoothed). */
  raw?: HandKeypoint[];
  /** HIU-DMTL only: everything the network gives (heat maps, mask, POF, MANO coefficients...). */
  hiu?: HandEstimate;
  /**
   * Null when every number of this hand is finite. Otherwise the hand is garbage (weights or an
   * input that overflow float32): this names the outputs holding NaN or infinity. Such a hand is
   * returned, not thrown, so that it can be looked at; do not use its numbers. Checked on values
   * already read back (no extra GPU work).
   */
  nonFinite: string | null;
}

export interface EstimateHandsOptions {
  /** Video mode: the frame's time in milliseconds, increasing (default performance.now()). Not allowed in image mode. */
  timestamp?: number;
  /** HIU-DMTL without a detector: which hand the centred crop shows (default 'left'). */
  hand?: 'left' | 'right';
}

/** Milliseconds of the last estimateHands() call, CPU wall-clock with the GPU work awaited. */
export interface HandTimings {
  /** Image to the GPU (copy or upload). */
  upload: number;
  /** Palm detection; null when video tracking skipped it. HIU-DMTL: its detector, or null without one. */
  palm: number | null;
  /** The landmark network for all hands (HIU-DMTL: the network and MANO). */
  landmark: number;
  /** Hand model fit and skinning (0 when meshes are off). */
  mesh: number;
  total: number;
}

/**
 * The interface both families share.
 *
 * Device loss (driver reset, `device.destroy()`, a GPU process crash): every call then rejects
 * with DeviceLostError ("... create a new estimator with createHandEstimator()"), including
 * calls already queued; results computed while the device died are never returned. Recover by
 * calling dispose() (it still resolves) and creating a new estimator, which requests a new
 * device (if you passed your own `device`, pass a new one).
 */
export interface HandsEstimator {
  readonly family: 'mediapipe' | 'hiu-dmtl';
  readonly device: GPUDevice;
  readonly isDisposed: boolean;
  /** Stage times of the last estimateHands(). */
  readonly lastTimings: HandTimings;
  /** Every hand in the image (at most numHands / maxHands), best first. Calls are queued, never interleaved. */
  estimateHands(source: HandImageSource, options?: EstimateHandsOptions): Promise<Hand[]>;
  /** Per-layer GPU times of the networks on the last image. */
  profile(opts?: ProfileOptions): Promise<Profile>;
  stats(): EstimatorStats;
  /** Where creation spent its time (device, fetch, parse, upload, compile), pipelines per graph, and the first inference's time once it ran. */
  readonly creation: CreationTimings;
  dispose(): Promise<void>;
}
