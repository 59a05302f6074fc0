// onnxruntime-node helper for scripts/models/optimize_onnx.py (onnxruntime's Python package is not installable here).
//   node scripts/models/ort_tool.cjs optimize IN.onnx OUT.onnx
//       saves the graph after onnxruntime's *basic* optimisations (constant folding, Conv+Add/BN fusion, redundant
//       node removal): standard ONNX operators only, so it can be edited and quantized.
//   node scripts/models/ort_tool.cjs ranges IN.onnx CALIB.f32 N,C,H,W TENSORS.json OUT.json
//       runs IN.onnx (whose graph outputs include the listed tensors) on the N float32 NCHW frames of CALIB.f32 and
//       writes {tensor: [min, max]} over all frames (MinMax calibration).
// Both exit non-zero with onnxruntime's message on a bad model.
const ort = require('onnxruntime-node');
const fs = require('fs');

async function main() {
  const [cmd, ...a] = process.argv.slice(2);
  if (cmd === 'optimize') {
    const [inp, out] = a;
    await ort.InferenceSession.create(inp, { graphOptimizationLevel: 'basic', optimizedModelFilePath: out, logSeverityLevel: 3 });
    console.log(JSON.stringify({ optimized: out }));
  } else if (cmd === 'ranges') {
    const [inp, calib, dims, tensorsFile, out] = a;
    const [n, c, h, w] = dims.split(',').map(Number);
    const tensors = JSON.parse(fs.readFileSync(tensorsFile, 'utf8'));
    const s = await ort.InferenceSession.create(inp, { intraOpNumThreads: 1, logSeverityLevel: 3 });
    const buf = fs.readFileSync(calib);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const per = c * h * w;
    if (all.length !== n * per) throw new Error(`${calib}: ${all.length} floats, expected ${n}x${per}`);
    const r = {};
    for (let i = 0; i < n; i++) {
      const res = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', all.slice(i * per, (i + 1) * per), [1, c, h, w]) }, tensors);
      for (const t of tensors) {
        const d = res[t].data;
        let lo = Infinity, hi = -Infinity;
        for (let k = 0; k < d.length; k++) { const v = d[k]; if (v < lo) lo = v; if (v > hi) hi = v; }
        const m = r[t] || (r[t] = [Infinity, -Infinity]);
        m[0] = Math.min(m[0], lo);
        m[1] = Math.max(m[1], hi);
      }
    }
    fs.writeFileSync(out, JSON.stringify(r));
    console.log(JSON.stringify({ ranges: out, frames: n, tensors: tensors.length }));
  } else {
    throw new Error(`unknown command ${cmd} (optimize | ranges)`);
  }
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
