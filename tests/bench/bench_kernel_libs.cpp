// The measurement behind the evaluator's kernel library choice (docs/architecture.md, "Kernel
// library"): Graft's Conv (im2col + GEMM, or a convolution primitive) and MatMul shapes of ResNet-50
// and a BERT-style encoder on Eigen (the AVX2/FMA blocks Graft builds), OpenBLAS sgemm, oneDNN sgemm,
// and oneDNN's convolution primitive on plain NCHW and on its blocked layout (with and without the
// reorders to and from NCHW), in GFLOP/s. Each call runs on one thread, as in Graft, whose own pool
// spreads the calls over the cores. Built only when OpenBLAS and oneDNN are both found.
//
//   bench_kernel_libs
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <cblas.h>
#include <omp.h>

#include <Eigen/Core>
#include <oneapi/dnnl/dnnl.hpp>

extern "C" void openblas_set_num_threads(int);

using namespace dnnl;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class F>
double timeit(F f, int reps = 20) {
  f(); f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) { auto a = std::chrono::steady_clock::now(); f(); t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count()); }
  std::sort(t.begin(), t.end()); return t[reps / 2];
}
struct Conv { int C, H, M, k, s; };
int main() {
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  Eigen::setNbThreads(1);
  double load[1] = {0};
  getloadavg(load, 1);
  std::printf("one thread per call; load average %.2f\n", load[0]);
  engine eng(engine::kind::cpu, 0); stream strm(eng);
  std::mt19937 rng(1); std::normal_distribution<float> nd;
  std::vector<Conv> convs = {{3,224,64,7,2},{64,56,64,1,1},{64,56,64,3,1},{64,56,256,1,1},{256,56,64,1,1},{128,28,128,3,1},{512,28,128,1,1},{256,14,256,3,1},{1024,14,256,1,1},{256,14,1024,1,1},{512,7,512,3,1},{2048,7,512,1,1}};
  double tot[6] = {0};
  printf("%-22s %9s %9s %9s %9s %9s %9s  (GFLOP/s)\n", "conv", "eigenim2c", "oblas", "dnnlsgemm", "dnnl-nchw", "dnnl-blk", "blk+reord");
  for (auto c : convs) {
    int pad = c.k / 2, OH = (c.H + 2 * pad - c.k) / c.s + 1;
    long K = (long)c.C * c.k * c.k, N = (long)OH * OH;
    std::vector<float> x((size_t)c.C * c.H * c.H), w((size_t)c.M * K), y((size_t)c.M * N), col(K * N);
    for (auto& v : x) v = nd(rng);
    for (auto& v : w) v = nd(rng);
    double fl = 2.0 * c.M * N * K;
    auto im2col = [&]() {
      for (int ci = 0; ci < c.C; ++ci) for (int i = 0; i < c.k; ++i) for (int j = 0; j < c.k; ++j) {
        float* row = col.data() + ((long)(ci * c.k + i) * c.k + j) * N;
        for (int yy = 0; yy < OH; ++yy) for (int xx = 0; xx < OH; ++xx) {
          int iy = yy * c.s - pad + i, ix = xx * c.s - pad + j;
          row[yy * OH + xx] = (iy >= 0 && iy < c.H && ix >= 0 && ix < c.H) ? x[((long)ci * c.H + iy) * c.H + ix] : 0.f; } } };
    bool pw = c.k == 1 && c.s == 1;
    const float* B = pw ? x.data() : col.data();
    double te = timeit([&] { if (!pw) im2col();
      Eigen::Map<const RowMat> a(w.data(), c.M, K), b(B, K, N); Eigen::Map<RowMat> o(y.data(), c.M, N); o.noalias() = a * b; });
    double to = timeit([&] { if (!pw) im2col(); cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c.M, N, K, 1.f, w.data(), K, B, N, 0.f, y.data(), N); });
    double td = timeit([&] { if (!pw) im2col(); dnnl_sgemm('N', 'N', c.M, N, K, 1.f, w.data(), K, B, N, 0.f, y.data(), N); });
    memory::dims src{1, c.C, c.H, c.H}, wei{c.M, c.C, c.k, c.k}, dst{1, c.M, OH, OH}, bia{c.M}, st{c.s, c.s}, pd{pad, pad};
    std::vector<float> bias(c.M, 0.1f);
    auto mk = [&](memory::format_tag t) {
      auto d = convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
        memory::desc(src, memory::data_type::f32, t), memory::desc(wei, memory::data_type::f32, t == memory::format_tag::any ? t : memory::format_tag::oihw),
        memory::desc(bia, memory::data_type::f32, memory::format_tag::x), memory::desc(dst, memory::data_type::f32, t), st, pd, pd);
      return convolution_forward::primitive_desc(d, eng); };
    auto p1 = mk(memory::format_tag::nchw);
    memory ms(p1.src_desc(), eng, x.data()), mw(p1.weights_desc(), eng, w.data()), mb(p1.bias_desc(), eng, bias.data()), md(p1.dst_desc(), eng, y.data());
    convolution_forward c1(p1);
    double tn = timeit([&] { c1.execute(strm, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}}); strm.wait(); });
    auto p2 = mk(memory::format_tag::any);
    memory bs(p2.src_desc(), eng), bw(p2.weights_desc(), eng), bd(p2.dst_desc(), eng);
    reorder(mw, bw).execute(strm, mw, bw);
    convolution_forward c2(p2);
    double tb = timeit([&] { c2.execute(strm, {{DNNL_ARG_SRC, bs}, {DNNL_ARG_WEIGHTS, bw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, bd}}); strm.wait(); });
    reorder r1(ms, bs), r2(bd, md);
    double tr = timeit([&] { r1.execute(strm, ms, bs); c2.execute(strm, {{DNNL_ARG_SRC, bs}, {DNNL_ARG_WEIGHTS, bw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, bd}}); r2.execute(strm, bd, md); strm.wait(); });
    double ts[6] = {te, to, td, tn, tb, tr};
    for (int i = 0; i < 6; ++i) tot[i] += ts[i];
    char name[64]; snprintf(name, 64, "%d->%d k%d s%d @%d", c.C, c.M, c.k, c.s, c.H);
    printf("%-22s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f  %s | %s\n", name, fl / te * 1e-9, fl / to * 1e-9, fl / td * 1e-9, fl / tn * 1e-9, fl / tb * 1e-9, fl / tr * 1e-9,
           p1.impl_info_str(), p2.impl_info_str());
  }
  printf("sum ms: eigen %.2f oblas %.2f dnnlsgemm %.2f nchw %.2f blk %.2f blk+reorder %.2f\n", tot[0]*1e3, tot[1]*1e3, tot[2]*1e3, tot[3]*1e3, tot[4]*1e3, tot[5]*1e3);
  // MatMul shapes (BERT d256 seq128, attention heads 4x[128,64]x[64,128])
  struct MM { int M, N, K; }; 
  for (auto m : std::vector<MM>{{128,256,256},{128,1024,256},{128,256,1024},{128,128,64},{128,64,128},{128,384,384},{128,1536,384}}) {
    std::vector<float> a((size_t)m.M*m.K), b((size_t)m.K*m.N), o((size_t)m.M*m.N);
    for (auto& v : a) v = nd(rng);
    for (auto& v : b) v = nd(rng);
    double fl = 2.0*m.M*m.N*m.K;
    double te = timeit([&] { Eigen::Map<const RowMat> A(a.data(), m.M, m.K), B(b.data(), m.K, m.N); Eigen::Map<RowMat> O(o.data(), m.M, m.N); O.noalias() = A * B; }, 200);
    double to = timeit([&] { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m.M, m.N, m.K, 1.f, a.data(), m.K, b.data(), m.N, 0.f, o.data(), m.N); }, 200);
    double td = timeit([&] { dnnl_sgemm('N','N', m.M, m.N, m.K, 1.f, a.data(), m.K, b.data(), m.N, 0.f, o.data(), m.N); }, 200);
    auto d = matmul::desc(memory::desc({m.M, m.K}, memory::data_type::f32, memory::format_tag::ab), memory::desc({m.K, m.N}, memory::data_type::f32, memory::format_tag::ab), memory::desc({m.M, m.N}, memory::data_type::f32, memory::format_tag::ab));
    matmul::primitive_desc pd(d, eng); matmul mp(pd);
    memory ma(pd.src_desc(), eng, a.data()), mb(pd.weights_desc(), eng, b.data()), mo(pd.dst_desc(), eng, o.data());
    double tm = timeit([&] { mp.execute(strm, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mo}}); strm.wait(); }, 200);
    printf("mm %4dx%4dx%4d  eigen %6.1f oblas %6.1f dnnlsgemm %6.1f dnnl-matmul %6.1f GFLOP/s  %s\n", m.M, m.N, m.K, fl/te*1e-9, fl/to*1e-9, fl/td*1e-9, fl/tm*1e-9, pd.impl_info_str());
  }
}
