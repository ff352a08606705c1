import { type AttrValue, DT, type NodeDefValue, type ShapeProto } from './tf-protos.js';

const utf8 = new TextEncoder();

/** Attribute helpers: TensorFlow's attr values of the kinds the emitted ops use. */
export const attr = {
  type: (dtype: number): AttrValue => ({ type: dtype }),
  float: { type: DT.float } as AttrValue,
  int32: { type: DT.int32 } as AttrValue,
  s: (value: string): AttrValue => ({ s: utf8.encode(value) }),
  i: (value: number): AttrValue => ({ i: value }),
  f: (value: number): AttrValue => ({ f: value }),
  b: (value: boolean): AttrValue => ({ b: value }),
  ints: (values: readonly number[]): AttrValue => ({ list: { i: [...values] } }),
  shape: (dims: readonly number[]): AttrValue => ({ shape: shapeProto(dims) }),
};

/** A TensorShapeProto; -1 is a dimension of unknown size. */
export function shapeProto(dims: readonly number[]): ShapeProto {
  return { dim: dims.map((size) => ({ size })) };
}

/** Little-endian bytes of a typed array (TensorProto.tensor_content). */
function bytesOf(values: Float32Array | Int32Array): Uint8Array {
  const copy = values.slice();
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}

/** TF node names: [A-Za-z0-9.][A-Za-z0-9_.\-/>]*. */
function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_.\-/]/g, '_').replace(/^[^A-Za-z0-9.]/, 'n');
}

/** Builds a GraphDef node by node; each method returns the name of the node's first output. */
export class GraphDefBuilder {
  readonly nodes: NodeDefValue[] = [];
  readonly #names = new Set<string>();

  /** A fresh node name from a hint ('block_1_expand/conv'). */
  #name(hint: string): string {
    const base = sanitize(hint);
    let name = base;
    for (let k = 1; this.#names.has(name); k++) name = `${base}_${k}`;
    this.#names.add(name);
    return name;
  }

  /** Adds `op` reading `inputs` (tensor names, 'node' or 'node:1'). */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue>, hint: string): string {
    const name = this.#name(hint);
    this.nodes.push({ name, op, input: [...inputs], attr: attrs });
    return name;
  }

  /** A float32 op: the op with T = float. */
  f(op: string, inputs: readonly string[], hint: string, attrs: Record<string, AttrValue> = {}): string {
    return this.op(op, inputs, { T: attr.float, ...attrs }, hint);
  }

  placeholder(name: string, dtype: number, dims: readonly number[]): string {
    return this.op('Placeholder', [], { dtype: attr.type(dtype), shape: attr.shape(dims) }, name);
  }

  /** A Const holding `values` of shape `dims`. */
  constant(values: Float32Array | Int32Array, dims: readonly number[], hint: string): string {
    const dtype = values instanceof Float32Array ? DT.float : DT.int32;
    return this.op('Const', [], { dtype: attr.type(dtype), value: { tensor: { dtype, tensorShape: shapeProto(dims), tensorContent: bytesOf(values) } } }, hint);
  }

  /** An int32 Const vector (shapes, axes, paddings). */
  ints(values: readonly number[], hint: string, dims: readonly number[] = [values.length]): string {
    return this.constant(Int32Array.from(values), dims, hint);
  }

  /** A float32 scalar Const. */
  scalar(value: number, hint: string): string {
    return this.constant(Float32Array.of(value), [], hint);
  }
}
