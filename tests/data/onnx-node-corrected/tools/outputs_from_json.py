import sys, json, onnx, numpy as np, os
from onnx import numpy_helper, helper
d, dest = sys.argv[1], sys.argv[2]
m=onnx.load(d+'/model.onnx')
r=json.load(open('./ort.json'))
os.makedirs(dest, exist_ok=True)
for k,o in enumerate(m.graph.output):
    from onnx import mapping; dt=mapping.TENSOR_TYPE_TO_NP_TYPE[o.type.tensor_type.elem_type]
    a=np.array(r[o.name]['data'],dtype=np.uint16).view(np.float16) if dt==np.float16 else np.array(r[o.name]['data'],dtype=dt)
    a=a.reshape(r[o.name]['dims'])
    t=numpy_helper.from_array(a, o.name)
    open(f'{dest}/output_{k}.pb','wb').write(t.SerializeToString())
