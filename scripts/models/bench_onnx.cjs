// Loads models/<name>/model.onnx with onnxruntime-node, checks output name/shape/range, prints median ms over 20 runs
// at the model.json inputSize.  Usage (repo root): node scripts/models/bench_onnx.cjs hotspot smoke /tmp/smoke8
// (a name is models/<name>; an argument with a '/' is a model directory: model.json + model.onnx)
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  for (const name of process.argv.slice(2)) {
    const dir = name.includes('/') ? name : `models/${name}`;
    const cfg = JSON.parse(fs.readFileSync(`${dir}/model.json`, 'utf8'));
    const sess = await ort.InferenceSession.create(`${dir}/model.onnx`, { intraOpNumThreads: 1 });
    const { width: W, height: H } = cfg.inputSize;
    const data = new Float32Array(cfg.channels * H * W).map(() => Math.random() * 2 - 1);
    const feeds = { [cfg.inputName]: new ort.Tensor('float32', data, [1, cfg.channels, H, W]) };
    const times = [];
    let out;
    for (let i = 0; i < 23; i++) {
      const t0 = process.hrtime.bigint();
      out = (await sess.run(feeds))[cfg.outputName];
      const dt = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= 3) times.push(dt); // 3 warm-up runs
    }
    times.sort((a, b) => a - b);
    let mn = Infinity, mx = -Infinity;
    for (const v of out.data) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    // also check a second (dynamic) size
    const H2 = H / 2 - ((H / 2) % 32 ? (H / 2) % 32 : 0) || 32, W2 = W / 2 - ((W / 2) % 32) || 32;
    const o2 = (await sess.run({ [cfg.inputName]: new ort.Tensor('float32', new Float32Array(cfg.channels * H2 * W2), [1, cfg.channels, H2, W2]) }))[cfg.outputName];
    console.log(JSON.stringify({ name, inputs: sess.inputNames, outputs: sess.outputNames, inputDims: [1, cfg.channels, H, W],
      outputDims: out.dims, range: [mn, mx], dynamicCheck: { in: [1, cfg.channels, H2, W2], out: o2.dims },
      medianMs: +times[Math.floor(times.length / 2)].toFixed(3), runs: times.length }));
  }
})();
