// `graft-cli convert IN OUT`: load and save again, choosing where the weights go (inline in
// the .onnx, or one external data file beside it). The save is atomic, so OUT may equal IN.
#include <charconv>
#include <filesystem>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "graft/io.h"
#include "graft/quant.h"
#include "graft/rewrite.h"

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli convert IN OUT [--external-data [--threshold BYTES] [--data-file NAME]]\n"
    "                                [--inline] [--opset N] [--blocked-weights qdq|matmulnbits]\n"
    "                                [--progress]\n"
    "\n"
    "Load IN and save it as OUT. Everything the model holds is kept (metadata, doc strings,\n"
    "functions, unknown fields). The write is atomic: OUT is replaced only once it is\n"
    "complete, so OUT may be IN itself.\n"
    "\n"
    "Options:\n"
    "  --inline           put every tensor inside OUT (fails above protobuf's 2 GiB limit)\n"
    "  --external-data    put tensors of at least --threshold bytes into one file beside OUT\n"
    "  --threshold BYTES  smallest tensor that goes external (default 1024; accepts K, M, G)\n"
    "  --data-file NAME   name of the external data file in OUT's folder (default OUT's file\n"
    "                     name + \".data\")\n"
    "  --opset N          convert to ai.onnx opset N first (ONNX's version converter, up or down)\n"
    "  --blocked-weights F  rewrite every blocked 4/8-bit weight into one encoding, exactly:\n"
    "                     matmulnbits (com.microsoft.MatMulNBits, also repacks Intel Neural\n"
    "                     Compressor's global zero points into the per-column layout ONNX Runtime\n"
    "                     reads) or qdq (opset-21 DequantizeLinear with block_size + MatMul)\n"
    "  --progress         show loading and saving progress on stderr\n"
    "  --through-symlink  OUT may be a symbolic link: replace the file it leads to (without it a\n"
    "                     link is refused, as are devices, FIFOs and folders always)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Without --inline or --external-data, weights stay external when IN had external data or\n"
    "the model would exceed 2 GiB, and inline otherwise.\n"
    "\n"
    "Exit codes: 0 written, 1 the opset or blocked-weight conversion failed, 2 usage error, 3 cannot read IN or write OUT.\n";

}  // namespace

int runConvert(std::vector<std::string> args) {
  CommandLine cl("convert", kUsage);
  cl.flag("--inline");
  cl.flag("--external-data");
  cl.option("--threshold");
  cl.option("--data-file");
  cl.option("--opset");
  cl.option("--blocked-weights");
  cl.flag("--progress");
  cl.flag("--through-symlink");
  if (auto stop = cl.parse(args, {"IN", "OUT"})) return *stop;
  const std::string& in = cl.positionals()[0];
  const std::string& out = cl.positionals()[1];

  SaveOptions options;
  bool external = cl.has("--external-data");
  if (cl.has("--inline") && external)
    return cl.usageError("--inline and --external-data contradict each other; choose one");
  if (cl.has("--inline") && (cl.has("--threshold") || cl.has("--data-file")))
    return cl.usageError("--threshold and --data-file apply to --external-data, not to --inline");
  if (!external && (cl.has("--threshold") || cl.has("--data-file")))
    return cl.usageError("--threshold and --data-file need --external-data");
  if (cl.has("--inline")) options.data = SaveOptions::Data::Inline;
  if (external) options.data = SaveOptions::Data::External;
  if (cl.has("--threshold")) {
    auto t = parseSize(cl.value("--threshold"));
    if (!t) return cl.usageError("--threshold wants a byte count such as 1024, 64K or 1M, not '" +
                                 cl.value("--threshold") + "'");
    options.threshold = *t;
  }
  if (cl.has("--data-file")) {
    const std::string& name = cl.value("--data-file");
    // The data file must sit in OUT's folder: loaders refuse locations that leave it.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      return cl.usageError("--data-file wants a plain file name (it is written next to OUT), not '" + name + "'");
    if (std::filesystem::path(name).filename() == std::filesystem::path(out).filename())
      return cl.usageError("--data-file '" + name + "' would overwrite OUT itself");
    options.externalFile = name;
  }

  std::int64_t opset = 0;
  if (cl.has("--opset")) {
    const std::string& v = cl.value("--opset");
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), opset);
    if (ec != std::errc() || end != v.data() + v.size() || opset < 1)
      return cl.usageError("--opset wants an ai.onnx opset number such as 17, not '" + v + "'");
  }

  bool progress = cl.has("--progress");
  auto loaded = loadWithProgress(in, progress);
  if (!loaded) return reportError(loaded.status(), in);
  if (opset) {
    std::int64_t from = (*loaded)->opsetVersion("");
    auto converted = convertOpset(**loaded, opset);
    if (!converted) {
      std::cerr << "graft-cli: " << in << ": " << converted.message() << "\n";
      return 1;
    }
    *loaded = std::move(converted.value());
    std::cout << "converted ai.onnx opset " << from << " to " << opset << "\n";
  }

  if (cl.has("--blocked-weights")) {
    const std::string& f = cl.value("--blocked-weights");
    if (f != "qdq" && f != "matmulnbits") return cl.usageError("--blocked-weights wants qdq or matmulnbits, not '" + f + "'");
    auto r = quant::convertBlockedWeights(**loaded, f == "qdq" ? quant::BlockedFormat::Qdq : quant::BlockedFormat::MatMulNBits);
    if (!r) {
      std::cerr << "graft-cli: " << in << ": " << r.message() << "; nothing written\n";
      return 1;
    }
    std::cout << "converted " << r->converted << " blocked weight" << (r->converted == 1 ? "" : "s") << " to " << f;
    if (r->repairedZeroPoints)
      std::cout << "; repacked the zero points of " << r->repairedZeroPoints << " MatMulNBits node" << (r->repairedZeroPoints == 1 ? "" : "s")
                << " from Intel Neural Compressor's global layout to ONNX Runtime's per-column one";
    std::cout << "\n";
  }

  ProgressFn saveProgress;
  if (progress) {
    saveProgress = [last = -1](double f, std::string_view stage) mutable {
      int percent = f < 0 ? -1 : static_cast<int>(f * 100 + 0.5);
      if (percent / 10 != last / 10 || percent == 100) {
        std::cerr << "graft-cli: saving" << (percent >= 0 ? " " + std::to_string(percent) + "%" : "") << " "
                  << stage << "\n";
        last = percent;
      }
      return true;
    };
  }
  options.throughSymlink = cl.has("--through-symlink");
  auto saved = saveModel(**loaded, out, options, saveProgress);
  if (!saved) return reportError(saved.status(), out);

  const SaveReport& r = saved.value();
  std::cout << "wrote " << out << " (" << humanBytes(r.modelBytes) << ")";
  if (r.externalFile.empty()) {
    std::cout << ", all tensors inline\n";
  } else {
    std::string dataPath = r.externalFile;
    // The report may give the bare file name; show where it really is.
    if (dataPath.find('/') == std::string::npos) {
      auto dir = std::filesystem::path(out).parent_path();
      if (!dir.empty()) dataPath = (dir / dataPath).string();
    }
    std::cout << "\nwrote " << dataPath << " (" << humanBytes(r.externalBytes) << ", " << r.externalTensors
              << " tensor" << (r.externalTensors == 1 ? "" : "s") << " external)\n";
  }
  return kExitOk;
}

}  // namespace graft::cli
