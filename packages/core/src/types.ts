/** An 8-bit RGBA raster, row-major, 4 bytes per pixel (the shape of browser ImageData). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** A single-channel map, row-major, values in [0, 1] for a normalised heatmap. */
export interface Heatmap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** One explained class of an Explanation. */
export interface TargetExplanation {
  /**
   * Class index into the model output; for a target function, its `classId`, or else its
   * position in the `targets` list.
   */
  readonly target: number;
  /** A target function's name ('class 3 over 412 px', your function's name); undefined for class ids. */
  readonly name?: string;
  /** Human label of the class, when the model has labels. */
  readonly label?: string;
  /** The explained score: the model output for the target (pre-softmax with `logits`). */
  readonly score: number;
  /** Softmax probability when the score is a logit; undefined otherwise (as ELI5's `proba`). */
  readonly proba?: number;
  /**
   * The CAM map at the layer's spatial resolution: in [0, 1] by default; in [-1, 1] with
   * `relu: false` (signed), raw with `normalize: false`.
   */
  readonly heatmap: Heatmap;
}

/** What explainPrediction returns: ELI5's Explanation, with several targets allowed. */
export interface Explanation {
  /** Model name (ELI5's `estimator`). */
  readonly estimator: string;
  readonly description: string;
  /** CAM method display name, e.g. 'Grad-CAM'. */
  readonly method: string;
  /** Name (or path) of the layer the map was computed at ('a+b' for several; 'input' for input attributions). */
  readonly layer: string;
  /** The layers whose maps were averaged, when there were several. */
  readonly layers?: readonly string[];
  /** tfjs backend that computed it. */
  readonly backend: string;
  /** The input image as RGBA, when known (ELI5 keeps it for formatting). */
  readonly image?: RgbaImage;
  /** The model's output for the image (all classes), as computed in the same forward pass; flattened row-major. */
  readonly outputs: readonly number[];
  /** The output's shape per image when it is not [classes] (segmentation, detection). */
  readonly outputShape?: readonly number[];
  readonly targets: readonly TargetExplanation[];
  /** Things worth knowing about this result, e.g. a target whose map is all zeros. */
  readonly warnings?: readonly string[];
}
