// Depthwise 2-D convolution (one filter per channel: group == C == M) straight on NCHW, the fast
// path's kernel for MobileNet-style blocks: one read of the input and one write of the output.
#pragma once

#include "eval/onednn.h"

namespace graft::eval {

// y = depthwise conv(x, w) + bias, then the epilogue (may be null; its residual has y's shape), for
// 2-D shapes with strides 1 or 2 and no dilation; planes shared among the evaluator's threads.
// Each output sums its taps in kernel order whatever the vector width, so every CPU gives the same
// bits. False when the shape is not one it handles.
bool depthwiseConv2d(const ConvShape& shape, const float* x, const float* w, const float* bias, float* y, const Epilogue* epilogue);

}  // namespace graft::eval
