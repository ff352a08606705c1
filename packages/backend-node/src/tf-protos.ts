import protobuf from 'protobufjs/light.js';

/**
 * The subset of TensorFlow's protocol buffers a SavedModel of a frozen graph needs
 * (tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,types,versions}.proto
 * and tensorflow/core/protobuf/{saved_model,meta_graph}.proto): field names and numbers as
 * TensorFlow 2.21 defines them, written here as a protobufjs JSON descriptor.
 */
const DESCRIPTOR = {
  nested: {
    tensorflow: {
      nested: {
        DataType: { values: { DT_INVALID: 0, DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_BOOL: 10, DT_INT64: 9 } },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 }, unknownRank: { type: 'bool', id: 3 } },
          nested: { Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } } },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'DataType', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            tensorContent: { type: 'bytes', id: 4 },
            floatVal: { rule: 'repeated', type: 'float', id: 5 },
            intVal: { rule: 'repeated', type: 'int32', id: 7 },
          },
        },
        AttrValue: {
          oneofs: { value: { oneof: ['list', 's', 'i', 'f', 'b', 'type', 'shape', 'tensor'] } },
          fields: {
            list: { type: 'ListValue', id: 1 },
            s: { type: 'bytes', id: 2 },
            i: { type: 'int64', id: 3 },
            f: { type: 'float', id: 4 },
            b: { type: 'bool', id: 5 },
            type: { type: 'DataType', id: 6 },
            shape: { type: 'TensorShapeProto', id: 7 },
            tensor: { type: 'TensorProto', id: 8 },
          },
          nested: {
            ListValue: {
              fields: {
                s: { rule: 'repeated', type: 'bytes', id: 2 },
                i: { rule: 'repeated', type: 'int64', id: 3 },
                f: { rule: 'repeated', type: 'float', id: 4 },
                b: { rule: 'repeated', type: 'bool', id: 5 },
                type: { rule: 'repeated', type: 'DataType', id: 6 },
                shape: { rule: 'repeated', type: 'TensorShapeProto', id: 7 },
              },
            },
          },
        },
        NodeDef: {
          fields: {
            name: { type: 'string', id: 1 },
            op: { type: 'string', id: 2 },
            input: { rule: 'repeated', type: 'string', id: 3 },
            device: { type: 'string', id: 4 },
            attr: { keyType: 'string', type: 'AttrValue', id: 5 },
          },
        },
        VersionDef: { fields: { producer: { type: 'int32', id: 1 }, minConsumer: { type: 'int32', id: 2 } } },
        GraphDef: { fields: { node: { rule: 'repeated', type: 'NodeDef', id: 1 }, versions: { type: 'VersionDef', id: 4 } } },
        TensorInfo: {
          fields: { name: { type: 'string', id: 1 }, dtype: { type: 'DataType', id: 2 }, tensorShape: { type: 'TensorShapeProto', id: 3 } },
        },
        SignatureDef: {
          fields: {
            inputs: { keyType: 'string', type: 'TensorInfo', id: 1 },
            outputs: { keyType: 'string', type: 'TensorInfo', id: 2 },
            methodName: { type: 'string', id: 3 },
          },
        },
        MetaGraphDef: {
          fields: {
            metaInfoDef: { type: 'MetaInfoDef', id: 1 },
            graphDef: { type: 'GraphDef', id: 2 },
            signatureDef: { keyType: 'string', type: 'SignatureDef', id: 5 },
          },
          nested: {
            MetaInfoDef: {
              fields: {
                metaGraphVersion: { type: 'string', id: 1 },
                tags: { rule: 'repeated', type: 'string', id: 4 },
                tensorflowVersion: { type: 'string', id: 5 },
              },
            },
          },
        },
        SavedModel: { fields: { savedModelSchemaVersion: { type: 'int64', id: 1 }, metaGraphs: { rule: 'repeated', type: 'MetaGraphDef', id: 2 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);

/** TensorFlow's DataType numbers of the dtypes the graphs use. */
export const DT = { float: 1, int32: 3, bool: 10 } as const;

/** A tensorflow.AttrValue (one of its fields set). */
export type AttrValue =
  | { s: Uint8Array }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: number }
  | { shape: ShapeProto }
  | { tensor: TensorProtoValue }
  | { list: { s?: Uint8Array[]; i?: number[]; f?: number[]; type?: number[]; shape?: ShapeProto[] } };

/** A tensorflow.TensorShapeProto: dims (-1 for an unknown size). */
export interface ShapeProto {
  dim?: { size: number }[];
  unknownRank?: boolean;
}

/** A tensorflow.TensorProto with its values as little-endian bytes. */
export interface TensorProtoValue {
  dtype: number;
  tensorShape: ShapeProto;
  tensorContent?: Uint8Array;
}

/** A tensorflow.NodeDef. */
export interface NodeDefValue {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

/** What a single-signature SavedModel holds: the graph and its signature's inputs and outputs. */
export interface SavedModelValue {
  nodes: NodeDefValue[];
  /** GraphDef producer version (TensorFlow's GRAPH_DEF_VERSION the ops were written for). */
  producer: number;
  inputs: Record<string, { name: string; dtype: number; shape: ShapeProto }>;
  outputs: Record<string, { name: string; dtype: number; shape: ShapeProto }>;
}

const SavedModel = root.lookupType('tensorflow.SavedModel');

/**
 * Encodes a TF1-style SavedModel: one MetaGraphDef tagged 'serve' whose graph holds the weights
 * as Const nodes (no variables), and one signature, 'serving_default'.
 */
export function encodeSavedModel(model: SavedModelValue): Uint8Array {
  const info = (t: { name: string; dtype: number; shape: ShapeProto }) => ({ name: t.name, dtype: t.dtype, tensorShape: t.shape });
  const message = SavedModel.fromObject({
    savedModelSchemaVersion: 1,
    metaGraphs: [
      {
        metaInfoDef: { tags: ['serve'], tensorflowVersion: '2.21.0' },
        graphDef: { node: model.nodes, versions: { producer: model.producer, minConsumer: 0 } },
        signatureDef: {
          serving_default: {
            inputs: Object.fromEntries(Object.entries(model.inputs).map(([k, v]) => [k, info(v)])),
            outputs: Object.fromEntries(Object.entries(model.outputs).map(([k, v]) => [k, info(v)])),
            methodName: 'tensorflow/serving/predict',
          },
        },
      },
    ],
  });
  return SavedModel.encode(message).finish();
}

/** Decodes a SavedModel's first graph back into plain NodeDef objects (for tests and checks). */
export function decodeSavedModelNodes(bytes: Uint8Array): NodeDefValue[] {
  const decoded = SavedModel.toObject(SavedModel.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as {
    metaGraphs: { graphDef: { node: NodeDefValue[] } }[];
  };
  return decoded.metaGraphs[0].graphDef.node;
}
