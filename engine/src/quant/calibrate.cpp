// Calibration: sample data from folders (per-sample .npy or the ONNX test layout) or seeded random,
// one float run per sample through the evaluator's observe hook collecting min/max, moving averages
// and 2048-bin histograms, and the ranges MinMax, Percentile and Entropy (KL, TensorRT style) choose.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>

#include "eval/kernel.h"
#include "graft/quant.h"

namespace graft::quant {

namespace fs = std::filesystem;

namespace {

void hashBytes(std::uint64_t& h, const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
}

std::string hashSamples(const SampleSet& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto* part : {&s.calibration, &s.holdout}) {
    for (const auto& sample : *part)
      for (const auto& [name, a] : sample) {
        hashBytes(h, name.data(), name.size());
        if (a.raw()) hashBytes(h, a.raw(), a.bytes());
      }
    hashBytes(h, "|", 1);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Natural order: test_data_set_2 before test_data_set_10.
bool naturalLess(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

Status checkSample(const Model& model, const NamedArrays& sample, const std::string& where) {
  auto specs = modelInputs(model);
  for (const auto& spec : specs) {
    auto it = sample.find(spec.name);
    if (it == sample.end())
      return Status(ErrorCode::InvalidArgument, "calibration sample '" + where + "' has no value for input '" + spec.name + "'");
    const Array& a = it->second;
    bool fits = spec.dtype == 0 || a.dtype() == spec.dtype;
    if (fits && !spec.shape.empty()) {
      fits = spec.shape.size() == a.rank();
      for (std::size_t i = 0; fits && i < spec.shape.size(); ++i)
        if (spec.shape[i] >= 0 && spec.shape[i] != a.dim(i)) fits = false;
    }
    if (!fits) {
      std::string declared = std::string(spec.dtype ? eval::dtypeName(spec.dtype) : "?") + "[";
      for (std::size_t i = 0; i < spec.shape.size(); ++i)
        declared += (i ? "," : "") + (spec.shape[i] >= 0 ? std::to_string(spec.shape[i]) : spec.dimNames[i].empty() ? "?" : spec.dimNames[i]);
      declared += "]";
      return Status(ErrorCode::InvalidArgument, "calibration sample '" + where + "': input '" + spec.name + "' is " + formatArrayType(a) +
                                                    " but the model declares " + declared + "; give samples of the model's input shapes");
    }
  }
  for (const auto& [name, a] : sample) {
    bool known = std::any_of(specs.begin(), specs.end(), [&](const InputSpec& s) { return s.name == name; });
    if (!known)
      return Status(ErrorCode::InvalidArgument, "calibration sample '" + where + "' has '" + name + "', which is not an input of the model");
  }
  return Status::ok();
}

void split(SampleSet& set, std::vector<NamedArrays> all, int holdout) {
  int n = static_cast<int>(all.size());
  if (holdout < 0) holdout = n >= 2 ? std::max(1, n / 3) : 0;
  holdout = std::min(holdout, std::max(0, n - 1));
  set.calibration.assign(all.begin(), all.end() - holdout);
  set.holdout.assign(all.end() - holdout, all.end());
}

}  // namespace

Result<SampleSet> loadSampleFolder(const Model& model, const std::string& dir, int holdout) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status(ErrorCode::NotFound, "calibration folder '" + dir + "' does not exist");
  std::vector<std::string> subdirs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) subdirs.push_back(e.path().filename().string());
  std::sort(subdirs.begin(), subdirs.end(), naturalLess);
  auto specs = modelInputs(model);
  std::vector<NamedArrays> all;
  for (const auto& sub : subdirs) {
    fs::path p = fs::path(dir) / sub;
    NamedArrays sample;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file()) files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end(), naturalLess);
    for (const auto& f : files) {
      fs::path fp = p / f;
      std::string stem = fp.stem().string(), ext = fp.extension().string();
      if (ext == ".npy") {
        auto a = readNpy(fp.string());
        if (!a) return Status(a.status().code(), fp.string() + ": " + a.message());
        sample[stem] = a.value();
      } else if (ext == ".pb" && stem.rfind("input_", 0) == 0) {
        // input_J.pb is the J-th graph input, unless the tensor names its input.
        onnx::TensorProto t;
        auto a = readTensorProtoFile(fp.string());
        if (!a) return Status(a.status().code(), fp.string() + ": " + a.message());
        std::size_t j = 0;
        try {
          j = static_cast<std::size_t>(std::stoul(stem.substr(6)));
        } catch (...) {
          continue;
        }
        if (j >= specs.size())
          return Status(ErrorCode::InvalidArgument, fp.string() + ": the model has only " + std::to_string(specs.size()) + " inputs");
        sample[specs[j].name] = a.value();
      }
    }
    if (sample.empty()) continue;
    if (auto s = checkSample(model, sample, (fs::path(dir) / sub).string()); !s) return s;
    all.push_back(std::move(sample));
  }
  if (all.empty())
    return Status(ErrorCode::InvalidArgument, "calibration folder '" + dir +
                                                  "' has no samples: expected one subfolder per sample with INPUTNAME.npy files, or test_data_set_K/input_J.pb");
  SampleSet set;
  set.source = dir;
  split(set, std::move(all), holdout);
  set.hash = hashSamples(set);
  return set;
}

Result<SampleSet> randomSamples(const Model& model, int calibrationCount, int holdoutCount, std::uint64_t seed) {
  SampleSet set;
  set.random = true;
  set.source = "seeded random inputs (seed " + std::to_string(seed) + ")";
  for (int i = 0; i < calibrationCount + holdoutCount; ++i) {
    auto in = randomInputs(model, seed + static_cast<std::uint64_t>(i));
    if (!in) return in.status();
    (i < calibrationCount ? set.calibration : set.holdout).push_back(std::move(in.value()));
  }
  set.hash = hashSamples(set);
  return set;
}

const char* methodName(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::MinMax: return "minmax";
    case CalibrationMethod::MovingAverage: return "moving-average";
    case CalibrationMethod::Percentile: return "percentile";
    case CalibrationMethod::Entropy: return "entropy";
  }
  return "?";
}

std::optional<CalibrationMethod> parseCalibrationMethod(const std::string& name) {
  for (auto m : {CalibrationMethod::MinMax, CalibrationMethod::MovingAverage, CalibrationMethod::Percentile, CalibrationMethod::Entropy})
    if (name == methodName(m)) return m;
  return std::nullopt;
}

namespace {

// Adds |values| of one sign to a histogram over [0, range], doubling the range (merging bins) as needed.
void addToHistogram(std::vector<double>& hist, double& range, const std::vector<float>& mags, double maxMag) {
  if (mags.empty()) return;
  const int bins = TensorStats::kBins;
  if (hist.empty()) hist.assign(bins, 0.0);
  if (range <= 0) range = maxMag > 0 ? maxMag : 1e-30;
  if (maxMag > range) {
    int k = 0;
    double r = range;
    while (r < maxMag && k < 60) {
      r *= 2;
      ++k;
    }
    std::vector<double> merged(bins, 0.0);
    for (int i = 0; i < bins; ++i) merged[static_cast<std::size_t>(k >= 12 ? 0 : (i >> k))] += hist[static_cast<std::size_t>(i)];
    hist.swap(merged);
    range = r;
  }
  double f = bins / range;
  for (float m : mags) {
    int b = static_cast<int>(static_cast<double>(m) * f);
    hist[static_cast<std::size_t>(std::min(b, bins - 1))] += 1;
  }
}

void observeInto(TensorStats& st, const Array& a, bool first) {
  const float* p = a.data<float>();
  std::int64_t n = a.size();
  if (n == 0) return;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::vector<float> pos, neg;
  pos.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    float v = p[i];
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
    if (v > 0) pos.push_back(v);
    else if (v < 0) neg.push_back(-v);
  }
  if (!std::isfinite(lo)) return;
  if (first || st.count == 0) {
    st.min = lo;
    st.max = hi;
    st.avgMin = lo;
    st.avgMax = hi;
  } else {
    st.min = std::min(st.min, lo);
    st.max = std::max(st.max, hi);
    st.avgMin += 0.01 * (lo - st.avgMin);
    st.avgMax += 0.01 * (hi - st.avgMax);
  }
  st.count += static_cast<std::uint64_t>(n);
  addToHistogram(st.positive, st.posRange, pos, std::max(hi, 0.0));
  addToHistogram(st.negative, st.negRange, neg, std::max(-lo, 0.0));
}

double percentileEdge(const std::vector<double>& hist, double range, double percentile) {
  double total = std::accumulate(hist.begin(), hist.end(), 0.0);
  if (total <= 0) return 0;
  double want = total * percentile / 100.0, cum = 0;
  for (std::size_t i = 0; i < hist.size(); ++i) {
    cum += hist[i];
    if (cum >= want) return range * static_cast<double>(i + 1) / static_cast<double>(hist.size());
  }
  return range;
}

// TensorRT's entropy calibration: the clipping threshold whose 128-level quantized histogram
// is closest (KL divergence) to the clipped reference distribution.
double entropyEdge(const std::vector<double>& hist, double range) {
  const int bins = static_cast<int>(hist.size()), levels = 128;
  double total = std::accumulate(hist.begin(), hist.end(), 0.0);
  if (total <= 0) return 0;
  int last = bins;
  while (last > 0 && hist[static_cast<std::size_t>(last - 1)] == 0) --last;
  if (last <= levels) return range * last / bins;
  double best = std::numeric_limits<double>::infinity();
  int bestI = last;
  std::vector<double> P, Q;
  for (int i = levels; i <= last; i += 2) {
    P.assign(hist.begin(), hist.begin() + i);
    double outliers = std::accumulate(hist.begin() + i, hist.end(), 0.0);
    P[static_cast<std::size_t>(i - 1)] += outliers;
    Q.assign(static_cast<std::size_t>(i), 0.0);
    double step = static_cast<double>(i) / levels;
    for (int j = 0; j < levels; ++j) {
      int s = static_cast<int>(std::floor(j * step)), e = j == levels - 1 ? i : static_cast<int>(std::floor((j + 1) * step));
      double sum = 0;
      int nonzero = 0;
      for (int t = s; t < e; ++t) {
        sum += hist[static_cast<std::size_t>(t)];
        nonzero += hist[static_cast<std::size_t>(t)] != 0;
      }
      if (nonzero)
        for (int t = s; t < e; ++t)
          if (hist[static_cast<std::size_t>(t)] != 0) Q[static_cast<std::size_t>(t)] = sum / nonzero;
    }
    double ps = std::accumulate(P.begin(), P.end(), 0.0), qs = std::accumulate(Q.begin(), Q.end(), 0.0);
    if (qs <= 0) continue;
    double kl = 0;
    for (int t = 0; t < i; ++t) {
      double p = P[static_cast<std::size_t>(t)] / ps;
      if (p <= 0) continue;
      double q = Q[static_cast<std::size_t>(t)] / qs;
      kl += p * std::log(p / std::max(q, 1e-12));
    }
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return range * bestI / bins;
}

}  // namespace

std::pair<double, double> chooseRange(const TensorStats& st, CalibrationMethod method, double percentile) {
  double lo = st.min, hi = st.max;
  switch (method) {
    case CalibrationMethod::MinMax: break;
    case CalibrationMethod::MovingAverage:
      lo = st.avgMin;
      hi = st.avgMax;
      break;
    case CalibrationMethod::Percentile:
      hi = st.positive.empty() ? 0 : percentileEdge(st.positive, st.posRange, percentile);
      lo = st.negative.empty() ? 0 : -percentileEdge(st.negative, st.negRange, percentile);
      break;
    case CalibrationMethod::Entropy:
      hi = st.positive.empty() ? 0 : entropyEdge(st.positive, st.posRange);
      lo = st.negative.empty() ? 0 : -entropyEdge(st.negative, st.negRange);
      break;
  }
  hi = std::min(hi, st.max);
  lo = std::max(lo, st.min);
  return {std::min(lo, 0.0), std::max(hi, 0.0)};
}

Result<std::shared_ptr<Calibration>> calibrate(const Model& model, const SampleSet& data, const CalibrateOptions& options) {
  if (data.calibration.empty()) return Status(ErrorCode::InvalidArgument, "no calibration samples");
  auto ev = Evaluator::create(model);
  if (!ev) return ev.status();
  auto cal = std::make_shared<Calibration>();
  cal->revision = model.revision();
  cal->dataHash = data.hash;
  cal->randomData = data.random;
  cal->dataSource = data.source;
  const Graph& g = model.graph();
  // Inputs of MatMuls with a constant 2-D right side: where GPTQ/AWQ need X^T X.
  std::map<const Value*, std::int64_t> gramOf;
  if (options.collectGram)
    g.forEachNode([&](const Node& n) {
      if (n.opType() == "MatMul" && n.domain().empty() && n.input(1) && n.input(1)->initializer() && n.input(0)) {
        auto dims = n.input(1)->initializer()->dims();
        if (dims.size() == 2) gramOf[n.input(0)] = dims[0];
      }
    });
  // Values worth keeping for scoring: outputs of nodes a quantization can replace, and model outputs.
  static const std::set<std::string> kScored = {"Conv", "MatMul", "Gemm", "Add", "Mul", "Gather", "MaxPool", "AveragePool",
                                                "GlobalAveragePool", "Relu", "Concat", "Flatten", "Reshape", "Transpose"};
  std::set<const Value*> scored;
  g.forEachNode([&](const Node& n) {
    if (n.domain().empty() && kScored.count(n.opType()) && n.output(0)) scored.insert(n.output(0));
  });
  for (const Value* v : g.outputs()) scored.insert(v);

  std::size_t total = data.calibration.size() + data.holdout.size(), done = 0;
  bool first = true;
  auto observeStats = [&](const Value& v, const Array& a) {
    if (a.dtype() != eval::kFloat) return;
    observeInto(cal->stats[v.name()], a, first);
    auto git = gramOf.find(&v);
    if (git != gramOf.end() && a.rank() >= 1 && a.dim(a.rank() - 1) == git->second) {
      std::int64_t K = git->second, rows = a.size() / K;
      auto& G = cal->gram[v.name()];
      auto& M = cal->meanAbs[v.name()];
      if (G.empty()) {
        G.assign(static_cast<std::size_t>(K * K), 0.0);
        M.assign(static_cast<std::size_t>(K), 0.0);
      }
      const float* x = a.data<float>();
      for (std::int64_t r = 0; r < rows; ++r) {
        const float* row = x + r * K;
        for (std::int64_t i = 0; i < K; ++i) {
          double xi = row[i];
          M[static_cast<std::size_t>(i)] += std::abs(xi);
          if (xi == 0) continue;
          double* gi = G.data() + i * K;
          for (std::int64_t j = 0; j < K; ++j) gi[j] += xi * row[j];
        }
      }
      cal->gramRows[v.name()] += rows;
    }
  };
  for (const auto& sample : data.calibration) {
    if (!options.collectStats && !options.collectGram) {
      ++done;
      continue;
    }
    EvalOptions eo;
    eo.observe = observeStats;
    std::size_t index = done;
    eo.progress = [&, index](double f, std::string_view) {
      return reportProgress(options.progress, (static_cast<double>(index) + std::max(0.0, f)) / static_cast<double>(total),
                            "calibrating");
    };
    for (const auto& [name, a] : sample)
      if (const Value* v = g.findValue(name)) observeStats(*v, a);
    auto r = ev.value()->run(sample, eo);
    if (!r) return r.status().code() == ErrorCode::Cancelled ? Status(ErrorCode::Cancelled, "calibration cancelled") : r.status();
    first = false;
    ++done;
  }
  for (const auto& sample : data.holdout) {
    EvalOptions eo;
    NamedArrays kept = sample;
    eo.observe = [&](const Value& v, const Array& a) {
      if (scored.count(&v)) kept[v.name()] = a;
    };
    std::size_t index = done;
    eo.progress = [&, index](double f, std::string_view) {
      return reportProgress(options.progress, (static_cast<double>(index) + std::max(0.0, f)) / static_cast<double>(total),
                            "running held-back samples");
    };
    auto r = ev.value()->run(sample, eo);
    if (!r) return r.status().code() == ErrorCode::Cancelled ? Status(ErrorCode::Cancelled, "calibration cancelled") : r.status();
    for (auto& [k, a] : r.value()) kept[k] = a;
    // Kept arrays may borrow weights or pool buffers; own them.
    for (auto& [k, a] : kept)
      if (a.isBorrowed()) a = a.clone();
    cal->floatHoldout.push_back(std::move(kept));
    ++done;
  }
  reportProgress(options.progress, 1.0, "calibrated");
  return cal;
}

}  // namespace graft::quant
