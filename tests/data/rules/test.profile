# A small backend profile for the CLI tests: two declared rules, the cleanup rules, a blocker.
profile test-backend
description: "test backend"
opset: 17
domains: ai.onnx
rules: double_neg.rules
apply: double_neg, mul_one, cleanup.*
# Pretend the backend runs Sigmoid poorly.
block op Sigmoid: "Sigmoid runs on the slow path here (test)"
