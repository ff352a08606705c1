import { InvalidInputError } from '@gradcam/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { correctPad, kerasAutoNamer } from './keras-naming.js';
import { head } from './mobilenet-v2.js';

type T = tfl.SymbolicTensor;

/** Options of the generic NASNet-A builder, as keras.applications.nasnet.NASNet takes them. */
export interface NASNetOptions {
  /** [rows, cols, 3]; default [224, 224, 3]. */
  readonly inputShape?: readonly [number, number, number];
  /** Filters of the penultimate layer; a multiple of 24 · filterMultiplier². Default 1056 (Mobile). */
  readonly penultimateFilters?: number;
  /** Normal cells per stage. Default 4 (Mobile). */
  readonly numBlocks?: number;
  /** Filters of the stem convolution. Default 32 (Mobile). */
  readonly stemBlockFilters?: number;
  /** Whether the cell after a reduction cell skips it. Default false (Mobile). */
  readonly skipReduction?: boolean;
  /** Filter growth per reduction. Default 2. */
  readonly filterMultiplier?: number;
  readonly includeTop?: boolean;
  readonly classes?: number;
  readonly pooling?: 'avg' | 'max' | null;
  readonly classifierActivation?: 'softmax' | 'linear' | null;
  /** Model name; default 'NASNet' (keras.applications.nasnet.NASNet's). */
  readonly name?: string;
}

/**
 * Builds NASNet-A exactly as keras.applications.nasnet.NASNet (Keras 3.15) does — layer names
 * (Keras 3's automatic names for the unnamed Activation/ZeroPadding2D/Cropping2D/Add/Concatenate
 * layers, as in a fresh session), classes, output shapes, parameter counts. Random weights.
 */
export function buildNASNet(options: NASNetOptions = {}): tfl.LayersModel {
  const inputShape = options.inputShape ?? [224, 224, 3];
  const penultimate = options.penultimateFilters ?? 1056;
  const numBlocks = options.numBlocks ?? 4;
  const stemFilters = options.stemBlockFilters ?? 32;
  const skipReduction = options.skipReduction ?? false;
  const fm = options.filterMultiplier ?? 2;
  if (inputShape.length !== 3 || inputShape[2] !== 3 || inputShape[0] < 32 || inputShape[1] < 32) {
    throw new InvalidInputError(`nasNet: inputShape must be [rows, cols, 3] with rows, cols ≥ 32; got [${inputShape.join(', ')}].`);
  }
  if (penultimate % (24 * fm ** 2) !== 0) {
    throw new InvalidInputError(`nasNet: penultimateFilters must be a multiple of 24 · filterMultiplier² = ${24 * fm ** 2}; got ${penultimate}.`);
  }
  const auto = kerasAutoNamer();
  const relu = (name?: string) => tfl.layers.activation({ activation: 'relu', name: name ?? auto('activation') });
  const bn = (name: string) => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9997, epsilon: 1e-3, name });
  const conv1x1 = (filters: number, name: string) => tfl.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, name });
  const apply = (layer: tfl.layers.Layer, x: T | T[]) => layer.apply(x) as T;

  const separableBlock = (ip: T, filters: number, kernel: number, stride: number, id: string): T => {
    let x = apply(relu(), ip);
    let pad: 'same' | 'valid' = 'same';
    if (stride === 2) {
      x = apply(tfl.layers.zeroPadding2d({ padding: correctPad(x.shape[1], x.shape[2], kernel), name: `separable_conv_1_pad_${id}` }), x);
      pad = 'valid';
    }
    x = apply(tfl.layers.separableConv2d({ filters, kernelSize: kernel, strides: stride, name: `separable_conv_1_${id}`, padding: pad, useBias: false }), x);
    x = apply(bn(`separable_conv_1_bn_${id}`), x);
    x = apply(relu(), x);
    x = apply(tfl.layers.separableConv2d({ filters, kernelSize: kernel, name: `separable_conv_2_${id}`, padding: 'same', useBias: false }), x);
    return apply(bn(`separable_conv_2_bn_${id}`), x);
  };

  const adjust = (p: T | null, ip: T, filters: number, id: string): T => {
    if (p === null) return ip;
    if (p.shape[2] !== ip.shape[2]) {
      const r = apply(relu(`adjust_relu_1_${id}`), p);
      let p1 = apply(tfl.layers.averagePooling2d({ poolSize: 1, strides: 2, padding: 'valid', name: `adjust_avg_pool_1_${id}` }), r);
      p1 = apply(conv1x1(Math.floor(filters / 2), `adjust_conv_1_${id}`), p1);
      let p2 = apply(
        tfl.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [0, 1],
          ],
          name: auto('zero_padding2d'),
        }),
        r,
      );
      p2 = apply(
        tfl.layers.cropping2D({
          cropping: [
            [1, 0],
            [1, 0],
          ],
          name: auto('cropping2d'),
        }),
        p2,
      );
      p2 = apply(tfl.layers.averagePooling2d({ poolSize: 1, strides: 2, padding: 'valid', name: `adjust_avg_pool_2_${id}` }), p2);
      p2 = apply(conv1x1(Math.floor(filters / 2), `adjust_conv_2_${id}`), p2);
      const cat = apply(tfl.layers.concatenate({ axis: -1, name: auto('concatenate') }), [p1, p2]);
      return apply(bn(`adjust_bn_${id}`), cat);
    }
    if (p.shape[3] !== filters) {
      let q = apply(relu(), p);
      q = apply(conv1x1(filters, `adjust_conv_projection_${id}`), q);
      return apply(bn(`adjust_bn_${id}`), q);
    }
    return p;
  };

  const add = (a: T, b: T, name?: string) => apply(tfl.layers.add({ name: name ?? auto('add') }), [a, b]);
  const avg3 = (stride: number, padding: 'same' | 'valid', name: string) => tfl.layers.averagePooling2d({ poolSize: 3, strides: stride, padding, name });

  const normalCell = (ip: T, pIn: T | null, filters: number, id: string): [T, T] => {
    const p = adjust(pIn, ip, filters, id);
    let h = apply(relu(), ip);
    h = apply(conv1x1(filters, `normal_conv_1_${id}`), h);
    h = apply(bn(`normal_bn_1_${id}`), h);
    const x1 = add(separableBlock(h, filters, 5, 1, `normal_left1_${id}`), separableBlock(p, filters, 3, 1, `normal_right1_${id}`), `normal_add_1_${id}`);
    const x2 = add(separableBlock(p, filters, 5, 1, `normal_left2_${id}`), separableBlock(p, filters, 3, 1, `normal_right2_${id}`), `normal_add_2_${id}`);
    const x3 = add(apply(avg3(1, 'same', `normal_left3_${id}`), h), p, `normal_add_3_${id}`);
    const x4 = add(apply(avg3(1, 'same', `normal_left4_${id}`), p), apply(avg3(1, 'same', `normal_right4_${id}`), p), `normal_add_4_${id}`);
    const x5 = add(separableBlock(h, filters, 3, 1, `normal_left5_${id}`), h, `normal_add_5_${id}`);
    const x = apply(tfl.layers.concatenate({ axis: -1, name: `normal_concat_${id}` }), [p, x1, x2, x3, x4, x5]);
    return [x, ip];
  };

  const reductionCell = (ip: T, pIn: T | null, filters: number, id: string): [T, T] => {
    const p = adjust(pIn, ip, filters, id);
    let h = apply(relu(), ip);
    h = apply(conv1x1(filters, `reduction_conv_1_${id}`), h);
    h = apply(bn(`reduction_bn_1_${id}`), h);
    const h3 = apply(tfl.layers.zeroPadding2d({ padding: correctPad(h.shape[1], h.shape[2], 3), name: `reduction_pad_1_${id}` }), h);
    const x1 = add(
      separableBlock(h, filters, 5, 2, `reduction_left1_${id}`),
      separableBlock(p, filters, 7, 2, `reduction_right1_${id}`),
      `reduction_add_1_${id}`,
    );
    const x2 = add(
      apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: `reduction_left2_${id}` }), h3),
      separableBlock(p, filters, 7, 2, `reduction_right2_${id}`),
      `reduction_add_2_${id}`,
    );
    const x3 = add(apply(avg3(2, 'valid', `reduction_left3_${id}`), h3), separableBlock(p, filters, 5, 2, `reduction_right3_${id}`), `reduction_add3_${id}`);
    const x4 = add(x2, apply(avg3(1, 'same', `reduction_left4_${id}`), x1));
    const x5 = add(
      separableBlock(x1, filters, 3, 1, `reduction_left4_${id}`),
      apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: `reduction_right5_${id}` }), h3),
      `reduction_add4_${id}`,
    );
    const x = apply(tfl.layers.concatenate({ axis: -1, name: `reduction_concat_${id}` }), [x2, x3, x4, x5]);
    return [x, ip];
  };

  const input = tfl.input({ shape: [...inputShape], name: auto('input_layer') });
  const filters = Math.floor(penultimate / 24);
  let x = apply(tfl.layers.conv2d({ filters: stemFilters, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'stem_conv1' }), input);
  x = apply(bn('stem_bn1'), x);
  let p: T | null = null;
  [x, p] = reductionCell(x, p, Math.floor(filters / fm ** 2), 'stem_1');
  [x, p] = reductionCell(x, p, Math.floor(filters / fm), 'stem_2');
  for (let i = 0; i < numBlocks; i++) [x, p] = normalCell(x, p, filters, `${i}`);
  let p0: T;
  [x, p0] = reductionCell(x, p, filters * fm, `reduce_${numBlocks}`);
  p = skipReduction ? p : p0;
  for (let i = 0; i < numBlocks; i++) [x, p] = normalCell(x, p, filters * fm, `${numBlocks + i + 1}`);
  [x, p0] = reductionCell(x, p, filters * fm ** 2, `reduce_${2 * numBlocks}`);
  p = skipReduction ? p : p0;
  for (let i = 0; i < numBlocks; i++) [x, p] = normalCell(x, p, filters * fm ** 2, `${2 * numBlocks + i + 1}`);
  x = apply(relu(), x);
  x = head(x, auto, options.includeTop ?? true, options.classes ?? 1000, options.pooling ?? null, options.classifierActivation);
  return tfl.model({ inputs: input, outputs: x, name: options.name ?? 'NASNet' });
}

/** NASNetMobile's arguments of the generic builder (keras.applications.NASNetMobile). */
export const NASNET_MOBILE: Required<Pick<NASNetOptions, 'penultimateFilters' | 'numBlocks' | 'stemBlockFilters' | 'skipReduction' | 'filterMultiplier'>> = {
  penultimateFilters: 1056,
  numBlocks: 4,
  stemBlockFilters: 32,
  skipReduction: false,
  filterMultiplier: 2,
};
