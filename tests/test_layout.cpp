// Layout: grouping by module scope, per-group dot layouts composed into one scene, the
// cache (reused for repeated layers, dropped when the model changes), and real models.
#include <QtTest>

#include <algorithm>
#include <set>
#include <string>

#include "graft/io.h"
#include "graft/layout.h"
#include "models/decoder_builder.h"
#include "testutil.h"

using namespace graft;
using graft::test::addNode;
using graft::test::addTensorValue;
using graft::test::makeDecoder;

namespace {

LayoutSize fixedSize(const Node& n) { return {40.0 + 6.0 * static_cast<double>(n.opType().size()), 30}; }

int nodeIndex(const LayoutGraph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

// Boxes drawn side by side inside the same parent must not overlap.
bool siblingsOverlap(const LayoutScene& scene, const LayoutGrouping& grouping, std::string* what) {
  std::map<int, std::vector<std::pair<LayoutRect, std::string>>> byParent;
  for (const auto& nb : scene.nodes)
    byParent[grouping.groupOf[nb.node]].push_back({nb.rect, "node " + std::to_string(nb.node)});
  for (const auto& gb : scene.groups)
    byParent[grouping.groups[gb.group].parent].push_back({gb.rect, "group " + grouping.groups[gb.group].path});
  for (const auto& [parent, boxes] : byParent) {
    for (size_t i = 0; i < boxes.size(); ++i)
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        const auto& a = boxes[i].first;
        const auto& b = boxes[j].first;
        // Touching is fine; a real overlap is more than a point.
        if (a.x + 1 < b.right() && b.x + 1 < a.right() && a.y + 1 < b.bottom() && b.y + 1 < a.bottom()) {
          *what = boxes[i].second + " and " + boxes[j].second;
          return true;
        }
      }
  }
  return false;
}

bool inside(const LayoutRect& inner, const LayoutRect& outer) {
  return inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.right() <= outer.right() + 0.5 &&
         inner.bottom() <= outer.bottom() + 0.5;
}

}  // namespace

class TestLayout : public QObject {
  Q_OBJECT

 private slots:
  void groupsFollowModuleScopes() {
    auto model = makeDecoder(3);
    auto snap = snapshotGraph(model->graph(), fixedSize);
    LayoutGrouping grouping = groupGraph(*snap);

    for (const char* path : {"/h.0", "/h.0/ln", "/h.0/attn", "/h.2/attn", "/head"})
      QVERIFY2(grouping.byPath.count(path) || std::string(path) == "/head", path);
    // "/head" holds one node: it is drawn as that node, not as a group around it.
    QVERIFY(!grouping.byPath.count("/head"));
    QCOMPARE(grouping.groupOf[nodeIndex(*snap, "/head/Relu")], 0);
    // "/h.0/attn/q" is a lone-node scope too: its MatMul sits directly in attn.
    QVERIFY(!grouping.byPath.count("/h.0/attn/q"));
    QCOMPARE(grouping.groupOf[nodeIndex(*snap, "/h.0/attn/q/MatMul")], grouping.byPath.at("/h.0/attn"));
    // The unscoped constant joins the only group that reads it.
    QCOMPARE(grouping.groupOf[nodeIndex(*snap, "Constant_7")], grouping.byPath.at("/h.1/attn"));
    // A constant read by every layer stays at the top.
    QCOMPARE(grouping.groupOf[nodeIndex(*snap, "/Constant")], 0);
    // Graph inputs and outputs are boxes at the top.
    QCOMPARE(grouping.groupOf[nodeIndex(*snap, "x")], 0);
    QCOMPARE(snap->nodes[nodeIndex(*snap, "x")].kind, LayoutGraph::NodeKind::Input);
    QCOMPARE(snap->nodes[nodeIndex(*snap, "y")].kind, LayoutGraph::NodeKind::Output);
    // Layers are ordered as they run.
    const auto& root = grouping.groups[0];
    QCOMPARE(root.children.size(), size_t(3));
    QCOMPARE(grouping.groups[root.children[0]].name, std::string("h.0"));
    QCOMPARE(grouping.groups[root.children[2]].name, std::string("h.2"));
    QCOMPARE(grouping.groups[grouping.byPath.at("/h.1")].nodeCount, 10);  // 9 ops + Constant_7
  }

  void foldedConstantsBecomeBadgesOfTheirReaders() {
    auto model = makeDecoder(2);
    int constants = 0, sized = 0;
    model->graph().forEachNode([&](const Node& n) { constants += n.opType() == "Constant"; });
    QVERIFY(constants >= 2);
    auto plain = snapshotGraph(model->graph(), fixedSize);
    SnapshotOptions fold;
    fold.foldConstants = true;
    auto folded = snapshotGraph(model->graph(), [&](const Node& n) { ++sized; return fixedSize(n); }, {}, fold);
    QCOMPARE(folded->nodes.size() + static_cast<size_t>(constants), plain->nodes.size());
    QCOMPARE(sized + constants, static_cast<int>(model->graph().nodeCount()));
    for (const auto& n : folded->nodes) QVERIFY(n.opType != "Constant");
    // The constant's tensor is still read by the layer: a badge (no producer), not an edge.
    bool found = false;
    for (const auto& v : folded->values)
      if (v.name == "scale") {
        found = true;
        QVERIFY(v.initializer);
        QCOMPARE(v.producer, -1);
        QVERIFY(!v.consumers.empty());
      }
    QVERIFY(found);
    LayoutEngine engine;
    engine.setGraph(folded);
    auto scene = engine.layout(engine.allPaths());
    QVERIFY2(scene, scene.message().c_str());
  }

  void shapeComputationsCollapseToOneBoxPerChain() {
    // x -> Shape -> Gather -> Unsqueeze -> Concat(.., [-1]) -> Reshape(x, target) -> Relu: the
    // chain is four nodes; collapsed, it is one box between x and the Reshape.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    g.set_name("g");
    addTensorValue(g.add_input(), "x", {2, 3, 4});
    auto ints = [&](const std::string& name, std::vector<std::int64_t> v) {
      auto* t = g.add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::INT64);
      if (v.size() != 1 || name != "zero") t->add_dims(static_cast<std::int64_t>(v.size()));
      for (auto x : v) t->add_int64_data(x);
    };
    ints("zero", {0});
    ints("axes", {0});
    ints("rest", {-1});
    addNode(g, "Shape", "shape", {"x"}, {"s"});
    addNode(g, "Gather", "gather", {"s", "zero"}, {"b"});
    addNode(g, "Unsqueeze", "unsqueeze", {"b", "axes"}, {"b1"});
    addNode(g, "Concat", "concat", {"b1", "rest"}, {"target"})->add_attribute()->set_name("axis");
    g.mutable_node(3)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
    addNode(g, "Reshape", "reshape", {"x", "target"}, {"y"});
    addNode(g, "Relu", "relu", {"y"}, {"z"});
    addTensorValue(g.add_output(), "z", {2, 12});
    auto model = Model::fromProto(m);
    QVERIFY2(model, model.message().c_str());
    const Graph& graph = model.value()->graph();
    auto chains = shapeComputations(graph);
    QCOMPARE(chains.size(), size_t(1));
    QCOMPARE(chains[0].size(), size_t(4));
    QCOMPARE(chains[0].back()->name(), std::string("concat"));

    SnapshotOptions options;
    options.collapseShapeComputations = true;
    auto snap = snapshotGraph(graph, fixedSize, {}, options);
    auto plain = snapshotGraph(graph, fixedSize);
    QCOMPARE(snap->nodes.size() + 3, plain->nodes.size());
    const int box = nodeIndex(*snap, "concat");
    QVERIFY(box >= 0);
    QCOMPARE(snap->nodes[box].collapsed, 4);
    QCOMPARE(nodeIndex(*snap, "gather"), -1);
    // It reads x and hands the target shape to the Reshape.
    auto valueName = [&](int v) { return snap->values[static_cast<size_t>(v)].name; };
    bool readsX = false, givesTarget = false;
    for (int v : snap->nodes[box].inputs) readsX = readsX || (v >= 0 && valueName(v) == "x");
    for (int v : snap->nodes[box].outputs) givesTarget = givesTarget || (v >= 0 && valueName(v) == "target");
    QVERIFY(readsX && givesTarget);
    LayoutEngine engine;
    engine.setGraph(snap);
    auto scene = engine.layout(engine.allPaths());
    QVERIFY2(scene, scene.message().c_str());
  }

  void collapsedGroupsAreSingleBoxes() {
    auto model = makeDecoder(4);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    auto scene = engine.layout({});
    QVERIFY2(scene, scene.message().c_str());
    const auto& g = engine.grouping();
    // Only top-level boxes: x, /Constant, 4 layers, /head/Relu, y.
    QCOMPARE(scene->groups.size(), size_t(4));
    QCOMPARE(scene->nodes.size(), size_t(4));
    for (const auto& gb : scene->groups) QVERIFY(!gb.expanded);
    int hidden = nodeIndex(*engine.graph(), "/h.2/attn/Softmax");
    QCOMPARE(scene->nodeBox[hidden], -1);
    auto vis = scene->visibleFor(hidden, g);
    QVERIFY(vis.groupBox >= 0);
    QCOMPARE(g.groups[scene->groups[vis.groupBox].group].path, std::string("/h.2"));
    // The layers are chained: an edge from h.0's box to h.1's box carries h.0's output.
    const auto& snap = *engine.graph();
    bool chained = false;
    for (const auto& e : scene->edges)
      for (int v : e.values)
        if (snap.values[v].name == "/h.0/out") chained = true;
    QVERIFY(chained);
    std::string what;
    QVERIFY2(!siblingsOverlap(*scene, g, &what), what.c_str());
    QVERIFY(scene->bounds.width > 0 && scene->bounds.height > 0);
    // Top to bottom: the input above the first layer, the output below the last.
    auto rectOf = [&](const std::string& path) { return scene->groups[scene->groupBox[g.byPath.at(path)]].rect; };
    QVERIFY(scene->nodes[scene->nodeBox[nodeIndex(snap, "x")]].rect.bottom() <= rectOf("/h.0").y);
    QVERIFY(rectOf("/h.0").bottom() <= rectOf("/h.1").y);
    QVERIFY(rectOf("/h.3").bottom() <= scene->nodes[scene->nodeBox[nodeIndex(snap, "y")]].rect.y);
  }

  void expandingLaysOutOnlyThatGroup() {
    auto model = makeDecoder(4);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    QVERIFY(engine.layout({}));
    const auto before = engine.stats();
    auto scene = engine.layout({"/h.1"});
    QVERIFY2(scene, scene.message().c_str());
    // h.1 (its children stay collapsed) and the top level, whose h.1 box grew: two layouts.
    QCOMPARE(engine.stats().dotCalls - before.dotCalls, std::uint64_t(2));
    const auto& g = engine.grouping();
    const auto& snap = *engine.graph();
    int h1 = scene->groupBox[g.byPath.at("/h.1")];
    QVERIFY(scene->groups[h1].expanded);
    // Its direct node is drawn inside its frame; its sub-scopes are collapsed boxes inside too.
    int add = nodeIndex(snap, "/h.1/Add");
    QVERIFY(scene->nodeBox[add] >= 0);
    QVERIFY(inside(scene->nodes[scene->nodeBox[add]].rect, scene->groups[h1].rect));
    int attn = scene->groupBox[g.byPath.at("/h.1/attn")];
    QVERIFY(attn >= 0 && !scene->groups[attn].expanded);
    QVERIFY(inside(scene->groups[attn].rect, scene->groups[h1].rect));
    // Other layers are untouched.
    QCOMPARE(scene->nodeBox[nodeIndex(snap, "/h.0/Add")], -1);
    std::string what;
    QVERIFY2(!siblingsOverlap(*scene, g, &what), what.c_str());

    // Collapsing again gives back the first layout without any new dot call.
    const auto mid = engine.stats();
    auto again = engine.layout({});
    QVERIFY(again);
    QCOMPARE(engine.stats().dotCalls, mid.dotCalls);
    QCOMPARE(again->nodeBox[add], -1);
  }

  void edgesIntoOpenGroupsAreConnected() {
    auto model = makeDecoder(3);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    auto scene = engine.layout({"/h.1", "/h.1/ln", "/h.1/attn"});
    QVERIFY2(scene, scene.message().c_str());
    const auto& snap = *engine.graph();
    // h.0's output enters h.1 and reaches ln/ReduceMean, ln/Sub and h.1/Add: an arrow ends
    // at each of them, and the pieces chain without gaps (each piece starts where some other
    // piece of the same tensor ends, or at the producer's box).
    int v = -1;
    for (size_t i = 0; i < snap.values.size(); ++i)
      if (snap.values[i].name == "/h.0/out") v = static_cast<int>(i);
    QVERIFY(v >= 0);
    std::set<int> reached;
    std::vector<const LayoutScene::Edge*> pieces;
    for (const auto& e : scene->edges)
      if (std::find(e.values.begin(), e.values.end(), v) != e.values.end()) {
        pieces.push_back(&e);
        if (e.to >= 0) reached.insert(e.to);
      }
    QVERIFY(reached.count(nodeIndex(snap, "/h.1/ln/ReduceMean")));
    QVERIFY(reached.count(nodeIndex(snap, "/h.1/ln/Sub")));
    QVERIFY(reached.count(nodeIndex(snap, "/h.1/Add")));
    for (const auto* e : pieces) {
      QVERIFY(e->points.size() >= 4 && (e->points.size() - 1) % 3 == 0);
      bool startsAtBox = false;
      const LayoutPoint& s = e->points.front();
      for (const auto* other : pieces) {
        const LayoutPoint& t = other->points.back();
        if (other != e && std::abs(t.x - s.x) < 0.5 && std::abs(t.y - s.y) < 0.5) startsAtBox = true;
      }
      for (const auto& gb : scene->groups)
        if (engine.grouping().groups[gb.group].path == "/h.0" &&
            s.y >= gb.rect.bottom() - 8 && s.y <= gb.rect.bottom() + 8)
          startsAtBox = true;
      QVERIFY2(startsAtBox, "an edge piece starts in the middle of nowhere");
    }
  }

  void repeatedLayersAreLaidOutOnce() {
    auto model = makeDecoder(12);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    auto scene = engine.layout(engine.allPaths());
    QVERIFY2(scene, scene.message().c_str());
    // Every op has a box; h.1 differs (an extra Add), the other layers share layouts.
    for (size_t i = 0; i < engine.graph()->nodes.size(); ++i) QVERIFY(scene->nodeBox[i] >= 0);
    QVERIFY2(engine.stats().dotCalls <= 10, std::to_string(engine.stats().dotCalls).c_str());
    QVERIFY(engine.stats().cacheHits >= 25);
    std::string what;
    QVERIFY2(!siblingsOverlap(*scene, engine.grouping(), &what), what.c_str());
    for (const auto& nb : scene->nodes) {
      int g = engine.grouping().groupOf[nb.node];
      if (g == 0) continue;
      QVERIFY(inside(nb.rect, scene->groups[scene->groupBox[g]].rect));
    }
  }

  void tensorReadByManyGroupsGetsStubs() {
    auto model = makeDecoder(12);  // every layer reads "scale"
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    auto scene = engine.layout({});
    QVERIFY(scene);
    const auto& snap = *engine.graph();
    int scale = -1;
    for (size_t i = 0; i < snap.values.size(); ++i)
      if (snap.values[i].name == "scale") scale = static_cast<int>(i);
    for (const auto& e : scene->edges)
      QVERIFY(std::find(e.values.begin(), e.values.end(), scale) == e.values.end());
    int readers = 0, sources = 0;
    for (const auto& s : scene->stubs)
      if (s.value == scale) (s.source ? sources : readers)++;
    QCOMPARE(readers, 12);
    QCOMPARE(sources, 1);
  }

  void cacheIsDroppedWhenTheModelChanges() {
    auto model = makeDecoder(3);
    Graph& graph = model->graph();
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(graph, fixedSize));
    auto first = engine.layout({"/h.2", "/h.2/attn"});
    QVERIFY(first);
    const auto regroupings = engine.stats().regroupings;
    // The same revision again keeps the grouping.
    engine.setGraph(snapshotGraph(graph, fixedSize));
    QCOMPARE(engine.stats().regroupings, regroupings);

    const std::uint64_t rev = model->revision();
    Node* softmax = graph.findNodeByName("/h.2/attn/Softmax");
    QVERIFY(softmax);
    Graph::NewNode spec;
    spec.opType = "Relu";
    spec.name = "/h.2/attn/Probe";
    spec.inputs = {softmax->output(0)};
    spec.outputNames = {"/h.2/attn/probe"};
    auto added = graph.addNode(spec);
    QVERIFY2(added, added.message().c_str());
    QVERIFY(model->revision() > rev);

    engine.setGraph(snapshotGraph(graph, fixedSize));
    QCOMPARE(engine.stats().regroupings, regroupings + 1);
    QCOMPARE(engine.revision(), model->revision());
    const auto dotBefore = engine.stats().dotCalls;
    auto second = engine.layout({"/h.2", "/h.2/attn"});
    QVERIFY(second);
    int probe = nodeIndex(*engine.graph(), "/h.2/attn/Probe");
    QVERIFY(probe >= 0);
    QVERIFY(second->nodeBox[probe] >= 0);
    // Only the edited group is laid out again (and h.2 and the top, which hold it, if its
    // size changed); h.0 and h.1 are not touched.
    QVERIFY(engine.stats().dotCalls - dotBefore <= 3);
    QVERIFY(engine.stats().dotCalls - dotBefore >= 1);

    QVERIFY(graph.removeNode(added.value()).isOk());
    engine.setGraph(snapshotGraph(graph, fixedSize));
    auto third = engine.layout({"/h.2", "/h.2/attn"});
    QVERIFY(third);
    QCOMPARE(nodeIndex(*engine.graph(), "/h.2/attn/Probe"), -1);
    QCOMPARE(third->nodes.size(), first->nodes.size());
  }

  void unscopedGraphsAreCutIntoRuns() {
    // 1,500 unnamed nodes: a residual chain with no scope names at all.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    auto& g = *m.mutable_graph();
    addTensorValue(g.add_input(), "x", {4});
    std::string x = "x";
    for (int i = 0; i < 750; ++i) {
      std::string r = "r" + std::to_string(i), a = "a" + std::to_string(i);
      addNode(g, "Relu", "", {x}, {r});
      addNode(g, "Add", "", {r, x}, {a});
      x = a;
    }
    addTensorValue(g.add_output(), x, {4});
    auto model = Model::fromProto(std::move(m));
    QVERIFY(model);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model.value()->graph(), fixedSize));
    const auto& grouping = engine.grouping();
    QVERIFY(grouping.groups.size() > 5);
    for (const auto& grp : grouping.groups) {
      QVERIFY2(grp.children.size() + grp.nodes.size() <= 300, grp.path.c_str());
      if (!grp.path.empty()) {
        QVERIFY(grp.run);
        QVERIFY2(grp.name.rfind("nodes ", 0) == 0, grp.name.c_str());
      }
    }
    auto scene = engine.layout(engine.allPaths());
    QVERIFY2(scene, scene.message().c_str());
    QVERIFY(engine.stats().largestDotCall <= 300);
    for (size_t i = 0; i < engine.graph()->nodes.size(); ++i) QVERIFY(scene->nodeBox[i] >= 0);
    // Runs are cut between a Relu/Add pair, where one tensor crosses, never inside one.
    for (const auto& grp : grouping.groups) {
      if (grp.path.empty() || !grp.children.empty()) continue;
      const auto& first = engine.graph()->nodes[grp.nodes.front()];
      QCOMPARE(first.opType, std::string("Relu"));
    }
  }

  void layoutCanBeCancelled() {
    auto model = makeDecoder(6);
    LayoutEngine engine;
    engine.setGraph(snapshotGraph(model->graph(), fixedSize));
    int calls = 0;
    auto scene = engine.layout(engine.allPaths(), [&](double, std::string_view) { return ++calls < 3; });
    QVERIFY(!scene);
    QCOMPARE(scene.status().code(), ErrorCode::Cancelled);
  }

  void subgraphBodiesHaveTheirOwnLayout() {
    auto model = loadModel(test::testdataDir() + "/node/test_loop11/model.onnx");
    QVERIFY2(model, model.message().c_str());
    const Node* loop = model.value()->graph().nodes().front();
    QCOMPARE(loop->opType(), std::string("Loop"));
    auto main = snapshotGraph(model.value()->graph(), fixedSize);
    QVERIFY(main->nodes[main->findNode(loop->id())].hasSubgraphs);
    const Graph& body = *loop->subgraphs().front().graph;
    auto snap = snapshotGraph(body, fixedSize);
    // iter_count, cond_in, y_in are the body's inputs; 9 ops; cond_out, y_out, scan_out out.
    int inputs = 0, outputs = 0, ops = 0;
    for (const auto& n : snap->nodes) {
      if (n.kind == LayoutGraph::NodeKind::Input) ++inputs;
      if (n.kind == LayoutGraph::NodeKind::Output) ++outputs;
      if (n.kind == LayoutGraph::NodeKind::Op) ++ops;
    }
    QCOMPARE(inputs, 3);
    QCOMPARE(ops, 9);
    QCOMPARE(outputs, 3);
    LayoutEngine engine;
    engine.setGraph(snap);
    auto scene = engine.layout({});
    QVERIFY2(scene, scene.message().c_str());
    QCOMPARE(scene->nodes.size(), snap->nodes.size());
  }

  void realModelsLayOutWithoutOverlaps() {
    auto paths = test::corpusModels({"pytorch-converted", "pytorch-operator", "simple"});
    for (const char* extra : {"node/test_if", "node/test_scan9_sum", "node/test_loop11"})
      paths.push_back(test::testdataDir() + "/" + extra + "/model.onnx");
    QVERIFY(paths.size() > 50);
    int laidOut = 0;
    for (const auto& path : paths) {
      auto model = loadModel(path);
      if (!model) continue;  // io's own tests cover models that do not load
      LayoutEngine engine;
      engine.setGraph(snapshotGraph(model.value()->graph(), fixedSize));
      auto scene = engine.layout(engine.allPaths());
      QVERIFY2(scene, (path + ": " + scene.message()).c_str());
      for (size_t i = 0; i < engine.graph()->nodes.size(); ++i)
        QVERIFY2(scene->nodeBox[i] >= 0, path.c_str());
      std::string what;
      QVERIFY2(!siblingsOverlap(*scene, engine.grouping(), &what), (path + ": " + what).c_str());
      for (const auto& e : scene->edges) QVERIFY(e.points.size() >= 4 && (e.points.size() - 1) % 3 == 0);
      ++laidOut;
    }
    QVERIFY(laidOut > 50);
  }

  void opsAreColouredByCategory() {
    QCOMPARE(opCategory("Conv", ""), OpCategory::Convolution);
    QCOMPARE(opCategory("LayerNormalization", "ai.onnx"), OpCategory::Normalization);
    QCOMPARE(opCategory("Relu", ""), OpCategory::Activation);
    QCOMPARE(opCategory("Reshape", ""), OpCategory::Shape);
    QCOMPARE(opCategory("MatMul", ""), OpCategory::Math);
    QCOMPARE(opCategory("DequantizeLinear", ""), OpCategory::Quantization);
    QCOMPARE(opCategory("QGemm", "com.microsoft"), OpCategory::Quantization);
    QCOMPARE(opCategory("Loop", ""), OpCategory::ControlFlow);
    QCOMPARE(opCategory("Attention", "com.microsoft"), OpCategory::Custom);
    QCOMPARE(opCategory("Gelu", "com.microsoft"), OpCategory::Custom);
    QCOMPARE(std::string(opCategoryName(OpCategory::Custom)), std::string("custom domain"));
  }
};

QTEST_GUILESS_MAIN(TestLayout)
#include "test_layout.moc"
