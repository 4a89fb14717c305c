// check.js - TensorFlow.js (pure JS CPU backend) as the reference Keras
// implementation for tickguard's model packages. Driven by
// tests/test_model_tfjs.c; all tensors are raw float32 little-endian files.
//
//   node check.js predict <pkgdir> <windows.f32> <n> <out.f32>
//       load <pkgdir>/model.json (+ shards) with a file IOHandler, predict
//   node check.js build <outdir> <seq|functional> <window> <act> <windows.f32> <n> <out.f32>
//       build an autoencoder in TF.js with Keras LSTM semantics spelled out
//       (recurrentActivation sigmoid, unitForgetBias true), give it seeded
//       random weights, save it in the layers format, predict the windows
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// tfjs-node is not used: the pure JS CPU backend needs no native download.
tf.setBackend('cpu');

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function writeF32(file, arr) {
  fs.writeFileSync(file, Buffer.from(new Float32Array(arr).buffer));
}

// IOHandler reading a layers-model directory from disk.
function fileLoader(dir) {
  return {
    load: async () => {
      const mj = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const bufs = [];
      for (const g of mj.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: mj.modelTopology,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: mj.format,
        generatedBy: mj.generatedBy,
        convertedBy: mj.convertedBy,
      };
    },
  };
}

// IOHandler writing a layers-model directory to disk.
function fileSaver(dir) {
  return tf.io.withSaveHandler(async (a) => {
    fs.mkdirSync(dir, {recursive: true});
    let data = a.weightData;
    if (Array.isArray(data)) data = Buffer.concat(data.map((x) => Buffer.from(x)));
    else data = Buffer.from(data);
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), data);
    const mj = {
      format: 'layers-model',
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy || null,
      modelTopology: a.modelTopology,
      weightsManifest: [{paths: ['group1-shard1of1.bin'], weights: a.weightSpecs}],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(mj, null, 1));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  });
}

async function predict(model, windowsFile, n, outFile) {
  const shape = model.inputs[0].shape; // [null, T, F]
  const x = tf.tensor3d(readF32(windowsFile), [n, shape[1], shape[2]]);
  const y = model.predict(x, {batchSize: n});
  writeF32(outFile, await y.data());
}

// Keras LSTM semantics, every option spelled out (TF.js defaults differ).
function lstm(units, act, seq, extra) {
  return tf.layers.lstm(Object.assign({
    units, activation: act, recurrentActivation: 'sigmoid', useBias: true,
    unitForgetBias: true, kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'orthogonal', biasInitializer: 'zeros', returnSequences: seq,
  }, extra || {}));
}

function build(kind, window, act) {
  const enc = [16, 8], dec = [8, 16];
  if (kind === 'seq') {
    const m = tf.sequential();
    m.add(lstm(enc[0], act, true, {inputShape: [window, 1]}));
    m.add(lstm(enc[1], act, false));
    m.add(tf.layers.repeatVector({n: window}));
    m.add(lstm(dec[0], act, true));
    m.add(lstm(dec[1], act, true));
    m.add(tf.layers.timeDistributed({layer: tf.layers.dense({units: 1})}));
    return m;
  }
  const inp = tf.input({shape: [window, 1]});
  let h = lstm(enc[0], act, true).apply(inp);
  h = lstm(enc[1], act, false).apply(h);
  h = tf.layers.repeatVector({n: window}).apply(h);
  h = lstm(dec[0], act, true).apply(h);
  h = lstm(dec[1], act, true).apply(h);
  const out = tf.layers.timeDistributed({layer: tf.layers.dense({units: 1})}).apply(h);
  return tf.model({inputs: inp, outputs: out});
}

// Seeded weights (mulberry32), scaled so activations stay in a sane range.
function seedWeights(model, seed) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ws = model.getWeights().map((w) => {
    const n = w.size;
    const scale = w.shape.length === 1 ? 0.2 : 1.0 / Math.sqrt(w.shape[0]);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (2 * rnd() - 1) * scale;
    return tf.tensor(v, w.shape);
  });
  model.setWeights(ws);
}

async function main() {
  const [cmd, ...a] = process.argv.slice(2);
  if (cmd === 'predict') {
    const model = await tf.loadLayersModel(fileLoader(a[0]));
    await predict(model, a[1], parseInt(a[2], 10), a[3]);
  } else if (cmd === 'build') {
    const [dir, kind, window, act, wf, n, out] = a;
    const model = build(kind, parseInt(window, 10), act);
    seedWeights(model, 12345);
    await model.save(fileSaver(dir));
    await predict(model, wf, parseInt(n, 10), out);
  } else {
    console.error('usage: check.js predict|build ...');
    process.exit(2);
  }
}

main().catch((e) => {
  console.error('check.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
