import { ModelLoadError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';

/** A Keras layer or model config as Keras 3 serialises it (config.json of a .keras, model_config of an .h5). */
interface KerasLayerConfig {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown[];
  module?: string;
  registered_name?: string | null;
  build_config?: unknown;
}

/**
 * The Keras layers gradcam converts to tfjs-layers, with the config keys whose values tfjs reads
 * differently. Anything else is refused by name before a model is built.
 */
const SUPPORTED = new Set([
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'BatchNormalization',
  'Dense',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Add',
  'Concatenate',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'Dropout',
  'GaussianNoise',
  'GaussianDropout',
  'Flatten',
  'Reshape',
  'Rescaling',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
  'Identity',
  'Functional',
  'Sequential',
]);

/** Keras activation names → tfjs-layers'; names missing here (hard_sigmoid differs, …) are refused. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  gelu: 'gelu',
  mish: 'mish',
  log_softmax: 'logSoftmax',
};

/** What is wrong with one layer for tfjs-layers, or undefined when it converts. */
function refusal(layer: KerasLayerConfig): string | undefined {
  const { class_name: kind, config } = layer;
  if (!SUPPORTED.has(kind)) return kind;
  const activation = config.activation;
  if (typeof activation === 'string' && ACTIVATIONS[activation] === undefined) return `${kind} with activation '${activation}'`;
  if (typeof activation === 'object' && activation !== null) return `${kind} with a custom activation object`;
  if (config.data_format === 'channels_first') return `${kind} with data_format 'channels_first'`;
  if (typeof config.groups === 'number' && config.groups !== 1) return `${kind} with groups=${config.groups}`;
  if (kind === 'ReLU' && ((config.negative_slope as number) || (config.threshold as number))) return 'ReLU with negative_slope or threshold';
  if (kind.startsWith('Global') && config.keepdims === true) return `${kind} with keepdims=True`;
  if (kind === 'UpSampling2D' && config.interpolation !== undefined && config.interpolation !== 'nearest') {
    return `UpSampling2D with interpolation '${String(config.interpolation)}'`;
  }
  if (kind === 'BatchNormalization' && config.axis !== -1 && config.axis !== 3 && !(Array.isArray(config.axis) && config.axis[0] === 3)) {
    return `BatchNormalization over axis ${JSON.stringify(config.axis)}`;
  }
  return undefined;
}

/** Keras 3's tensor references in inbound_nodes → Keras 2's [layer, node, tensor, kwargs] lists. */
function inboundNodes(nodes: unknown[] | undefined, where: string): unknown[] {
  return (nodes ?? []).map((node) => {
    if (Array.isArray(node)) return node; // already Keras 2
    const args = (node as { args?: unknown[] }).args ?? [];
    const refs: unknown[] = [];
    const visit = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && (value as { class_name?: string }).class_name === '__keras_tensor__') {
        const history = (value as { config: { keras_history: [string, number, number] } }).config?.keras_history;
        if (!Array.isArray(history)) throw new ModelLoadError(`${where}: a layer input has no keras_history.`);
        refs.push([history[0], history[1], history[2], {}]);
      }
    };
    args.forEach(visit);
    return refs;
  });
}

/** A tensor reference of a Functional config's input_layers / output_layers, in Keras 2's form. */
function tensorRefs(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  // Keras 3 writes a single output as ['name', 0, 0]; Keras 2 as [['name', 0, 0]].
  return typeof value[0] === 'string' ? [value] : value;
}

function plainConfig(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    // Initializers, regularizers and constraints do not matter once the weights are set; tfjs
    // cannot read Keras 3's serialised objects, so they are dropped (zeros are set first).
    if (/_(initializer|regularizer|constraint)$/.test(key)) continue;
    if (key === 'dtype') {
      out.dtype = 'float32';
      continue;
    }
    if (key === 'batch_shape') {
      out.batch_input_shape = value;
      continue;
    }
    out[key] = value;
  }
  if (typeof out.activation === 'string') out.activation = ACTIVATIONS[out.activation];
  if (kind === 'LeakyReLU' && out.negative_slope !== undefined) {
    out.alpha = out.negative_slope;
    delete out.negative_slope;
  }
  if (kind === 'ReLU') {
    delete out.negative_slope;
    delete out.threshold;
  }
  if (kind === 'InputLayer') delete out.optional;
  return out;
}

/** One layer (or nested model) config converted; collects refused layers into `refused`. */
function convertLayer(layer: KerasLayerConfig, refused: string[], path: string): Record<string, unknown> {
  const name = (layer.config.name as string | undefined) ?? layer.name ?? '?';
  const where = `${path}${name}`;
  const reason = refusal(layer);
  if (reason) refused.push(`'${where}' (${reason})`);
  let config: Record<string, unknown>;
  if (layer.class_name === 'Functional' || layer.class_name === 'Sequential') {
    config = convertModelConfig(layer, refused, `${where}/`);
  } else {
    config = plainConfig(layer.class_name, layer.config);
  }
  return {
    class_name: layer.class_name === 'Functional' ? 'Model' : layer.class_name,
    config,
    name,
    ...(layer.inbound_nodes !== undefined ? { inbound_nodes: inboundNodes(layer.inbound_nodes, where) } : {}),
  };
}

function convertModelConfig(model: KerasLayerConfig, refused: string[], path: string): Record<string, unknown> {
  const config = model.config;
  const layers = (config.layers as KerasLayerConfig[] | undefined) ?? [];
  const converted = layers.map((l) => convertLayer(l, refused, path));
  if (model.class_name === 'Sequential') return { name: config.name, layers: converted };
  return {
    name: config.name,
    layers: converted,
    input_layers: tensorRefs(config.input_layers),
    output_layers: tensorRefs(config.output_layers),
  };
}

/**
 * Converts a Keras 3 model config (config.json of a `.keras` archive, or the `model_config`
 * attribute of a legacy `.h5`; also Keras 2's) into the topology tfjs-layers deserialises:
 * Keras 2-style inbound nodes, plain dtypes, `batch_input_shape`, tfjs activation names, no
 * initializers. Every layer is checked first: unsupported layers are listed, by path and class,
 * in one ModelLoadError that also names the supported classes.
 */
export function kerasToTfjsTopology(config: unknown, source: string): Record<string, unknown> {
  const model = config as KerasLayerConfig;
  if (typeof model !== 'object' || model === null || (model.class_name !== 'Functional' && model.class_name !== 'Sequential' && model.class_name !== 'Model')) {
    throw new ModelLoadError(
      `'${source}' does not hold a Keras Sequential or Functional model config (its class is ${JSON.stringify((model as KerasLayerConfig | null)?.class_name)}).`,
    );
  }
  const refused: string[] = [];
  const root = { ...model, class_name: model.class_name === 'Model' ? 'Functional' : model.class_name };
  const converted = convertModelConfig(root, refused, '');
  if (refused.length > 0) {
    throw new ModelLoadError(
      `'${source}' uses layers gradcam cannot run in TensorFlow.js: ${listChoices(refused, 20)}. ` +
        `Supported layer classes: ${[...SUPPORTED].filter((k) => k !== 'Functional').join(', ')}.`,
    );
  }
  return { class_name: root.class_name === 'Functional' ? 'Model' : 'Sequential', config: converted, keras_version: '2.15.0', backend: 'tensorflow' };
}

/** Keras' to_snake_case: how Keras 3 names each layer's group in model.weights.h5 ('ReLU' → 're_lu'). */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
