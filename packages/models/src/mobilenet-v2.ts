import { InvalidInputError } from '@gradcam/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { correctPad, kerasAutoNamer } from './keras-naming.js';

/** Where a builder's weights come from: ImageNet (official Keras file), none (random), or a .h5 path or URL. */
export type KerasWeights = 'imagenet' | null | string;

/** Options of mobileNetV2, as keras.applications.MobileNetV2 takes them (channels_last only). */
export interface MobileNetV2Options {
  /** Width multiplier; ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4. Default 1. */
  readonly alpha?: number;
  /** [rows, cols, 3]; default [224, 224, 3]. */
  readonly inputShape?: readonly [number, number, number];
  /** With the GlobalAveragePooling2D + Dense head. Default true. */
  readonly includeTop?: boolean;
  /** Output classes of the head. Default 1000. */
  readonly classes?: number;
  /** Without the head: 'avg' or 'max' global pooling, or none (4-D output). */
  readonly pooling?: 'avg' | 'max' | null;
  /** Activation of the head. Default 'softmax'. */
  readonly classifierActivation?: 'softmax' | 'linear' | null;
  /** Model name; default Keras' `mobilenetv2_{alpha:.2f}_{rows}` (rows of the input; see mobileNetV2Rows for ImageNet weights). */
  readonly name?: string;
}

/** The sizes for which Keras publishes MobileNetV2 ImageNet weights. */
export const MOBILENET_V2_SIZES: readonly number[] = [96, 128, 160, 192, 224];
/** The width multipliers for which Keras publishes MobileNetV2 ImageNet weights. */
export const MOBILENET_V2_ALPHAS: readonly number[] = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];

function makeDivisible(v: number, divisor: number): number {
  let out = Math.max(divisor, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** Python's `f"{alpha:0.2f}"` (round half to even on the binary value, like toFixed on these inputs). */
const alphaTag = (alpha: number) => alpha.toFixed(2);

/**
 * The rows of the ImageNet weight file (and then of the model name): the input rows when square
 * and one of 96…224, else 224 (Keras falls back to the 224 weights then, with a warning).
 */
export function mobileNetV2Rows(inputShape: readonly number[]): number {
  const [rows, cols] = inputShape;
  return rows === cols && MOBILENET_V2_SIZES.includes(rows) ? rows : 224;
}

/**
 * Builds MobileNetV2 exactly as keras.applications.MobileNetV2 (Keras 3.15) does: same layer
 * names, classes, output shapes and parameter counts, and the same model name. The weights are
 * random; `loadKerasWeights` (or mobileNetV2 in imagenet-models) sets them from a Keras .h5.
 */
export function buildMobileNetV2(options: MobileNetV2Options = {}): tfl.LayersModel {
  const alpha = options.alpha ?? 1.0;
  const inputShape = options.inputShape ?? [224, 224, 3];
  const includeTop = options.includeTop ?? true;
  if (inputShape.length !== 3 || inputShape[2] !== 3 || inputShape[0] < 32 || inputShape[1] < 32) {
    throw new InvalidInputError(`mobileNetV2: inputShape must be [rows, cols, 3] with rows, cols ≥ 32; got [${inputShape.join(', ')}].`);
  }
  const auto = kerasAutoNamer();
  const bn = (name: string) => tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name });
  const input = tfl.input({ shape: [...inputShape], name: auto('input_layer') });

  let x = tfl.layers
    .conv2d({ filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' })
    .apply(input) as tfl.SymbolicTensor;
  x = bn('bn_Conv1').apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(x) as tfl.SymbolicTensor;

  const block = (inputs: tfl.SymbolicTensor, expansion: number, stride: number, filters: number, blockId: number): tfl.SymbolicTensor => {
    const inChannels = inputs.shape[3] as number;
    const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
    let prefix = `block_${blockId}_`;
    let h = inputs;
    if (blockId) {
      h = tfl.layers
        .conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` })
        .apply(h) as tfl.SymbolicTensor;
      h = bn(`${prefix}expand_BN`).apply(h) as tfl.SymbolicTensor;
      h = tfl.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }).apply(h) as tfl.SymbolicTensor;
    } else {
      prefix = 'expanded_conv_';
    }
    if (stride === 2) {
      h = tfl.layers.zeroPadding2d({ padding: correctPad(h.shape[1], h.shape[2], 3), name: `${prefix}pad` }).apply(h) as tfl.SymbolicTensor;
    }
    h = tfl.layers
      .depthwiseConv2d({ kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` })
      .apply(h) as tfl.SymbolicTensor;
    h = bn(`${prefix}depthwise_BN`).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers
      .conv2d({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` })
      .apply(h) as tfl.SymbolicTensor;
    h = bn(`${prefix}project_BN`).apply(h) as tfl.SymbolicTensor;
    if (inChannels === pointwiseFilters && stride === 1) return tfl.layers.add({ name: `${prefix}add` }).apply([inputs, h]) as tfl.SymbolicTensor;
    return h;
  };

  // [filters, stride, expansion] per block, as in keras.applications.
  const blocks: [number, number, number][] = [
    [16, 1, 1],
    [24, 2, 6],
    [24, 1, 6],
    [32, 2, 6],
    [32, 1, 6],
    [32, 1, 6],
    [64, 2, 6],
    [64, 1, 6],
    [64, 1, 6],
    [64, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [160, 2, 6],
    [160, 1, 6],
    [160, 1, 6],
    [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], id) => {
    x = block(x, expansion, stride, filters, id);
  });

  const lastFilters = alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = tfl.layers.conv2d({ filters: lastFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x) as tfl.SymbolicTensor;
  x = bn('Conv_1_bn').apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x) as tfl.SymbolicTensor;
  x = head(x, auto, includeTop, options.classes ?? 1000, options.pooling ?? null, options.classifierActivation);
  const name = options.name ?? `mobilenetv2_${alphaTag(alpha)}_${inputShape[0]}`;
  return tfl.model({ inputs: input, outputs: x, name });
}

/** The head keras.applications puts on its CNNs: GAP + Dense(classes), or optional pooling. */
export function head(
  x: tfl.SymbolicTensor,
  auto: (prefix: string) => string,
  includeTop: boolean,
  classes: number,
  pooling: 'avg' | 'max' | null,
  classifierActivation: 'softmax' | 'linear' | null | undefined,
): tfl.SymbolicTensor {
  if (includeTop) {
    const gap = tfl.layers.globalAveragePooling2d({ name: auto('global_average_pooling2d') }).apply(x) as tfl.SymbolicTensor;
    const activation = classifierActivation === null ? 'linear' : (classifierActivation ?? 'softmax');
    return tfl.layers.dense({ units: classes, activation, name: 'predictions' }).apply(gap) as tfl.SymbolicTensor;
  }
  if (pooling === 'avg') return tfl.layers.globalAveragePooling2d({ name: auto('global_average_pooling2d') }).apply(x) as tfl.SymbolicTensor;
  if (pooling === 'max') return tfl.layers.globalMaxPooling2d({ name: auto('global_max_pooling2d') }).apply(x) as tfl.SymbolicTensor;
  return x;
}
