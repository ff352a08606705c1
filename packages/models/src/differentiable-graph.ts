/** A GraphDef node as tfjs-converter stores it in model.json. */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { list?: { s?: string[] }; [key: string]: unknown }>;
}

/** Fused op → the plain op it starts with. */
const UNFUSED: Record<string, string> = { _FusedConv2D: 'Conv2D', FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative', _FusedMatMul: 'MatMul' };
const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'LeakyRelu']);
const FUSION_ATTRS = new Set(['fused_ops', 'num_args', 'epsilon', 'leakyrelu_alpha']);

/** Marks the nodes this rewrite adds; they are not offered as layers. */
export const UNFUSED_MARK = '/gradcam_unfused_';

/**
 * Rewrites fused ops (`_FusedConv2D`, `FusedDepthwiseConv2dNative`, `_FusedMatMul` with
 * BiasAdd and an optional activation, as the converter emits for every MobileNet) into the
 * plain op, a BiasAdd and the activation, the last one keeping the original name, so consumers
 * and node names stay the same. Why: tfjs cannot differentiate a fused relu6, and a fused op's
 * gradient computes the weight and bias gradients too, which Grad-CAM never needs (tens of
 * seconds per backward pass on the cpu backend); the plain ops' gradients are computed only
 * for the inputs on the path. Other fusions (FusedBatchNorm, Prelu) are left as they are.
 */
export function unfuseGraph(nodes: readonly GraphNode[]): { nodes: GraphNode[]; changed: boolean } {
  let changed = false;
  const out = nodes.flatMap((node) => {
    const plain = UNFUSED[node.op];
    const fused = node.attr?.fused_ops?.list?.s?.map((s) => atob(s)) ?? [];
    const [bias, activation, ...rest] = fused;
    const input = node.input ?? [];
    if (plain === undefined || bias !== 'BiasAdd' || rest.length > 0 || (activation !== undefined && !ACTIVATIONS.has(activation)) || input.length !== 3) {
      return [node];
    }
    changed = true;
    const attr = Object.fromEntries(Object.entries(node.attr ?? {}).filter(([key]) => !FUSION_ATTRS.has(key)));
    const T = node.attr?.T ?? {};
    const core: GraphNode = { name: `${node.name}${UNFUSED_MARK}op`, op: plain, input: [input[0], input[1]], attr };
    const biasName = activation === undefined ? node.name : `${node.name}${UNFUSED_MARK}bias`;
    const added: GraphNode[] = [core, { name: biasName, op: 'BiasAdd', input: [core.name, input[2]], attr: { T } }];
    if (activation !== undefined) {
      const alpha = node.attr?.leakyrelu_alpha;
      added.push({ name: node.name, op: activation, input: [biasName], attr: { T, ...(alpha ? { alpha } : {}) } });
    }
    return added;
  });
  return { nodes: out, changed };
}
