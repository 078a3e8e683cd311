// The byte layouts of blocked 4/8-bit weights: ONNX Runtime's MatMulNBits (B transposed, N-major
// per block, per-column packed zero points), opset-21 blocked DequantizeLinear on a [K, N] INT4/UINT4
// tensor, and Intel Neural Compressor's globally packed zero points that ONNX Runtime refuses.
#include <cmath>
#include <cstring>

#include "graft/quant.h"

namespace graft::quant {

namespace {
// onnx 1.12's enum predates the 4-bit types; the numbers are the standard's.
constexpr std::int32_t kUInt4 = 21;
constexpr std::int32_t kInt4 = 22;
constexpr std::int32_t kInt8 = onnx::TensorProto_DataType_INT8;
constexpr std::int32_t kUInt8 = onnx::TensorProto_DataType_UINT8;
constexpr std::int32_t kFloat = onnx::TensorProto_DataType_FLOAT;

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

std::int32_t quantizeValue(float x, float scale, std::int32_t zeroPoint, std::int32_t qmin, std::int32_t qmax) {
  float r = std::nearbyint(x / scale);  // the default rounding mode: half to even
  double v = static_cast<double>(r) + zeroPoint;
  if (v < qmin) return qmin;
  if (v > qmax) return qmax;
  return static_cast<std::int32_t>(v);
}

std::vector<float> BlockedWeight::dequantized() const {
  std::vector<float> w(static_cast<std::size_t>(K * N));
  std::int64_t nb = blocks();
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < K; ++k) {
      std::int64_t b = k / blockSize;
      float s = scales[static_cast<std::size_t>(n * nb + b)];
      w[static_cast<std::size_t>(k * N + n)] =
          static_cast<float>(static_cast<int>(q[static_cast<std::size_t>(n * K + k)]) - static_cast<int>(zero(n, b))) * s;
    }
  return w;
}

std::vector<std::uint8_t> packNibbles(const std::vector<std::uint8_t>& values) {
  std::vector<std::uint8_t> out((values.size() + 1) / 2, 0);
  for (std::size_t i = 0; i < values.size(); ++i)
    out[i / 2] |= static_cast<std::uint8_t>((values[i] & 0x0F) << ((i % 2) * 4));
  return out;
}

std::int64_t zeroPointBytesOrt(std::int64_t N, std::int64_t blocks, int bits) { return N * ceilDiv(blocks * bits, 8); }
std::int64_t zeroPointBytesGlobal(std::int64_t N, std::int64_t blocks, int bits) { return ceilDiv(N * blocks * bits, 8); }

MatMulNBitsTensors packMatMulNBits(const BlockedWeight& w) {
  MatMulNBitsTensors t;
  std::int64_t nb = w.blocks(), blob = w.blockSize * w.bits / 8, perByte = 8 / w.bits;
  t.bShape = {w.N, nb, blob};
  t.b.assign(static_cast<std::size_t>(w.N * nb * blob), 0);
  for (std::int64_t n = 0; n < w.N; ++n)
    for (std::int64_t b = 0; b < nb; ++b)
      for (std::int64_t kk = 0; kk < w.blockSize; ++kk) {
        std::int64_t k = b * w.blockSize + kk;
        // ONNX Runtime's quantizer pads K with zeros, which quantize to the zero point.
        std::uint8_t v = k < w.K ? w.q[static_cast<std::size_t>(n * w.K + k)] : w.zero(n, b);
        std::size_t byte = static_cast<std::size_t>((n * nb + b) * blob + kk / perByte);
        t.b[byte] |= static_cast<std::uint8_t>(v << ((kk % perByte) * w.bits));
      }
  t.scales = w.scales;
  if (!w.zeros.empty()) {
    std::int64_t rowBytes = ceilDiv(nb * w.bits, 8);
    t.zeroPoints.assign(static_cast<std::size_t>(w.N * rowBytes), 0);
    for (std::int64_t n = 0; n < w.N; ++n)
      for (std::int64_t b = 0; b < nb; ++b) {
        std::size_t byte = static_cast<std::size_t>(n * rowBytes + (b * w.bits) / 8);
        t.zeroPoints[byte] |= static_cast<std::uint8_t>(w.zero(n, b) << ((b * w.bits) % 8));
      }
  }
  return t;
}

Result<BlockedWeight> unpackMatMulNBits(std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                        const std::vector<std::uint8_t>& b, const std::vector<float>& scales,
                                        const std::vector<std::uint8_t>* zeroPoints, bool* incLayout) {
  if (incLayout) *incLayout = false;
  if (bits != 4 && bits != 8 && bits != 2)
    return Status(ErrorCode::Unsupported, "bits=" + std::to_string(bits) + " (MatMulNBits weights are 2, 4 or 8 bits)");
  if (K <= 0 || N <= 0 || blockSize < 16 || (blockSize & (blockSize - 1)))
    return Status(ErrorCode::Invalid, "K=" + std::to_string(K) + ", N=" + std::to_string(N) + ", block_size=" +
                                          std::to_string(blockSize) + ": K and N must be positive and block_size a power of two of at least 16");
  BlockedWeight w;
  w.K = K;
  w.N = N;
  w.bits = bits;
  w.blockSize = blockSize;
  std::int64_t nb = w.blocks(), blob = blockSize * bits / 8, perByte = 8 / bits, mask = (1 << bits) - 1;
  if (static_cast<std::int64_t>(b.size()) != N * nb * blob)
    return Status(ErrorCode::Invalid, "B has " + std::to_string(b.size()) + " bytes; N*blocks*blob = " + std::to_string(N) + "*" +
                                          std::to_string(nb) + "*" + std::to_string(blob) + " = " + std::to_string(N * nb * blob));
  if (static_cast<std::int64_t>(scales.size()) != N * nb)
    return Status(ErrorCode::Invalid, "scales has " + std::to_string(scales.size()) + " values; N*blocks = " + std::to_string(N * nb));
  w.q.resize(static_cast<std::size_t>(N * K));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < K; ++k) {
      std::int64_t bl = k / blockSize, kk = k % blockSize;
      std::uint8_t byte = b[static_cast<std::size_t>((n * nb + bl) * blob + kk / perByte)];
      w.q[static_cast<std::size_t>(n * K + k)] = static_cast<std::uint8_t>((byte >> ((kk % perByte) * bits)) & mask);
    }
  w.scales = scales;
  if (zeroPoints && !zeroPoints->empty()) {
    std::int64_t ort = zeroPointBytesOrt(N, nb, bits), global = zeroPointBytesGlobal(N, nb, bits);
    std::int64_t have = static_cast<std::int64_t>(zeroPoints->size());
    bool inc = have != ort && have == global;
    if (have != ort && !inc)
      return Status(ErrorCode::Invalid, "zero points have " + std::to_string(have) + " bytes; ONNX Runtime reads N*ceil(blocks*bits/8) = " +
                                            std::to_string(ort) + " bytes, packed per column");
    if (incLayout) *incLayout = inc;
    w.zeros.resize(static_cast<std::size_t>(N * nb));
    std::int64_t rowBytes = ceilDiv(nb * bits, 8);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t bl = 0; bl < nb; ++bl) {
        // Per column: each column's zero points start at a fresh byte. Globally (INC): one stream.
        std::int64_t bitPos = inc ? (n * nb + bl) * bits : n * rowBytes * 8 + bl * bits;
        std::uint8_t byte = (*zeroPoints)[static_cast<std::size_t>(bitPos / 8)];
        w.zeros[static_cast<std::size_t>(n * nb + bl)] = static_cast<std::uint8_t>((byte >> (bitPos % 8)) & mask);
      }
  }
  return w;
}

namespace {

onnx::TensorProto makeTensor(const std::string& name, std::int32_t dtype, const std::vector<std::int64_t>& dims,
                             const void* bytes, std::size_t size) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (auto d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(bytes), size));
  return t;
}

Result<std::vector<std::uint8_t>> tensorBytes(const onnx::TensorProto& t, std::int64_t count, int bits) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return Status(ErrorCode::Unsupported, "tensor '" + t.name() + "' has external data here; load the model with its data");
  std::int64_t need = bits == 4 ? (count + 1) / 2 : count;
  std::vector<std::uint8_t> out;
  if (t.has_raw_data()) {
    const std::string& r = t.raw_data();
    if (static_cast<std::int64_t>(r.size()) != need)
      return Status(ErrorCode::Invalid, "tensor '" + t.name() + "' holds " + std::to_string(r.size()) + " bytes but its " +
                                            std::to_string(count) + " " + std::to_string(bits) + "-bit values take " + std::to_string(need));
    out.assign(r.begin(), r.end());
  } else {
    // int32_data holds one (sub-byte: two packed) value per entry.
    if (bits == 4) {
      if (t.int32_data_size() != need) return Status(ErrorCode::Invalid, "tensor '" + t.name() + "' has the wrong number of int32_data entries");
      for (auto v : t.int32_data()) out.push_back(static_cast<std::uint8_t>(v));
    } else {
      if (t.int32_data_size() != count) return Status(ErrorCode::Invalid, "tensor '" + t.name() + "' has the wrong number of int32_data entries");
      for (auto v : t.int32_data()) out.push_back(static_cast<std::uint8_t>(v));
    }
  }
  if (bits == 8) return out;
  std::vector<std::uint8_t> values(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) values[static_cast<std::size_t>(i)] = (out[static_cast<std::size_t>(i / 2)] >> ((i % 2) * 4)) & 0x0F;
  return values;
}

Result<std::vector<float>> floatValues(const onnx::TensorProto& t) {
  if (t.data_type() != kFloat) return Status(ErrorCode::Unsupported, "scale '" + t.name() + "' is not float32");
  std::int64_t n = 1;
  for (auto d : t.dims()) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.size() * 4) return Status(ErrorCode::Invalid, "scale '" + t.name() + "' has the wrong byte count");
    std::memcpy(v.data(), t.raw_data().data(), v.size() * 4);
  } else {
    if (t.float_data_size() != n) return Status(ErrorCode::Invalid, "scale '" + t.name() + "' has the wrong number of values");
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = t.float_data(i);
  }
  return v;
}

}  // namespace

BlockedQdqTensors packBlockedQdq(const BlockedWeight& w, const std::string& baseName) {
  BlockedQdqTensors t;
  std::int64_t nb = w.blocks();
  bool defaultZeros = true;
  for (std::int64_t n = 0; n < w.N && defaultZeros; ++n)
    for (std::int64_t b = 0; b < nb; ++b)
      if (w.zero(n, b) != (1u << (w.bits - 1))) defaultZeros = false;
  t.hasZeroPoint = !defaultZeros;
  // [K, N] in row-major order; signed values are the unsigned ones minus 2^(bits-1).
  std::vector<std::uint8_t> values(static_cast<std::size_t>(w.K * w.N));
  std::uint8_t mask = static_cast<std::uint8_t>((1u << w.bits) - 1);
  int offset = defaultZeros ? (1 << (w.bits - 1)) : 0;
  for (std::int64_t k = 0; k < w.K; ++k)
    for (std::int64_t n = 0; n < w.N; ++n)
      values[static_cast<std::size_t>(k * w.N + n)] =
          static_cast<std::uint8_t>((static_cast<int>(w.q[static_cast<std::size_t>(n * w.K + k)]) - offset) & mask);
  std::int32_t dtype = w.bits == 4 ? (defaultZeros ? kInt4 : kUInt4) : (defaultZeros ? kInt8 : kUInt8);
  if (w.bits == 4) {
    auto packed = packNibbles(values);
    t.data = makeTensor(baseName + "_q", dtype, {w.K, w.N}, packed.data(), packed.size());
  } else {
    t.data = makeTensor(baseName + "_q", dtype, {w.K, w.N}, values.data(), values.size());
  }
  std::vector<float> scales(static_cast<std::size_t>(nb * w.N));
  for (std::int64_t b = 0; b < nb; ++b)
    for (std::int64_t n = 0; n < w.N; ++n) scales[static_cast<std::size_t>(b * w.N + n)] = w.scales[static_cast<std::size_t>(n * nb + b)];
  t.scale = makeTensor(baseName + "_scale", kFloat, {nb, w.N}, scales.data(), scales.size() * 4);
  if (t.hasZeroPoint) {
    std::vector<std::uint8_t> zp(static_cast<std::size_t>(nb * w.N));
    for (std::int64_t b = 0; b < nb; ++b)
      for (std::int64_t n = 0; n < w.N; ++n) zp[static_cast<std::size_t>(b * w.N + n)] = w.zero(n, b);
    if (w.bits == 4) {
      auto packed = packNibbles(zp);
      t.zeroPoint = makeTensor(baseName + "_zero_point", kUInt4, {nb, w.N}, packed.data(), packed.size());
    } else {
      t.zeroPoint = makeTensor(baseName + "_zero_point", kUInt8, {nb, w.N}, zp.data(), zp.size());
    }
  }
  return t;
}

Result<BlockedWeight> unpackBlockedQdq(const onnx::TensorProto& data, const onnx::TensorProto& scale,
                                       const onnx::TensorProto* zeroPoint, std::int64_t blockSize) {
  std::int32_t dt = data.data_type();
  int bits = (dt == kInt4 || dt == kUInt4) ? 4 : (dt == kInt8 || dt == kUInt8) ? 8 : 0;
  if (!bits) return Status(ErrorCode::Unsupported, "blocked weight '" + data.name() + "' is not INT4/UINT4/INT8/UINT8");
  if (data.dims_size() != 2) return Status(ErrorCode::Unsupported, "blocked weight '" + data.name() + "' is not 2-D [K, N]");
  BlockedWeight w;
  w.K = data.dims(0);
  w.N = data.dims(1);
  w.bits = bits;
  w.blockSize = blockSize;
  if (blockSize < 16 || (blockSize & (blockSize - 1)))
    return Status(ErrorCode::Unsupported, "block_size " + std::to_string(blockSize) + " has no MatMulNBits form (a power of two of at least 16)");
  std::int64_t nb = w.blocks();
  if (scale.dims_size() != 2 || scale.dims(0) != nb || scale.dims(1) != w.N)
    return Status(ErrorCode::Invalid, "scale '" + scale.name() + "' must be [ceil(K/block_size), N] = [" + std::to_string(nb) + "," + std::to_string(w.N) + "]");
  auto values = tensorBytes(data, w.K * w.N, bits);
  if (!values) return values.status();
  auto s = floatValues(scale);
  if (!s) return s.status();
  bool isSigned = dt == kInt4 || dt == kInt8;
  int offset = isSigned ? (1 << (bits - 1)) : 0;
  int mask = (1 << bits) - 1;
  std::vector<std::uint8_t> zp;
  if (zeroPoint) {
    if (zeroPoint->data_type() != dt) return Status(ErrorCode::Invalid, "zero point '" + zeroPoint->name() + "' has another type than the data");
    auto z = tensorBytes(*zeroPoint, nb * w.N, bits);
    if (!z) return z.status();
    zp = z.value();
  }
  w.q.resize(static_cast<std::size_t>(w.K * w.N));
  for (std::int64_t k = 0; k < w.K; ++k)
    for (std::int64_t n = 0; n < w.N; ++n)
      w.q[static_cast<std::size_t>(n * w.K + k)] = static_cast<std::uint8_t>((values.value()[static_cast<std::size_t>(k * w.N + n)] + offset) & mask);
  w.scales.resize(static_cast<std::size_t>(w.N * nb));
  for (std::int64_t b = 0; b < nb; ++b)
    for (std::int64_t n = 0; n < w.N; ++n) w.scales[static_cast<std::size_t>(n * nb + b)] = s.value()[static_cast<std::size_t>(b * w.N + n)];
  bool needZeros = zeroPoint || !isSigned;
  if (needZeros) {
    w.zeros.resize(static_cast<std::size_t>(w.N * nb));
    for (std::int64_t b = 0; b < nb; ++b)
      for (std::int64_t n = 0; n < w.N; ++n)
        w.zeros[static_cast<std::size_t>(n * nb + b)] =
            static_cast<std::uint8_t>(((zp.empty() ? 0 : zp[static_cast<std::size_t>(b * w.N + n)]) + offset) & mask);
  }
  return w;
}

}  // namespace graft::quant
