import sys, json, onnx, numpy as np, glob, os
from onnx import numpy_helper
d=sys.argv[1]
m=onnx.load(d+'/model.onnx')
inits={i.name for i in m.graph.initializer}
ins=[i.name for i in m.graph.input if i.name not in inits]
res={'inputs':{},'outputs':{}}
for k,f in enumerate(sorted(glob.glob(d+'/test_data_set_0/input_*.pb'))):
    t=onnx.TensorProto(); t.ParseFromString(open(f,'rb').read())
    a=numpy_helper.to_array(t); b=a.view(np.uint16) if a.dtype==np.float16 else a; res['inputs'][ins[k]]={'dtype':str(a.dtype),'dims':list(a.shape),'data':b.flatten().tolist()}
outs=[o.name for o in m.graph.output]
for k,f in enumerate(sorted(glob.glob(d+'/test_data_set_0/output_*.pb'))):
    t=onnx.TensorProto(); t.ParseFromString(open(f,'rb').read())
    a=numpy_helper.to_array(t); res['outputs'][outs[k]]={'dims':list(a.shape),'data':a.flatten().astype(float).tolist()}
json.dump(res,open('./io.json','w'))
