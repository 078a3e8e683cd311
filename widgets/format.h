// Numbers, sizes and ONNX values as the studio shows them: locale-aware, compact where a
// table column is narrow, exact where a panel has room.
#pragma once

#include <QString>

#include <cstdint>

#include <onnx/onnx_pb.h>

namespace graft {

// 1234567 -> "1,234,567" in the user's locale.
QString formatCount(std::uint64_t value);
// 1234567 -> "1.23 M"; below 10,000 the exact count.
QString formatCompact(std::uint64_t value);
// 1234567 -> "1.18 MiB".
QString formatBytes(std::uint64_t bytes);
// "1,234,567 (1.23 M)" for panels.
QString formatCountWithCompact(std::uint64_t value);
// An attribute value as it reads in a panel: "[1, 1]", "0.5", "\"NCHW\"", "float32[64] tensor".
QString formatAttributeValue(const onnx::AttributeProto& attribute);
// "" -> "ai.onnx" so the default domain has a visible name.
QString displayDomain(const std::string& domain);

struct Verification;
// "Verified: max abs diff 2.4e-07 on 1 input set" / "Checked (checker, shapes); not run: …".
QString formatVerification(const Verification& verification);

}  // namespace graft
