// The core types this package's functions take and return, importable where users meet them.
export type { Explanation, Heatmap, RgbaImage } from '@gradcam/core';
export {
  DEFAULT_MAX_PIXELS,
  type DecodeOptions,
  decodeImage,
  encodePng,
  type ImageFormat,
  imageSize,
  type JpegDecoder,
  type PngDecoder,
  sniffImageFormat,
} from './codecs';
export {
  type Colormap,
  type ColormapFunction,
  type ColormapName,
  type ColormapTable,
  colorize,
  colormapIndex,
  colormapNames,
  createColormap,
  getColormap,
  mapColor,
} from './colormaps';
export { alphaComposite } from './composite';
export { type FormatAsImageOptions, type FormatHeatmapOptions, formatAsImage, formatHeatmap } from './format-as-image';
export { type FormatSignedAsImageOptions, type FormatSignedOptions, formatSignedAsImage, formatSignedHeatmap } from './format-signed';
export { type ExpandHeatmapOptions, expandHeatmap, heatmapToImage, validateHeatmap } from './heatmap';
export { type ImageSource, type LoadImgOptions, loadImg } from './load-img';
export {
  premultiplyAlpha,
  type ResamplingFilter,
  type ResizeBox,
  type ResizeOptions,
  resamplingFilters,
  resize,
  resizeGray,
  resolveResamplingFilter,
  unpremultiplyAlpha,
} from './resample';
export type { ColoredHeatmap, GrayImage, Rgba, Size } from './types';
