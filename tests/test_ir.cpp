// ir: the editable graph — producers/consumers, edits and their notifications, stable ids,
// topological order (also across subgraph captures), and exports that reflect every edit.
#include "graft/io.h"
#include "graft/ir.h"
#include "testutil.h"

using namespace graft;

namespace {

onnx::TypeProto floatType(std::vector<int64_t> dims) {
  onnx::TypeProto t;
  auto* tt = t.mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return t;
}

// X -> Relu(r1) -> Neg(n1) -> Y, plus Identity(i1) reading X into Z.
std::unique_ptr<Model> chainModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("chain");
  auto* x = g->add_input();
  x->set_name("X");
  *x->mutable_type() = floatType({2, 3});
  auto node = [&](const char* op, const char* name, const char* in, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->add_input(in);
    n->add_output(out);
  };
  node("Relu", "r1", "X", "A");
  node("Neg", "n1", "A", "Y");
  node("Identity", "i1", "X", "Z");
  g->add_output()->set_name("Y");
  g->add_output()->set_name("Z");
  auto model = Model::fromProto(m);
  return std::move(model).value();
}

struct Recorder : ModelObserver {
  std::vector<std::string> events;
  void nodeAdded(Node& n) override { events.push_back("added " + n.name()); }
  void nodeRemoved(Node& n) override { events.push_back("removed " + n.name()); }
  void nodeChanged(Node& n) override { events.push_back("changed " + n.name()); }
  void valueChanged(Value& v) override { events.push_back("value " + v.name()); }
  void graphChanged(Graph& g) override { events.push_back("graph " + g.name()); }
};

}  // namespace

class TestIr : public QObject {
  Q_OBJECT

 private slots:
  void producersAndConsumers() {
    auto model = chainModel();
    Graph& g = model->graph();
    QCOMPARE(g.nodeCount(), size_t(3));
    Value* x = g.findValue("X");
    QVERIFY(x->isGraphInput());
    QCOMPARE(x->uses().size(), size_t(2));
    Value* a = g.findValue("A");
    QCOMPARE(a->producer()->name(), std::string("r1"));
    QCOMPARE(a->uses().front().node->name(), std::string("n1"));
    QVERIFY(g.findValue("Y")->isGraphOutput());
    QVERIFY(x->declaredType() != nullptr);
  }

  void stableIdsAndNotifications() {
    auto model = chainModel();
    Graph& g = model->graph();
    Recorder rec;
    model->addObserver(&rec);
    NodeId idNeg = g.findNodeByName("n1")->id();
    auto rev0 = model->revision();

    // Insert Sigmoid between Relu and Neg: A -> Sigmoid -> B -> Neg.
    Node* neg = g.findNodeByName("n1");
    auto sig = g.addNode({"Sigmoid", "", "s1", {g.findValue("A")}, {"B"}, {}, ""}, neg);
    QVERIFY2(sig.isOk(), sig.message().c_str());
    QVERIFY(g.setInput(neg, 0, g.findValue("B")).isOk());
    QCOMPARE(g.findValue("A")->uses().size(), size_t(1));
    QCOMPARE(g.findValue("A")->uses().front().node, *sig);
    QCOMPARE(neg->id(), idNeg);  // ids survive edits
    QVERIFY(model->revision() > rev0);
    QCOMPARE(rec.events, (std::vector<std::string>{"added s1", "changed n1"}));

    // Names must stay unique.
    QVERIFY(!g.addNode({"Relu", "", "dup", {g.findValue("X")}, {"A"}, {}, ""}).isOk());

    // A node whose output is used cannot be removed; after rewiring it can, and its id is gone.
    Node* relu = g.findNodeByName("r1");
    NodeId idRelu = relu->id();
    QVERIFY(!g.removeNode(*sig).isOk());
    QVERIFY(g.setInput(*sig, 0, g.findValue("X")).isOk());
    QVERIFY(g.removeNode(relu).isOk());
    QVERIFY(g.findNode(idRelu) == nullptr);
    QVERIFY(g.findValue("A") == nullptr);
    QCOMPARE(g.findValue("X")->uses().size(), size_t(2));
    model->removeObserver(&rec);

    // The export reflects the edit: X -> Sigmoid -> Neg -> Y, valid order.
    onnx::ModelProto out = model->toProto();
    QCOMPARE(out.graph().node_size(), 3);
    QCOMPARE(out.graph().node(0).op_type(), std::string("Sigmoid"));
    QCOMPARE(out.graph().node(1).input(0), std::string("B"));
    auto order = g.topologicalOrder();
    QVERIFY(order.isOk());
    QCOMPARE((*order)[0]->opType(), std::string("Sigmoid"));
  }

  void replaceAllUsesKeepsGraphOutputs() {
    auto model = chainModel();
    Graph& g = model->graph();
    // Bypass Neg: users of Y (the graph output) now read A.
    Value* y = g.findValue("Y");
    Value* a = g.findValue("A");
    g.replaceAllUses(y, a);
    QCOMPARE(g.outputs()[0], a);
    QVERIFY(g.removeNode(g.findNodeByName("n1")).isOk());
    QCOMPARE(g.nodeCount(), size_t(2));
    onnx::ModelProto out = model->toProto();
    QCOMPARE(out.graph().output(0).name(), std::string("A"));
  }

  void attributesAndRename() {
    auto model = chainModel();
    Graph& g = model->graph();
    Node* relu = g.findNodeByName("r1");
    onnx::AttributeProto alpha;
    alpha.set_name("alpha");
    alpha.set_type(onnx::AttributeProto::FLOAT);
    alpha.set_f(0.1f);
    QVERIFY(g.setAttribute(relu, alpha).isOk());
    QCOMPARE(relu->attribute("alpha")->f(), 0.1f);
    alpha.set_f(0.2f);
    QVERIFY(g.setAttribute(relu, alpha).isOk());
    QCOMPARE(relu->proto().attribute_size(), 1);
    QVERIFY(g.removeAttribute(relu, "alpha").isOk());
    QVERIFY(!g.removeAttribute(relu, "alpha").isOk());

    QVERIFY(g.renameValue(g.findValue("A"), "relu_out").isOk());
    QVERIFY(!g.renameValue(g.findValue("relu_out"), "X").isOk());
    onnx::ModelProto out = model->toProto();
    QCOMPARE(out.graph().node(0).output(0), std::string("relu_out"));
    QCOMPARE(out.graph().node(1).input(0), std::string("relu_out"));
  }

  void initializersAndInputs() {
    auto model = chainModel();
    Graph& g = model->graph();
    onnx::TensorProto t;
    t.set_name("W");
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(3);
    t.add_float_data(1);
    t.add_float_data(2);
    t.add_float_data(3);
    auto w = g.addInitializer(t);
    QVERIFY(w.isOk());
    QVERIFY((*w)->isConstant());
    QCOMPARE((*w)->initializer()->elementCount(), uint64_t(3));
    QCOMPARE((*w)->initializer()->storedBytes(), uint64_t(12));
    auto add = g.addNode({"Add", "", "add", {g.findValue("Y"), *w}, {"Y2"}, {}, ""});
    QVERIFY(add.isOk());
    QVERIFY(g.setOutputs({g.findValue("Y2"), g.findValue("Z")}).isOk());
    QVERIFY(!g.removeValue(*w).isOk());  // still used
    auto in2 = g.addInput("X2", floatType({3}));
    QVERIFY(in2.isOk());
    QCOMPARE(g.inputs().size(), size_t(2));
    onnx::ModelProto out = model->toProto();
    QCOMPARE(out.graph().initializer_size(), 1);
    QCOMPARE(out.graph().output(0).name(), std::string("Y2"));
    QCOMPARE(out.graph().input(1).name(), std::string("X2"));
  }

  void subgraphsCaptureOuterValues() {
    // data/node/test_if has If with then/else branches; test_loop11 has a Loop body reading outer values.
    auto model = loadModel(graft::test::testdataDir() + "/node/test_loop11/model.onnx");
    QVERIFY2(model.isOk(), model.message().c_str());
    Graph& g = (*model)->graph();
    Node* loop = nullptr;
    g.forEachNode([&](Node& n) {
      if (n.opType() == "Loop") loop = &n;
    });
    QVERIFY(loop);
    QCOMPARE(loop->subgraphs().size(), size_t(1));
    Graph& body = *loop->subgraphs()[0].graph;
    QCOMPARE(body.parentNode(), loop);
    QCOMPARE(loop->subgraphs()[0].attribute, std::string("body"));
    QVERIFY(body.nodeCount() > 0);
    QVERIFY((*model)->totalNodeCount() > g.nodeCount());
    auto order = g.topologicalOrder();
    QVERIFY(order.isOk());
    QCOMPARE(order->size(), g.nodeCount());
  }

  void subgraphCapturesCountAsUses() {
    // If whose branches read the outer value A (made by a Relu stored *after* the If):
    // the capture is a use of A, and the order puts the Relu first.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    auto* x = g->add_input();
    x->set_name("X");
    *x->mutable_type() = floatType({1});
    auto* c = g->add_input();
    c->set_name("C");
    c->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
    auto* iff = g->add_node();
    iff->set_op_type("If");
    iff->set_name("if0");
    iff->add_input("C");
    iff->add_output("Y");
    for (const char* branch : {"then_branch", "else_branch"}) {
      auto* a = iff->add_attribute();
      a->set_name(branch);
      a->set_type(onnx::AttributeProto::GRAPH);
      auto* body = a->mutable_g();
      body->set_name(branch);
      auto* n = body->add_node();
      n->set_op_type(std::string(branch) == "then_branch" ? "Neg" : "Abs");
      n->set_name(std::string(branch) + "_op");
      n->add_input("A");
      n->add_output(std::string(branch) + "_out");
      body->add_output()->set_name(std::string(branch) + "_out");
    }
    auto* relu = g->add_node();
    relu->set_op_type("Relu");
    relu->set_name("relu");
    relu->add_input("X");
    relu->add_output("A");
    g->add_output()->set_name("Y");
    auto model = Model::fromProto(m);
    QVERIFY2(model.isOk(), model.message().c_str());
    Graph& graph = (*model)->graph();
    Value* a = graph.findValue("A");
    QCOMPARE(a->uses().size(), size_t(2));
    QCOMPARE(&a->uses()[0].node->graph(), graph.findNodeByName("if0")->subgraphs()[0].graph.get());
    QVERIFY(!graph.removeNode(graph.findNodeByName("relu")).isOk());
    auto order = graph.topologicalOrder();
    QVERIFY(order.isOk());
    QCOMPARE((*order)[0]->name(), std::string("relu"));
    QCOMPARE((*model)->totalNodeCount(), size_t(4));
    // Removing the If drops the captured uses too.
    QVERIFY(graph.removeNode(graph.findNodeByName("if0")).isOk() == false);  // Y is a graph output
    graph.eraseNode(graph.findNodeByName("if0"));
    QCOMPARE(a->uses().size(), size_t(0));
    QVERIFY(graph.removeNode(graph.findNodeByName("relu")).isOk());
  }

  void topologicalOrderFixesFileOrder() {
    // A file listing a consumer before its producer still orders correctly.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    auto* x = g->add_input();
    x->set_name("X");
    *x->mutable_type() = floatType({1});
    auto* late = g->add_node();
    late->set_op_type("Neg");
    late->set_name("second");
    late->add_input("A");
    late->add_output("Y");
    auto* early = g->add_node();
    early->set_op_type("Relu");
    early->set_name("first");
    early->add_input("X");
    early->add_output("A");
    g->add_output()->set_name("Y");
    auto model = Model::fromProto(m);
    QVERIFY(model.isOk());
    auto order = (*model)->graph().topologicalOrder();
    QVERIFY(order.isOk());
    QCOMPARE((*order)[0]->name(), std::string("first"));
    // Stored order is untouched, so the round trip stays exact.
    QCOMPARE((*model)->toProto().graph().node(0).name(), std::string("second"));
  }

  void largeGraphEditsAreCheap() {
    // 60k-node chain: building, removing every other node by rewiring, and ordering stay fast.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    auto* x = g->add_input();
    x->set_name("v0");
    *x->mutable_type() = floatType({1});
    const int n = 60000;
    for (int i = 0; i < n; ++i) {
      auto* node = g->add_node();
      node->set_op_type("Relu");
      node->set_name("/blk." + std::to_string(i / 100) + "/Relu_" + std::to_string(i));
      node->add_input("v" + std::to_string(i));
      node->add_output("v" + std::to_string(i + 1));
    }
    g->add_output()->set_name("v" + std::to_string(n));
    QElapsedTimer timer;
    timer.start();
    auto model = Model::fromProto(m);
    QVERIFY(model.isOk());
    Graph& graph = (*model)->graph();
    for (int i = 1; i < n; i += 2) {
      Value* in = graph.findValue("v" + std::to_string(i));
      Value* out = graph.findValue("v" + std::to_string(i + 1));
      Node* node = out->producer();
      graph.replaceAllUses(out, in);
      QVERIFY(graph.removeNode(node).isOk());
    }
    QCOMPARE(graph.nodeCount(), size_t(n / 2));
    auto order = graph.topologicalOrder();
    QVERIFY(order.isOk());
    QCOMPARE(order->size(), size_t(n / 2));
    qInfo("60k-node build + 30k removals + order: %lld ms", static_cast<long long>(timer.elapsed()));
  }
};

QTEST_GUILESS_MAIN(TestIr)
#include "test_ir.moc"
