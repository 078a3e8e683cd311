// Reading, checking and converting blocked weights written by any producer: MatMulNBits <->
// DequantizeLinear(block_size) + MatMul, exactly; Intel Neural Compressor's zero-point packing
// detected and repaired; sizes, block sizes and axes validated for `check`.
#include <algorithm>
#include <cstring>

#include "eval/kernel.h"
#include "quant/internal.h"
#include "rewrite/library_util.h"

namespace graft::quant {

using library::freshName;
using library::intAttr;

namespace {

constexpr std::int32_t kUInt4 = 21;
constexpr std::int32_t kInt4 = 22;

bool isMatMulNBits(const Node& n) { return n.opType() == "MatMulNBits" && n.domain() == "com.microsoft"; }
bool isDefault(const Node& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

std::int64_t attrI(const Node& n, const char* name, std::int64_t def) {
  const auto* a = n.attribute(name);
  return a ? a->i() : def;
}

std::string label(const Node& n) { return n.name().empty() ? "<" + n.opType() + ">" : n.name(); }

Result<std::vector<std::uint8_t>> bytesOf(const Value* v) {
  if (!v || !v->initializer()) return Status(ErrorCode::Unsupported, "not an initializer");
  std::string_view raw = v->initializer()->rawBytes();
  if (!raw.empty() || v->initializer()->elementCount() == 0) return std::vector<std::uint8_t>(raw.begin(), raw.end());
  const auto& p = v->initializer()->proto();
  std::vector<std::uint8_t> out;
  for (auto x : p.int32_data()) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

Result<std::vector<float>> floatsOf(const Value* v) {
  auto a = arrayFromTensor(*v->initializer());
  if (!a) return a.status();
  auto f = castArray(a.value(), eval::kFloat);
  if (!f) return f.status();
  return std::vector<float>(f.value().data<float>(), f.value().data<float>() + f.value().size());
}

onnx::TensorProto rawTensor(const std::string& name, std::int32_t dtype, const std::vector<std::int64_t>& dims, const void* p, std::size_t n) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (auto d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(p), n));
  return t;
}

Result<BlockedWeight> readMatMulNBits(const Node& n, bool* inc) {
  std::int64_t K = attrI(n, "K", 0), N = attrI(n, "N", 0), bits = attrI(n, "bits", 4), bs = attrI(n, "block_size", 0);
  if (n.input(4)) return Status(ErrorCode::Unsupported, "g_idx (act-order) has no DequantizeLinear form");
  auto b = bytesOf(n.input(1));
  if (!b) return Status(ErrorCode::Unsupported, "B is not an initializer");
  if (!n.input(2) || !n.input(2)->initializer()) return Status(ErrorCode::Unsupported, "scales are not an initializer");
  auto s = floatsOf(n.input(2));
  if (!s) return s.status();
  std::vector<std::uint8_t> zp;
  const Value* z = n.input(3);
  if (z) {
    if (!z->initializer()) return Status(ErrorCode::Unsupported, "zero points are not an initializer");
    if (z->initializer()->dataType() != eval::kUInt8) return Status(ErrorCode::Unsupported, "float zero points have no integer form");
    auto zb = bytesOf(z);
    if (!zb) return zb.status();
    zp = zb.value();
  }
  return unpackMatMulNBits(K, N, static_cast<int>(bits), bs, b.value(), s.value(), z ? &zp : nullptr, inc);
}

}  // namespace

Result<int> repairZeroPoints(Model& model) {
  Graph& g = model.graph();
  int repaired = 0;
  for (Node* n : g.nodes()) {
    if (!isMatMulNBits(*n) || !n->input(3)) continue;
    bool inc = false;
    auto w = readMatMulNBits(*n, &inc);
    if (!w || !inc) continue;
    MatMulNBitsTensors t = packMatMulNBits(w.value());
    auto zv = g.addInitializer(rawTensor(freshName(g, n->input(3)->name() + "_per_column"), eval::kUInt8,
                                         {static_cast<std::int64_t>(t.zeroPoints.size())}, t.zeroPoints.data(), t.zeroPoints.size()));
    if (!zv) return zv.status();
    Value* old = n->input(3);
    if (auto s = g.setInput(n, 3, zv.value()); !s) return s;
    library::dropIfUnused(g, old);
    ++repaired;
  }
  return repaired;
}

Result<ConvertReport> convertBlockedWeights(Model& model, BlockedFormat to) {
  ConvertReport report;
  Graph& g = model.graph();
  EditJournal local;
  bool own = model.activeJournal() == nullptr;
  if (own)
    if (auto s = model.beginJournal(&local); !s) return s;
  auto body = [&]() -> Status {
    if (to == BlockedFormat::Qdq) {
      bool any = false;
      g.forEachNode([&](const Node& n) { any |= isMatMulNBits(n); });
      if (!any) return Status::ok();
      if (auto s = ensureOpset21(model); !s) return s;
      for (Node* n : g.nodes()) {
        if (!isMatMulNBits(*n)) continue;
        bool inc = false;
        auto w = readMatMulNBits(*n, &inc);
        if (!w) return Status(w.status().code(), "MatMulNBits '" + label(*n) + "': " + w.message());
        report.repairedZeroPoints += inc;
        std::string base = n->input(1)->name();
        BlockedQdqTensors t = packBlockedQdq(w.value(), base);
        t.data.set_name(freshName(g, t.data.name()));
        t.scale.set_name(freshName(g, t.scale.name()));
        auto dv = g.addInitializer(t.data);
        if (!dv) return dv.status();
        auto sv = g.addInitializer(t.scale);
        if (!sv) return sv.status();
        Graph::NewNode d;
        d.opType = "DequantizeLinear";
        d.name = freshNodeName(g, base + "_DequantizeLinear");
        d.inputs = {dv.value(), sv.value()};
        if (t.hasZeroPoint) {
          t.zeroPoint.set_name(freshName(g, t.zeroPoint.name()));
          auto zv = g.addInitializer(t.zeroPoint);
          if (!zv) return zv.status();
          d.inputs.push_back(zv.value());
        }
        d.outputNames = {freshName(g, base + "_dequantized")};
        d.attributes = {intAttr("axis", 0), intAttr("block_size", w->blockSize)};
        auto dn = g.addNode(std::move(d), n);
        if (!dn) return dn.status();
        Value* y = n->output(0);
        auto keep = library::takeName(g, y);
        if (!keep) return keep.status();
        Value* bias = n->input(5);
        Graph::NewNode m;
        m.opType = "MatMul";
        m.name = freshNodeName(g, label(*n) + "_MatMul");
        m.inputs = {n->input(0), dn.value()->output(0)};
        m.outputNames = {bias ? freshName(g, *keep + "_matmul") : *keep};
        auto mn = g.addNode(std::move(m), n);
        if (!mn) return mn.status();
        Value* out = mn.value()->output(0);
        if (bias) {
          Graph::NewNode a;
          a.opType = "Add";
          a.name = freshNodeName(g, label(*n) + "_bias");
          a.inputs = {out, bias};
          a.outputNames = {*keep};
          auto an = g.addNode(std::move(a), n);
          if (!an) return an.status();
          out = an.value()->output(0);
        }
        g.replaceAllUses(y, out);
        std::vector<Value*> ins = n->inputs();
        std::string replaced = y->name();
        g.eraseNode(n);
        library::dropDangling(g, replaced);
        for (Value* in : ins) library::dropIfUnused(g, in);
        ++report.converted;
      }
      return Status::ok();
    }
    // DequantizeLinear(block_size) feeding MatMul's right side -> MatMulNBits, one per MatMul.
    for (Node* d : g.nodes()) {
      if (!isDefault(*d) || d->opType() != "DequantizeLinear" || !d->attribute("block_size")) continue;
      std::int64_t bs = attrI(*d, "block_size", 0), axis = attrI(*d, "axis", 1);
      Value* data = d->input(0);
      if (!data || !data->initializer() || data->initializer()->dims().size() != 2 || axis != 0) continue;
      if (!d->input(1) || !d->input(1)->initializer()) continue;
      std::vector<Node*> matmuls;
      for (const Use& u : d->output(0)->uses())
        if (isDefault(*u.node) && u.node->opType() == "MatMul" && u.index == 1) matmuls.push_back(u.node);
      if (matmuls.empty()) continue;
      const onnx::TensorProto* zp = d->input(2) && d->input(2)->initializer() ? &d->input(2)->initializer()->proto() : nullptr;
      onnx::TensorProto dataProto = data->initializer()->proto();
      if (data->initializer()->isExternal()) {
        dataProto.clear_external_data();
        dataProto.set_data_location(onnx::TensorProto::DEFAULT);
        dataProto.set_raw_data(std::string(data->initializer()->rawBytes()));
      }
      auto w = unpackBlockedQdq(dataProto, d->input(1)->initializer()->proto(), zp, bs);
      if (!w) return Status(w.status().code(), "DequantizeLinear '" + label(*d) + "': " + w.message());
      MatMulNBitsTensors t = packMatMulNBits(w.value());
      std::string base = data->name();
      auto bv = g.addInitializer(rawTensor(freshName(g, base + "_nbits"), eval::kUInt8, t.bShape, t.b.data(), t.b.size()));
      if (!bv) return bv.status();
      auto sv = g.addInitializer(rawTensor(freshName(g, base + "_scales"), eval::kFloat, {static_cast<std::int64_t>(t.scales.size())},
                                           t.scales.data(), t.scales.size() * 4));
      if (!sv) return sv.status();
      Value* zv = nullptr;
      if (!t.zeroPoints.empty()) {
        auto z = g.addInitializer(rawTensor(freshName(g, base + "_zero_points"), eval::kUInt8, {static_cast<std::int64_t>(t.zeroPoints.size())},
                                            t.zeroPoints.data(), t.zeroPoints.size()));
        if (!z) return z.status();
        zv = z.value();
      }
      library::ensureDomain(g, "com.microsoft");
      for (Node* mm : matmuls) {
        Value* y = mm->output(0);
        auto keep = library::takeName(g, y);
        if (!keep) return keep.status();
        Graph::NewNode m;
        m.opType = "MatMulNBits";
        m.domain = "com.microsoft";
        m.name = freshNodeName(g, label(*mm) + "_MatMulNBits");
        m.inputs = {mm->input(0), bv.value(), sv.value()};
        if (zv) m.inputs.push_back(zv);
        m.outputNames = {*keep};
        m.attributes = {intAttr("K", w->K), intAttr("N", w->N), intAttr("bits", w->bits), intAttr("block_size", bs)};
        auto mn = g.addNode(std::move(m), mm);
        if (!mn) return mn.status();
        g.replaceAllUses(y, mn.value()->output(0));
        std::string replaced = y->name();
        g.eraseNode(mm);
        library::dropDangling(g, replaced);
        ++report.converted;
      }
      library::dropIfUnused(g, d->output(0));
    }
    return Status::ok();
  };
  Status s = body();
  if (s && to == BlockedFormat::MatMulNBits) {
    auto r = repairZeroPoints(model);
    if (!r) s = r.status();
    else report.repairedZeroPoints += r.value();
  }
  if (own) {
    model.endJournal();
    if (!s) model.undoJournal(local);
  }
  if (!s) return s;
  return report;
}

std::vector<QuantProblem> validateQuantization(const Model& model) {
  std::vector<QuantProblem> out;
  auto add = [&](const Node* n, std::string message, bool error = true) {
    out.push_back({error, n ? label(*n) : std::string(), n ? n->opType() : std::string(), std::move(message)});
  };
  const Graph& g = model.graph();
  // 4-bit tensors: two values a byte.
  for (const Value* v : g.initializers()) {
    const Tensor* t = v->initializer();
    if (!t || (t->dataType() != kInt4 && t->dataType() != kUInt4) || t->isExternal()) continue;
    std::uint64_t n = t->elementCount(), need = (n + 1) / 2;
    if (t->proto().has_raw_data() && t->proto().raw_data().size() != need)
      add(nullptr, "4-bit initializer '" + v->name() + "' holds " + std::to_string(t->proto().raw_data().size()) + " bytes; its " +
                       std::to_string(n) + " values packed two a byte take " + std::to_string(need));
  }
  g.forEachNode([&](const Node& n) {
    if (isMatMulNBits(n)) {
      std::int64_t K = attrI(n, "K", 0), N = attrI(n, "N", 0), bits = attrI(n, "bits", 4), bs = attrI(n, "block_size", 0);
      if (K <= 0 || N <= 0) return add(&n, "attributes K and N must be positive (K=" + std::to_string(K) + ", N=" + std::to_string(N) + ")");
      if (bits != 2 && bits != 4 && bits != 8) return add(&n, "bits=" + std::to_string(bits) + " (MatMulNBits takes 2, 4 or 8)");
      if (bs < 16 || (bs & (bs - 1))) return add(&n, "block_size=" + std::to_string(bs) + " must be a power of two and at least 16");
      std::int64_t blocks = (K + bs - 1) / bs, blob = bs * bits / 8;
      if (const Value* b = n.input(1); b && b->initializer()) {
        auto d = b->initializer()->dims();
        if (b->initializer()->dataType() != eval::kUInt8 || d.size() != 3 || d[0] != N || d[1] != blocks || d[2] != blob)
          add(&n, "B must be uint8 [N, ceil(K/block_size), block_size*bits/8] = [" + std::to_string(N) + "," + std::to_string(blocks) + "," +
                      std::to_string(blob) + "]");
      }
      if (const Value* s = n.input(2); s && s->initializer() && static_cast<std::int64_t>(s->initializer()->elementCount()) != N * blocks)
        add(&n, "scales have " + std::to_string(s->initializer()->elementCount()) + " values; N*ceil(K/block_size) = " + std::to_string(N * blocks));
      if (const Value* z = n.input(3); z && z->initializer()) {
        std::int64_t have = static_cast<std::int64_t>(z->initializer()->elementCount());
        if (z->initializer()->dataType() == eval::kUInt8) {
          std::int64_t ort = zeroPointBytesOrt(N, blocks, static_cast<int>(bits)), global = zeroPointBytesGlobal(N, blocks, static_cast<int>(bits));
          if (have != ort && have == global)
            add(&n, "zero points '" + z->name() + "' are packed globally (" + std::to_string(have) +
                        " bytes, Intel Neural Compressor's layout); ONNX Runtime reads N*ceil(blocks*bits/8) = " + std::to_string(ort) +
                        " bytes, each column's zero points starting a new byte, and refuses to load this. Repair: graft-cli convert IN OUT --blocked-weights matmulnbits");
          else if (have != ort)
            add(&n, "zero points '" + z->name() + "' have " + std::to_string(have) + " bytes; ONNX Runtime reads N*ceil(blocks*bits/8) = " +
                        std::to_string(ort) + " bytes");
        } else if (have != N * blocks) {
          add(&n, "zero points '" + z->name() + "' (float) need N*blocks = " + std::to_string(N * blocks) + " values, have " + std::to_string(have));
        }
      }
      return;
    }
    if (isDefault(n) && n.opType() == "DequantizeLinear" && n.attribute("block_size")) {
      std::int64_t bs = attrI(n, "block_size", 0), axis = attrI(n, "axis", 1);
      const Value* x = n.input(0);
      const Value* s = n.input(1);
      if (bs <= 0) return add(&n, "block_size=" + std::to_string(bs) + " must be positive for blocked quantization (0 means per-axis)");
      if (!x || !x->initializer() || !s || !s->initializer()) return;
      auto xd = x->initializer()->dims(), sd = s->initializer()->dims();
      std::int64_t r = static_cast<std::int64_t>(xd.size());
      if (axis < -r || axis >= r) return add(&n, "axis=" + std::to_string(axis) + " is out of range for a rank-" + std::to_string(r) + " input");
      if (axis < 0) axis += r;
      bool ok = sd.size() == xd.size();
      for (std::size_t i = 0; ok && i < xd.size(); ++i)
        ok = static_cast<std::int64_t>(i) == axis ? sd[i] == (xd[i] + bs - 1) / bs : sd[i] == xd[i];
      if (!ok) {
        std::string want = "[";
        for (std::size_t i = 0; i < xd.size(); ++i)
          want += (i ? "," : "") + std::to_string(static_cast<std::int64_t>(i) == axis ? (xd[i] + bs - 1) / bs : xd[i]);
        add(&n, "blocked scale '" + s->name() + "' must have the input's shape with axis " + std::to_string(axis) +
                    " divided by block_size, rounded up: " + want + "]  (in blocked mode `axis` is the axis the blocks run along)");
      }
      if (const Value* z = n.input(2); z && z->initializer()) {
        if (z->initializer()->dims() != sd) add(&n, "zero point '" + z->name() + "' must have the scale's shape");
        if (z->initializer()->dataType() != x->initializer()->dataType()) add(&n, "zero point '" + z->name() + "' must have the data's element type");
      }
    }
  });
  return out;
}

}  // namespace graft::quant
