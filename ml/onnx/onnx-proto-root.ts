// The ONNX protobuf classes from onnx-proto (a CommonJS package: its namespace comes through the
// default import on Node, Bun and Deno alike).

import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
