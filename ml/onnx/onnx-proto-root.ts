// The ONNX protobuf classes from onnx-proto (a CommonJS package: its namespace comes through the
// default import on Node, Bun and Deno alike; the type-only named import is erased).

import onnxProto, { type onnx as OnnxNamespace } from "onnx-proto";

export const onnx = onnxProto.onnx;
export type OnnxModelProto = OnnxNamespace.ModelProto;
export type OnnxAttributeProto = OnnxNamespace.IAttributeProto;
