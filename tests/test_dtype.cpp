// The element type table: names and widths, sub-byte packing, and the narrow float formats'
// conversions (ONNX Cast rules: round to nearest even, saturation, NaN and infinity).
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "graft/dtype.h"
#include "graft/eval.h"
#include "testutil.h"

using namespace graft;

namespace {

constexpr std::int32_t kFloat8Types[] = {dtype::kFloat8E4M3FN, dtype::kFloat8E4M3FNUZ, dtype::kFloat8E5M2, dtype::kFloat8E5M2FNUZ};

std::uint32_t enc(std::int32_t code, float v, bool saturate = true) { return floatToNarrowFloat(code, v, saturate); }

}  // namespace

class TestDtype : public QObject {
  Q_OBJECT

 private slots:
  void everyTypeUpToInt2HasANameAndAWidth() {
    for (std::int32_t c = 1; c <= dtype::kLastKnown; ++c) {
      QVERIFY(std::string(elementTypeName(c)) != "undefined");
      QCOMPARE(elementTypeFromName(elementTypeName(c)).value_or(-1), c);
    }
    QCOMPARE(std::string(elementTypeName(dtype::kFloat8E8M0)), std::string("float8e8m0"));
    QCOMPARE(elementTypeInfo(dtype::kInt2).bits, 2);
    QCOMPARE(elementTypeInfo(dtype::kFloat4E2M1).bits, 4);
    QCOMPARE(std::string(elementTypeName(99)), std::string("undefined"));
    QVERIFY(!elementTypeFromName("float9").has_value());
  }

  void subByteTypesPackTwoOrFourToAByteWithZeroPadding() {
    QCOMPARE(packedByteCount(dtype::kInt4, 3).value(), std::uint64_t(2));
    QCOMPARE(packedByteCount(dtype::kUInt2, 5).value(), std::uint64_t(2));
    QCOMPARE(packedByteCount(dtype::kFloat8E5M2, 5).value(), std::uint64_t(5));
    QVERIFY(!packedByteCount(dtype::kString, 5).has_value());
    // int4 [-8, 7, 1]: first element in the low nibble, the last byte's high nibble zero.
    std::uint8_t in[3] = {static_cast<std::uint8_t>(-8), 7, 1}, packed[2], back[3];
    packSubByte(dtype::kInt4, in, 3, packed);
    QCOMPARE(int(packed[0]), 0x78);
    QCOMPARE(int(packed[1]), 0x01);
    unpackSubByte(dtype::kInt4, packed, 3, back);
    QCOMPARE(int(static_cast<std::int8_t>(back[0])), -8);
    QCOMPARE(int(back[1]), 7);
    // int2 [-2, 1, -1, 0, 1]: four to a byte.
    std::uint8_t i2[5] = {static_cast<std::uint8_t>(-2), 1, static_cast<std::uint8_t>(-1), 0, 1}, p2[2], b2[5];
    packSubByte(dtype::kInt2, i2, 5, p2);
    QCOMPARE(int(p2[0]), 0b00110110);
    QCOMPARE(int(p2[1]), 0x01);
    unpackSubByte(dtype::kInt2, p2, 5, b2);
    for (int i = 0; i < 5; ++i) QCOMPARE(int(static_cast<std::int8_t>(b2[i])), int(static_cast<std::int8_t>(i2[i])));
  }

  void float8LimitsFollowTheOnnxSpec() {
    QCOMPARE(largestFinite(dtype::kFloat8E4M3FN), 448.0);
    QCOMPARE(largestFinite(dtype::kFloat8E4M3FNUZ), 240.0);
    QCOMPARE(largestFinite(dtype::kFloat8E5M2), 57344.0);
    QCOMPARE(largestFinite(dtype::kFloat8E5M2FNUZ), 57344.0);
    QCOMPARE(largestFinite(dtype::kFloat4E2M1), 6.0);
    QVERIFY(std::isnan(narrowFloatToFloat(dtype::kFloat8E4M3FN, 0x7f)));
    QVERIFY(std::isnan(narrowFloatToFloat(dtype::kFloat8E4M3FNUZ, 0x80)));
    QVERIFY(std::isinf(narrowFloatToFloat(dtype::kFloat8E5M2, 0xfc)));
    QCOMPARE(narrowFloatToFloat(dtype::kFloat8E4M3FN, 0x01), std::ldexp(1.0f, -9));  // smallest subnormal
    QCOMPARE(narrowFloatToFloat(dtype::kFloat8E8M0, 127), 1.0f);
    QVERIFY(std::isnan(narrowFloatToFloat(dtype::kFloat8E8M0, 0xff)));
  }

  void everyFloat8AndFloat4CodeRoundTrips() {
    for (std::int32_t t : kFloat8Types)
      for (std::uint32_t c = 0; c < 256; ++c) {
        float v = narrowFloatToFloat(t, c);
        if (std::isnan(v)) {
          QVERIFY(std::isnan(narrowFloatToFloat(t, enc(t, v))));
          continue;
        }
        QCOMPARE(enc(t, v, false), c);
        if (!std::isinf(v)) QCOMPARE(enc(t, v, true), c);
      }
    for (std::uint32_t c = 0; c < 16; ++c) QCOMPARE(enc(dtype::kFloat4E2M1, narrowFloatToFloat(dtype::kFloat4E2M1, c)), c);
  }

  void float8RoundsToNearestEvenAndSaturatesOrOverflows() {
    // 1 + 1/16 lies halfway between 1 and 1.125 (e4m3): the even mantissa (1) wins.
    QCOMPARE(narrowFloatToFloat(dtype::kFloat8E4M3FN, enc(dtype::kFloat8E4M3FN, 1.0625f)), 1.0f);
    QCOMPARE(narrowFloatToFloat(dtype::kFloat8E4M3FN, enc(dtype::kFloat8E4M3FN, 1.1875f)), 1.25f);
    // Past the largest value: saturate to it, else NaN (e4m3) or infinity (e5m2).
    QCOMPARE(enc(dtype::kFloat8E4M3FN, 1e6f), 0x7eu);
    QCOMPARE(enc(dtype::kFloat8E4M3FN, -1e6f), 0xfeu);
    QCOMPARE(enc(dtype::kFloat8E4M3FN, 1e6f, false), 0x7fu);
    QCOMPARE(enc(dtype::kFloat8E4M3FNUZ, 1e6f, false), 0x80u);
    QCOMPARE(enc(dtype::kFloat8E5M2, 1e6f, false), 0x7cu);
    QCOMPARE(enc(dtype::kFloat8E5M2, -std::numeric_limits<float>::infinity(), true), 0xfbu);
    QCOMPARE(enc(dtype::kFloat8E5M2FNUZ, std::numeric_limits<float>::infinity(), false), 0x80u);
    // 464 is halfway between 448 and 480 (not a value): even rounds down, so it is not an overflow.
    QCOMPARE(enc(dtype::kFloat8E4M3FN, 464.0f, false), 0x7eu);
    // The uz types have no -0; tiny negatives become +0 there and -0 elsewhere.
    QCOMPARE(enc(dtype::kFloat8E4M3FNUZ, -1e-7f), 0x00u);
    QCOMPARE(enc(dtype::kFloat8E4M3FN, -1e-7f), 0x80u);
    // float4: ±6 at most, NaN has no code (the largest one).
    QCOMPARE(enc(dtype::kFloat4E2M1, 9.0f), 0x7u);
    QCOMPARE(enc(dtype::kFloat4E2M1, -3.5f), 0xeu);  // tie between 3 and 4: even mantissa, -4
    QCOMPARE(enc(dtype::kFloat4E2M1, 0.25f), 0x0u);
  }

  void e8m0RoundsUpDownOrToNearest() {
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, 3.0f, true, E8M0Rounding::Up), 128u + 1);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, 3.0f, true, E8M0Rounding::Down), 128u);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, 3.1f, true, E8M0Rounding::Nearest), 129u);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, 2.5f, true, E8M0Rounding::Nearest), 128u);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, 0.124f, true, E8M0Rounding::Up), 0x7cu);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, std::numeric_limits<float>::infinity(), true), 0xfeu);
    QCOMPARE(floatToNarrowFloat(dtype::kFloat8E8M0, std::numeric_limits<float>::infinity(), false), 0xffu);
  }

  void int4TensorsLoadFromPackedInt32DataAndSaveAsPackedRawData() {
    onnx::TensorProto p;
    p.set_name("w");
    p.set_data_type(dtype::kInt4);
    p.add_dims(3);
    p.add_int32_data(0x78);  // -8, 7
    p.add_int32_data(0x0f);  // -1
    auto a = arrayFromProto(p);
    QVERIFY2(a, a.message().c_str());
    QCOMPARE(a.value().size(), std::int64_t(3));
    auto d = arrayToDoubles(a.value()).value();
    QCOMPARE(d, (std::vector<double>{-8, 7, -1}));
    auto back = arrayToProto(a.value(), "w");
    QVERIFY(back.has_raw_data());
    QCOMPARE(back.raw_data(), std::string("\x78\x0f", 2));
    // A raw_data of the wrong packed size is refused with the sizes.
    onnx::TensorProto bad = back;
    bad.set_raw_data(std::string("\x78", 1));
    auto refused = arrayFromProto(bad);
    QVERIFY(!refused);
    QVERIFY(refused.message().find("needs 2") != std::string::npos);
  }

  void castClampsOrWrapsNarrowIntegersAsTheCastVersionSays() {
    Array f(dtype::kFloat, {3});
    f.data<float>()[0] = -9;
    f.data<float>()[1] = 8;
    f.data<float>()[2] = 2.5f;
    CastOptions wrap;  // Cast-25
    auto w = castArray(f, dtype::kInt4, wrap);
    QVERIFY(w);
    QCOMPARE(arrayToDoubles(w.value()).value(), (std::vector<double>{7, -8, 2}));
    CastOptions clamp;
    clamp.wrapNarrowIntegers = false;  // Cast-21..24: round half to even, clamp
    auto c = castArray(f, dtype::kInt4, clamp);
    QVERIFY(c);
    QCOMPARE(arrayToDoubles(c.value()).value(), (std::vector<double>{-8, 7, 2}));
  }

  void npyFilesGetTheDecodedValuesOfTypesNumpyLacks() {
    QTemporaryDir tmp;
    Array f8(dtype::kFloat8E4M3FN, {2});
    f8.data<std::uint8_t>()[0] = static_cast<std::uint8_t>(enc(dtype::kFloat8E4M3FN, 1.5f));
    f8.data<std::uint8_t>()[1] = static_cast<std::uint8_t>(enc(dtype::kFloat8E4M3FN, -448.0f));
    std::string path = (tmp.path() + "/f8.npy").toStdString();
    QVERIFY(writeNpy(path, f8));
    auto back = readNpy(path);
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back.value().dtype(), dtype::kFloat);
    QCOMPARE(back.value().data<float>()[0], 1.5f);
    QCOMPARE(back.value().data<float>()[1], -448.0f);
    Array i2(dtype::kInt2, {1});
    i2.data<std::int8_t>()[0] = -2;
    std::string p2 = (tmp.path() + "/i2.npy").toStdString();
    QVERIFY(writeNpy(p2, i2));
    auto b2 = readNpy(p2);
    QVERIFY(b2);
    QCOMPARE(b2.value().dtype(), dtype::kInt8);
    QCOMPARE(int(b2.value().data<std::int8_t>()[0]), -2);
  }
};

QTEST_GUILESS_MAIN(TestDtype)
#include "test_dtype.moc"
