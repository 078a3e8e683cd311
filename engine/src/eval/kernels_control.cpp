// Control flow with subgraphs: If, Loop, Scan. Subgraphs run in a child scope that sees the
// enclosing values (the runner's SubgraphRunner).
#include <algorithm>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

// Stacks equally shaped arrays along a new axis 0.
Result<Array> stack(const std::vector<Array>& parts) {
  if (parts.empty()) return Status(ErrorCode::Unsupported, "a scan output with zero iterations has no known shape");
  std::vector<std::int64_t> shape = parts[0].shape();
  shape.insert(shape.begin(), static_cast<std::int64_t>(parts.size()));
  Array out = Array::uninitialized(parts[0].dtype(), shape);
  std::size_t bytes = parts[0].bytes();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].shape() != parts[0].shape() || parts[i].dtype() != parts[0].dtype())
      return Status(ErrorCode::InvalidArgument, "scan output changes shape between iterations (" + formatArrayType(parts[0]) +
                                                    " then " + formatArrayType(parts[i]) + ")");
    if (parts[0].dtype() == kString)
      std::copy(parts[i].strings().begin(), parts[i].strings().end(), out.strings().begin() + static_cast<std::ptrdiff_t>(i * parts[0].strings().size()));
    else if (bytes)
      std::memcpy(static_cast<std::byte*>(out.raw()) + i * bytes, parts[i].raw(), bytes);
  }
  return out;
}

Status ifK(Context& ctx) {
  if (auto s = ctx.require(0, "cond"); !s) return s;
  bool cond = readIndex(ctx.input(0), 0) != 0;
  const Graph* g = ctx.subgraph(cond ? "then_branch" : "else_branch");
  if (!g) return ctx.fail(std::string("missing ") + (cond ? "then_branch" : "else_branch"));
  auto out = ctx.runSubgraph(*g, {});
  if (!out) return out.status();
  if (out.value().size() < ctx.outputCount())
    return ctx.fail("the branch has " + std::to_string(out.value().size()) + " outputs but the node has " + std::to_string(ctx.outputCount()));
  for (std::size_t i = 0; i < ctx.outputCount(); ++i) ctx.setOutput(i, out.value()[i]);
  return Status::ok();
}

Status loopK(Context& ctx) {
  const Graph* body = ctx.subgraph("body");
  if (!body) return ctx.fail("missing body");
  std::int64_t maxTrips = ctx.hasInput(0) ? readIndex(ctx.input(0), 0) : INT64_MAX;
  bool cond = ctx.hasInput(1) ? readIndex(ctx.input(1), 0) != 0 : true;
  std::vector<Array> carried;
  for (std::size_t i = 2; i < ctx.inputCount(); ++i) {
    if (!ctx.hasInput(i)) return ctx.unsupported("optional (empty) loop-carried values are not supported");
    carried.push_back(ctx.input(i));
  }
  std::size_t nCarried = carried.size();
  std::size_t nScan = ctx.outputCount() > nCarried ? ctx.outputCount() - nCarried : 0;
  std::vector<std::vector<Array>> scans(nScan);
  for (std::int64_t it = 0; it < maxTrips && cond; ++it) {
    std::vector<Array> in;
    in.push_back(Array::scalar<std::int64_t>(kInt64, it));
    in.push_back(Array::scalar<bool>(kBool, cond));
    in.insert(in.end(), carried.begin(), carried.end());
    auto out = ctx.runSubgraph(*body, in);
    if (!out) return out.status();
    auto& o = out.value();
    if (o.size() != 1 + nCarried + nScan)
      return ctx.fail("the body has " + std::to_string(o.size()) + " outputs; expected " + std::to_string(1 + nCarried + nScan));
    cond = readIndex(o[0], 0) != 0;
    for (std::size_t i = 0; i < nCarried; ++i) carried[i] = o[1 + i];
    for (std::size_t i = 0; i < nScan; ++i) scans[i].push_back(o[1 + nCarried + i]);
  }
  for (std::size_t i = 0; i < nCarried; ++i) ctx.setOutput(i, carried[i]);
  for (std::size_t i = 0; i < nScan; ++i) {
    if (!ctx.wantsOutput(nCarried + i)) continue;
    auto s = stack(scans[i]);
    if (!s) return ctx.fail(s.message());
    ctx.setOutput(nCarried + i, s.value());
  }
  return Status::ok();
}

// Moves axis `axis` of a to the front (a copy), so slices along it are contiguous.
Array moveAxisToFront(const Array& a, std::size_t axis) {
  if (axis == 0) return a;
  std::vector<std::int64_t> shape{a.dim(axis)};
  auto cs = contiguousStrides(a.shape());
  std::vector<std::int64_t> strides{cs[axis]};
  for (std::size_t d = 0; d < a.rank(); ++d)
    if (d != axis) {
      shape.push_back(a.dim(d));
      strides.push_back(cs[d]);
    }
  Array out = Array::uninitialized(a.dtype(), shape);
  std::size_t es = a.elementSize();
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t i = 0; i < out.size(); ++i) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < idx.size(); ++d) off += idx[d] * strides[d];
    std::memcpy(static_cast<std::byte*>(out.raw()) + static_cast<std::size_t>(i) * es,
                static_cast<const std::byte*>(a.raw()) + static_cast<std::size_t>(off) * es, es);
    for (std::size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// Inverse of moveAxisToFront: axis 0 of a goes to position `axis`.
Array moveFrontToAxis(const Array& a, std::size_t axis) {
  if (axis == 0) return a;
  std::vector<std::int64_t> perm;  // out dim d reads a's dim perm[d]
  for (std::size_t d = 1; d <= axis; ++d) perm.push_back(static_cast<std::int64_t>(d));
  perm.push_back(0);
  for (std::size_t d = axis + 1; d < a.rank(); ++d) perm.push_back(static_cast<std::int64_t>(d));
  auto cs = contiguousStrides(a.shape());
  std::vector<std::int64_t> shape, strides;
  for (auto p : perm) {
    shape.push_back(a.dim(static_cast<std::size_t>(p)));
    strides.push_back(cs[static_cast<std::size_t>(p)]);
  }
  Array out = Array::uninitialized(a.dtype(), shape);
  std::size_t es = a.elementSize();
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t i = 0; i < out.size(); ++i) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < idx.size(); ++d) off += idx[d] * strides[d];
    std::memcpy(static_cast<std::byte*>(out.raw()) + static_cast<std::size_t>(i) * es,
                static_cast<const std::byte*>(a.raw()) + static_cast<std::size_t>(off) * es, es);
    for (std::size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

Status scanK(Context& ctx) {
  if (ctx.opset() < 9) return ctx.unsupported("Scan before opset 9 (with a batch axis) is not supported");
  const Graph* body = ctx.subgraph("body");
  if (!body) return ctx.fail("missing body");
  auto nScanIn = static_cast<std::size_t>(ctx.attrInt("num_scan_inputs", 0));
  if (nScanIn == 0 || nScanIn > ctx.inputCount()) return ctx.fail("num_scan_inputs is out of range");
  std::size_t nState = ctx.inputCount() - nScanIn;
  std::size_t nScanOut = ctx.outputCount() - nState;
  auto inAxes = ctx.attrInts("scan_input_axes"), inDirs = ctx.attrInts("scan_input_directions");
  auto outAxes = ctx.attrInts("scan_output_axes"), outDirs = ctx.attrInts("scan_output_directions");
  inAxes.resize(nScanIn, 0);
  inDirs.resize(nScanIn, 0);
  outAxes.resize(nScanOut, 0);
  outDirs.resize(nScanOut, 0);
  std::vector<Array> state(ctx.inputs().begin(), ctx.inputs().begin() + static_cast<std::ptrdiff_t>(nState));
  std::vector<Array> seqs;
  std::int64_t steps = -1;
  for (std::size_t i = 0; i < nScanIn; ++i) {
    const Array& a = ctx.input(nState + i);
    std::int64_t ax = inAxes[i];
    if (!normalizeAxis(ax, static_cast<std::int64_t>(a.rank()))) return ctx.fail("scan_input_axes out of range");
    seqs.push_back(moveAxisToFront(a, static_cast<std::size_t>(ax)));
    if (steps >= 0 && seqs.back().dim(0) != steps) return ctx.fail("scan inputs have different lengths");
    steps = seqs.back().dim(0);
  }
  std::vector<std::vector<Array>> outs(nScanOut);
  for (std::int64_t t = 0; t < steps; ++t) {
    std::vector<Array> in = state;
    for (std::size_t i = 0; i < nScanIn; ++i) {
      std::int64_t k = inDirs[i] ? steps - 1 - t : t;
      const Array& s = seqs[i];
      std::vector<std::int64_t> sliceShape(s.shape().begin() + 1, s.shape().end());
      Array slice = Array::uninitialized(s.dtype(), sliceShape);
      std::memcpy(slice.raw(), static_cast<const std::byte*>(s.raw()) + static_cast<std::size_t>(k) * slice.bytes(), slice.bytes());
      in.push_back(slice);
    }
    auto out = ctx.runSubgraph(*body, in);
    if (!out) return out.status();
    if (out.value().size() != nState + nScanOut) return ctx.fail("the body's output count does not match the node");
    for (std::size_t i = 0; i < nState; ++i) state[i] = out.value()[i];
    for (std::size_t i = 0; i < nScanOut; ++i) outs[i].push_back(out.value()[nState + i]);
  }
  for (std::size_t i = 0; i < nState; ++i) ctx.setOutput(i, state[i]);
  for (std::size_t i = 0; i < nScanOut; ++i) {
    if (outDirs[i]) std::reverse(outs[i].begin(), outs[i].end());
    auto s = stack(outs[i]);
    if (!s) return ctx.fail(s.message());
    std::int64_t ax = outAxes[i];
    if (!normalizeAxis(ax, static_cast<std::int64_t>(s.value().rank()))) return ctx.fail("scan_output_axes out of range");
    ctx.setOutput(nState + i, moveFrontToAxis(s.value(), static_cast<std::size_t>(ax)));
  }
  return Status::ok();
}

}  // namespace

void registerControlKernels() {
  registerKernel("", "If", ifK, true);
  registerKernel("", "Loop", loopK, true);
  registerKernel("", "Scan", scanK, true);
}

}  // namespace graft::eval
