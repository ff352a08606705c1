/**
 * Names for layers that keras.applications creates without one (`Activation('relu')`,
 * `ZeroPadding2D`, `layers.add`…). Keras 3 numbers them per class in creation order —
 * `activation`, `activation_1`, … — counting from a fresh session; one namer per built model
 * reproduces that, so our layer names equal those of a model built right after
 * `keras.backend.clear_session()`.
 */
export function kerasAutoNamer(): (prefix: string) => string {
  const counts = new Map<string, number>();
  return (prefix) => {
    const n = counts.get(prefix) ?? 0;
    counts.set(prefix, n + 1);
    return n === 0 ? prefix : `${prefix}_${n}`;
  };
}

/**
 * keras.applications.imagenet_utils.correct_pad: the ZeroPadding2D before a stride-2 'valid'
 * convolution that reproduces TF's 'same' output size, as [[top, bottom], [left, right]].
 */
export function correctPad(height: number | null, width: number | null, kernel: number): [[number, number], [number, number]] {
  const adjust = height === null || width === null ? [1, 1] : [1 - (height % 2), 1 - (width % 2)];
  const c = Math.floor(kernel / 2);
  return [
    [c - adjust[0], c],
    [c - adjust[1], c],
  ];
}
