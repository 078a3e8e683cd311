const ort=require('onnxruntime-node');
const fs=require('fs');
(async()=>{
 const io=JSON.parse(fs.readFileSync('./io.json'));
 const s=await ort.InferenceSession.create(process.argv[2],{graphOptimizationLevel:'disabled'});
 const feeds={};
 const map={float32:'float32',int8:'int8',uint8:'uint8',int64:'int64',int32:'int32',bool:'bool'};
 for(const [n,v] of Object.entries(io.inputs)){
   let d=v.data; const t=v.dtype==='float16'?'float16':map[v.dtype];
   const arr= v.dtype==='float16'?Uint16Array.from(d): t==='float32'?Float32Array.from(d): t==='int8'?Int8Array.from(d): t==='uint8'?Uint8Array.from(d): t==='int64'?BigInt64Array.from(d.map(BigInt)): t==='int32'?Int32Array.from(d): Uint8Array.from(d.map(x=>x?1:0));
   feeds[n]=new ort.Tensor(t,arr,v.dims);
 }
 const r=await s.run(feeds);
 const out={};
 for(const n of s.outputNames){ out[n]={dims:r[n].dims, data:Array.from(r[n].data, Number)}; }
 fs.writeFileSync('./ort.json', JSON.stringify(out));
})();
