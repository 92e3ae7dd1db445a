// A minimal, dependency-free reader of the protobuf wire format for the parts of an ONNX
// ModelProto a tree ensemble needs (graph nodes, attributes, input shapes, opsets, metadata).
// It keeps the Workers build of the evaluator small: no protobuf library, no code generation.

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
}

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttribute[];
}

interface OnnxValueInfo {
  name: string;
  /** Tensor dims: a number (dim_value), a string (dim_param) or null (unknown). */
  dims: (number | string | null)[];
}

export interface OnnxModelSummary {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  graph: { name: string; node: OnnxNode[]; input: OnnxValueInfo[]; output: OnnxValueInfo[] };
  metadataProps: { key: string; value: string }[];
}

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Reads tags and values of one message (bytes [pos, end)). */
class WireReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as a JS number (int64 two's complement folded to a negative number). */
  varint(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if ((b & 0x80) === 0) {
        // Negative int64: two's complement, computed on the halves to stay exact.
        if (hi < 0) return -((~hi >>> 0) * 4294967296 + ((~lo >>> 0) + 1));
        return (hi >>> 0) * 4294967296 + (lo >>> 0);
      }
    }
    throw new Error("varint longer than 10 bytes");
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) throw new Error("length past the end of the message");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return textDecoder.decode(this.bytes());
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new Error("truncated float");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A nested message (or packed field) as a new reader over its bytes. */
  message(): WireReader {
    const len = this.varint();
    const start = this.pos;
    if (len < 0 || start + len > this.end) throw new Error("length past the end of the message");
    this.pos += len;
    return new WireReader(this.buf, start, start + len);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error("field past the end of the message");
  }

  /** Calls onField(field, wire) for every field; the callback must read or skip the value. */
  each(onField: (field: number, wire: number) => void): void {
    while (this.more()) {
      const tag = this.varint();
      onField(Math.floor(tag / 8), tag & 7);
    }
  }
}

function readAttribute(r: WireReader): OnnxAttribute {
  const a: OnnxAttribute = { name: "", type: 0, floats: [], ints: [], strings: [] };
  r.each((field, wire) => {
    if (field === 1) a.name = r.string();
    else if (field === 20) a.type = r.varint();
    else if (field === 2) a.f = r.float();
    else if (field === 3) a.i = r.varint();
    else if (field === 4) a.s = r.bytes();
    else if (field === 7) {
      if (wire === 2) {
        const p = r.message();
        while (p.more()) a.floats.push(p.float());
      } else a.floats.push(r.float());
    } else if (field === 8) {
      if (wire === 2) {
        const p = r.message();
        while (p.more()) a.ints.push(p.varint());
      } else a.ints.push(r.varint());
    } else if (field === 9) a.strings.push(r.bytes());
    else r.skip(wire);
  });
  return a;
}

function readNode(r: WireReader): OnnxNode {
  const n: OnnxNode = { input: [], output: [], name: "", opType: "", domain: "", attribute: [] };
  r.each((field, wire) => {
    if (field === 1) n.input.push(r.string());
    else if (field === 2) n.output.push(r.string());
    else if (field === 3) n.name = r.string();
    else if (field === 4) n.opType = r.string();
    else if (field === 7) n.domain = r.string();
    else if (field === 5) n.attribute.push(readAttribute(r.message()));
    else r.skip(wire);
  });
  return n;
}

function readValueInfo(r: WireReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: "", dims: [] };
  r.each((field, wire) => {
    if (field === 1) v.name = r.string();
    else if (field !== 2) r.skip(wire);
    else {
      // TypeProto.tensor_type(1) → Tensor.shape(2) → TensorShapeProto.dim(1) → Dimension.
      const type = r.message();
      type.each((tf, tw) => {
        if (tf !== 1) return type.skip(tw);
        const tensor = type.message();
        tensor.each((xf, xw) => {
          if (xf !== 2) return tensor.skip(xw);
          const shape = tensor.message();
          shape.each((sf, sw) => {
            if (sf !== 1) return shape.skip(sw);
            const dim = shape.message();
            let d: number | string | null = null;
            dim.each((df, dw) => {
              if (df === 1) d = dim.varint();
              else if (df === 2) d = dim.string();
              else dim.skip(dw);
            });
            v.dims.push(d);
          });
        });
      });
    }
  });
  return v;
}

/** Reads the parts of an ONNX model listed in OnnxModelSummary; throws on malformed bytes. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelSummary {
  const model: OnnxModelSummary = {
    irVersion: 0,
    opsetImport: [],
    graph: { name: "", node: [], input: [], output: [] },
    metadataProps: [],
  };
  const r = new WireReader(bytes, 0, bytes.length);
  r.each((field, wire) => {
    if (field === 1) model.irVersion = r.varint();
    else if (field === 8) {
      const o = { domain: "", version: 0 };
      const m = r.message();
      m.each((f, w) => {
        if (f === 1) o.domain = m.string();
        else if (f === 2) o.version = m.varint();
        else m.skip(w);
      });
      model.opsetImport.push(o);
    } else if (field === 7) {
      const g = r.message();
      g.each((f, w) => {
        if (f === 1) model.graph.node.push(readNode(g.message()));
        else if (f === 2) model.graph.name = g.string();
        else if (f === 11) model.graph.input.push(readValueInfo(g.message()));
        else if (f === 12) model.graph.output.push(readValueInfo(g.message()));
        else g.skip(w);
      });
    } else if (field === 14) {
      const e = { key: "", value: "" };
      const m = r.message();
      m.each((f, w) => {
        if (f === 1) e.key = m.string();
        else if (f === 2) e.value = m.string();
        else m.skip(w);
      });
      model.metadataProps.push(e);
    } else r.skip(wire);
  });
  return model;
}
