import * as tf from '@tensorflow/tfjs-core';
import { InvalidTargetError } from './errors.js';

/**
 * A target function, in the manner of pytorch-grad-cam's target classes: it gets the model's
 * output for one image (the batch axis removed, e.g. [classes], [h, w, classes] or [boxes, 4 + classes])
 * and returns the scalar score to explain. It is called inside tf.grad, so it must use tf ops
 * on `output` (differentiable ones) and return a tf.Scalar.
 */
export interface TargetFunction {
  (output: tf.Tensor): tf.Scalar;
  /** Shown in Explanations, warnings and errors; default the function's name. */
  readonly targetName?: string;
  /** The class the score belongs to, when there is one: the Explanation's `target` and label. */
  readonly classId?: number;
}

/** One explained target: a class id (the model output at that index) or a target function. */
export type Target = number | TargetFunction;

/** How targets are chosen: explicit class ids and/or target functions, or the k best classes of the prediction. */
export type TargetSpec = readonly Target[] | { readonly top: number };

/** The name of a target in messages and Explanations: 'class 3', or the function's name. */
export function targetName(target: Target): string {
  if (typeof target === 'number') return `class ${target}`;
  return target.targetName ?? (target.name !== '' ? target.name : 'target function');
}

const named = <T extends (output: tf.Tensor) => tf.Scalar>(fn: T, name: string, classId?: number): TargetFunction =>
  Object.assign(fn, { targetName: name, ...(classId !== undefined ? { classId } : {}) });

function checkIndex(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new InvalidTargetError(`${what} must be an integer ≥ 0; got ${value}.`);
}

function checkOutputRank(name: string, output: tf.Tensor, rank: number, shape: string): void {
  if (output.rank !== rank) {
    throw new InvalidTargetError(`${name} needs a model output of shape ${shape} per image; this model gives [${output.shape.join(', ')}].`);
  }
}

/**
 * The score of one class of a classifier, output[classId] (pytorch-grad-cam's
 * ClassifierOutputTarget). A plain class id means the same.
 */
export function classTarget(classId: number): TargetFunction {
  checkIndex('classTarget: the class id', classId);
  const name = `class ${classId}`;
  return named(
    (output) => {
      if (classId >= output.size) throw new InvalidTargetError(`${name} is out of range: the model output has ${output.size} values per image.`);
      return tf.squeeze(tf.slice(tf.reshape(output, [-1]), [classId], [1])) as tf.Scalar;
    },
    name,
    classId,
  );
}

/**
 * One output of a regression model: the output's value at `index` (flattened; default 0, the
 * single output of a Dense(1) head). The map shows what raised that value.
 */
export function regressionTarget(index = 0): TargetFunction {
  checkIndex('regressionTarget: the output index', index);
  const name = `output ${index}`;
  return named((output) => {
    if (index >= output.size) throw new InvalidTargetError(`regressionTarget(${index}) is out of range: the model output has ${output.size} values per image.`);
    return tf.squeeze(tf.slice(tf.reshape(output, [-1]), [index], [1])) as tf.Scalar;
  }, name);
}

/** A mask over a segmentation output's pixels: row-major values (1 = counted), `width × height` of them. */
export interface TargetMask {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

/**
 * A region of a segmentation output [h, w, classes] (channels last): Σ_ij output[i, j, category] ·
 * mask[i, j] — pytorch-grad-cam's SemanticSegmentationTarget. The mask has the output's size
 * (e.g. the pixels the model assigns to `category`, or a region drawn by hand).
 */
export function segmentationTarget(category: number, mask: TargetMask): TargetFunction {
  checkIndex('segmentationTarget: the category', category);
  if (mask.data.length !== mask.width * mask.height) {
    throw new InvalidTargetError(`segmentationTarget: the mask holds ${mask.data.length} values, not width × height = ${mask.width * mask.height}.`);
  }
  const weights = Float32Array.from(mask.data);
  const pixels = weights.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
  const name = `class ${category} over ${pixels} px`;
  return named(
    (output) => {
      checkOutputRank('segmentationTarget', output, 3, '[height, width, classes]');
      const [h, w, classes] = output.shape;
      if (h !== mask.height || w !== mask.width) {
        throw new InvalidTargetError(
          `segmentationTarget: the mask is ${mask.width}×${mask.height} but the output is ${w}×${h}; give a mask of the output's size.`,
        );
      }
      if (category >= classes) throw new InvalidTargetError(`segmentationTarget: category ${category} is out of range: the output has ${classes} classes.`);
      const plane = tf.reshape(tf.slice(output, [0, 0, category], [h, w, 1]), [h, w]);
      return tf.sum(tf.mul(plane, tf.tensor2d(weights, [h, w]))) as tf.Scalar;
    },
    name,
    category,
  );
}

/** Box coordinates as [x1, y1, x2, y2] ('xyxy'), [y1, x1, y2, x2] ('yxyx') or [cx, cy, w, h] ('cxcywh'). */
export type BoxFormat = 'xyxy' | 'yxyx' | 'cxcywh';

/** Options of detectionTarget. */
export interface DetectionTargetOptions {
  /** The reference boxes to explain, in `format`, in the units the model outputs. */
  readonly boxes: readonly (readonly [number, number, number, number])[];
  /** The class of each reference box (one id for all of them, or one per box). */
  readonly classIds: number | readonly number[];
  /** A predicted box matches a reference box when their IoU exceeds this (default 0.5). */
  readonly iouThreshold?: number;
  /** Coordinates of both the model's and the reference boxes (default 'xyxy'). */
  readonly format?: BoxFormat;
  /**
   * 'boxes-first' (default): the output is [boxes, 4 + classes], each row a box then its class
   * scores; 'attributes-first': [4 + classes, boxes] (YOLOv8's export).
   */
  readonly layout?: 'boxes-first' | 'attributes-first';
}

/** [x1, y1, x2, y2] columns of boxes [n, 4] given in `format`. */
function corners(boxes: tf.Tensor2D, format: BoxFormat): tf.Tensor2D[] {
  const [a, b, c, d] = tf.split(boxes, 4, 1) as tf.Tensor2D[];
  if (format === 'xyxy') return [a, b, c, d];
  if (format === 'yxyx') return [b, a, d, c];
  const halfW = tf.div(c, 2);
  const halfH = tf.div(d, 2);
  return [tf.sub(a, halfW), tf.sub(b, halfH), tf.add(a, halfW), tf.add(b, halfH)] as tf.Tensor2D[];
}

/**
 * One or more boxes of a detector (pytorch-grad-cam's FasterRCNNBoxScoreTarget): for each
 * reference box, the predicted box with the highest IoU; when that IoU exceeds `iouThreshold`,
 * it adds IoU + the predicted box's score for the reference box's class. The output per image is
 * a [boxes, 4 + classes] table (or its transpose, `layout: 'attributes-first'`).
 */
export function detectionTarget(options: DetectionTargetOptions): TargetFunction {
  const { boxes, iouThreshold = 0.5, format = 'xyxy', layout = 'boxes-first' } = options;
  if (boxes.length === 0 || !boxes.every((b) => b.length === 4 && b.every(Number.isFinite))) {
    throw new InvalidTargetError('detectionTarget: boxes must be a non-empty list of [4 finite numbers].');
  }
  const classIds = typeof options.classIds === 'number' ? boxes.map(() => options.classIds as number) : [...options.classIds];
  if (classIds.length !== boxes.length) throw new InvalidTargetError(`detectionTarget: ${boxes.length} boxes but ${classIds.length} class ids.`);
  for (const id of classIds) checkIndex('detectionTarget: a class id', id);
  if (!(iouThreshold >= 0 && iouThreshold < 1)) throw new InvalidTargetError(`detectionTarget: iouThreshold must be in [0, 1); got ${iouThreshold}.`);
  if (!['xyxy', 'yxyx', 'cxcywh'].includes(format))
    throw new InvalidTargetError(`detectionTarget: format must be 'xyxy', 'yxyx' or 'cxcywh'; got '${format}'.`);
  const name = `${boxes.length === 1 ? 'box' : `${boxes.length} boxes`} of class ${[...new Set(classIds)].join(', ')}`;
  return named(
    (output) => {
      checkOutputRank('detectionTarget', output, 2, layout === 'boxes-first' ? '[boxes, 4 + classes]' : '[4 + classes, boxes]');
      const table = (layout === 'attributes-first' ? tf.transpose(output) : output) as tf.Tensor2D;
      const classes = table.shape[1] - 4;
      for (const id of classIds) {
        if (id >= classes)
          throw new InvalidTargetError(`detectionTarget: class ${id} is out of range: the output has ${classes} classes after the 4 box coordinates.`);
      }
      const [px1, py1, px2, py2] = corners(tf.slice(table, [0, 0], [-1, 4]), format);
      const areaP = tf.mul(tf.relu(tf.sub(px2, px1)), tf.relu(tf.sub(py2, py1)));
      let total: tf.Tensor = tf.scalar(0);
      boxes.forEach((box, i) => {
        const [rx1, ry1, rx2, ry2] = corners(tf.tensor2d([[...box]], [1, 4]), format);
        const inter = tf.mul(tf.relu(tf.sub(tf.minimum(px2, rx2), tf.maximum(px1, rx1))), tf.relu(tf.sub(tf.minimum(py2, ry2), tf.maximum(py1, ry1))));
        const areaR = tf.mul(tf.relu(tf.sub(rx2, rx1)), tf.relu(tf.sub(ry2, ry1)));
        const iou = tf.reshape(tf.div(inter, tf.maximum(tf.sub(tf.add(areaP, areaR), inter), 1e-12)), [-1]);
        // The match is a choice, not a function to differentiate: read it, then score that box.
        const best = tf.argMax(iou).dataSync()[0];
        const bestIou = tf.slice(iou, [best], [1]);
        if (bestIou.dataSync()[0] > iouThreshold) total = tf.add(total, tf.add(bestIou, tf.reshape(tf.slice(table, [best, 4 + classIds[i]], [1, 1]), [1])));
      });
      return tf.reshape(total, []) as tf.Scalar;
    },
    name,
    new Set(classIds).size === 1 ? classIds[0] : undefined,
  );
}

/**
 * The score of each row of `outputs` [rows, …] for its target `rowTargets[r]` → [rows]: a class
 * id reads output[r, id]; a target function gets row r without the batch axis.
 */
export function targetScores(outputs: tf.Tensor, rowTargets: readonly Target[]): tf.Tensor1D {
  return tf.tidy(() => {
    const rows = outputs.shape[0];
    if (rowTargets.length !== rows) throw new InvalidTargetError(`${rowTargets.length} targets for ${rows} output rows.`);
    if (rowTargets.every((t) => typeof t === 'number') && outputs.rank === 2) {
      const classes = outputs.shape[1] as number;
      const mask = new Float32Array(rows * classes);
      rowTargets.forEach((t, r) => {
        mask[r * classes + (t as number)] = 1;
      });
      return tf.sum(tf.mul(outputs, tf.tensor2d(mask, [rows, classes])), 1) as tf.Tensor1D;
    }
    const scores = rowTargets.map((t, r) => {
      const row = tf.squeeze(tf.slice(outputs, r, 1), [0]);
      const score = typeof t === 'number' ? classTarget(t)(row) : t(row);
      if (!(score instanceof tf.Tensor) || score.size !== 1) {
        throw new InvalidTargetError(
          `The target function '${targetName(t)}' must return a scalar tf.Tensor; it returned ${score instanceof tf.Tensor ? `shape [${score.shape.join(', ')}]` : typeof score}.`,
        );
      }
      return tf.reshape(score, []);
    });
    return tf.stack(scores) as tf.Tensor1D;
  });
}

/** Every target's score for every row of `outputs` [n, …] → [n, targets] (the model-running methods' scores). */
export function scoreEachTarget(outputs: tf.Tensor, targets: readonly Target[]): tf.Tensor2D {
  return tf.tidy(() => {
    const n = outputs.shape[0];
    if (outputs.rank === 2 && targets.every((t) => typeof t === 'number')) return tf.gather(outputs, targets as number[], 1) as tf.Tensor2D;
    const rowTargets = targets.flatMap((t) => Array.from({ length: n }, () => t)); // target-major
    const tiled = tf.tile(outputs, [targets.length, ...outputs.shape.slice(1).map(() => 1)]);
    return tf.transpose(tf.reshape(targetScores(tiled, rowTargets), [targets.length, n])) as tf.Tensor2D;
  });
}
