// The diff of two models: structural pairing through renames, reordering and local edits, anchors
// that find a node again in another model, and the report of what changed, on PyTorch exports
// (a CNN, a ViT, a GPT-style decoder) and a 100-layer decoder, each mutated with known changes.
#include <QCoreApplication>
#include <QProcess>
#include <QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "models/decoder_builder.h"
#include "diff_testutil.h"
#include "graft/diff.h"
#include "graft/io.h"
#include "exported_models.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

std::unique_ptr<graft::Model> fromProto(onnx::ModelProto proto) {
  auto m = graft::Model::fromProto(std::move(proto));
  return m ? std::move(m.value()) : nullptr;
}

}  // namespace

class TestDiff : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;

  // The original model of a test row: an exported PyTorch model or the in-memory 100-layer decoder.
  onnx::ModelProto original(const QString& name) {
    if (name == "decoder100") return graft::test::makeDecoder(100)->toProto();
    auto m = graft::loadModel((fs::path(modelsDir_.toStdString()) / name.toStdString() / "model.onnx").string());
    if (!m) return {};
    return m.value()->toProto();
  }

  void modelRows() {
    QTest::addColumn<QString>("name");
    for (const char* name : {"resnet", "vit", "gpt", "decoder100"}) QTest::newRow(name) << QString(name);
  }

  bool needsExport(const QString& name) { return name != "decoder100"; }

 private slots:
  void initTestCase() {
    // Exported once per build folder (tests/models/export_eval_models.py); again when the script changes.
    modelsDir_ = QCoreApplication::applicationDirPath() + "/diff-models";
    bool failed = false;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, {"resnet", "vit", "gpt"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
  }

  void pairingFindsNodesThroughRenamesReorderingAndLocalEdits_data() { modelRows(); }
  void pairingFindsNodesThroughRenamesReorderingAndLocalEdits() {
    QFETCH(QString, name);
    if (needsExport(name) && !skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto mutated = graft::test::mutateModel(original(name));
    QVERIFY(!mutated.identityB.empty());
    QVERIFY(!mutated.attributeName.empty());
    QVERIFY(!mutated.weightB.empty());
    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    QVERIFY(a && b);
    auto pairing = graft::pairModels(*a, *b);
    QVERIFY2(pairing, pairing.message().c_str());

    std::size_t right = 0, total = 0;
    std::string wrong;
    for (const graft::Node* na : pairing->a.nodes) {
      ++total;
      const graft::Node* nb = pairing->partnerInB(na);
      if (nb && nb->name() == mutated.nodeAtoB.at(na->name())) {
        ++right;
      } else if (wrong.size() < 300) {
        wrong += " " + na->name() + "->" + (nb ? nb->name() : std::string("none")) + " (want " + mutated.nodeAtoB.at(na->name()) + ")";
      }
    }
    double share = static_cast<double>(right) / static_cast<double>(total);
    qInfo("%s: %zu of %zu nodes paired correctly", qPrintable(name), right, total);
    QVERIFY2(share >= 0.999, ("paired correctly: " + std::to_string(right) + " of " + std::to_string(total) + ";" + wrong).c_str());
    // The inserted Identity has no partner: it is new.
    const graft::Node* identity = b->graph().findNodeByName(mutated.identityB);
    QVERIFY(identity);
    QVERIFY(!pairing->partnerInA(identity));
    // The scaled weight is paired with its original.
    const graft::Value* wa = a->graph().findValue(mutated.weightA);
    const graft::Value* wb = b->graph().findValue(mutated.weightB);
    QVERIFY(wa && wb);
    QVERIFY(pairing->valuesAtoB.count(wa));
    QCOMPARE(pairing->valuesAtoB.at(wa), wb);
  }

  void nodesInsideLoopBodiesArePairedThroughRenamesAndReordering() {
    // ONNX's Loop test: a 9-node body. B renames every node and value of the body (its inputs and
    // outputs too: a re-export does), stores the body nodes in reverse dependency-respecting order
    // and changes the axes of one Unsqueeze; the main graph is renamed and reordered as usual.
    auto loaded = graft::loadModel(graft::test::testdataDir() + "/node/test_loop11/model.onnx");
    if (!loaded) QSKIP("libonnx-testdata is missing (test_loop11)");
    onnx::ModelProto proto = loaded.value()->toProto();
    QCOMPARE(proto.graph().node(0).op_type(), std::string("Loop"));
    auto* bodyA = proto.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g();
    for (int k = 0; k < bodyA->node_size(); ++k) bodyA->mutable_node(k)->set_name("body_" + std::to_string(k));
    auto mutated = graft::test::mutateModel(proto);
    onnx::GraphProto* bodyB = nullptr;
    for (auto& n : *mutated.b.mutable_graph()->mutable_node())
      if (n.op_type() == "Loop") bodyB = n.mutable_attribute(0)->mutable_g();
    QVERIFY(bodyB);
    std::map<std::string, std::string> truth, renamedValue;
    auto rename = [&](std::string* v) {
      if (v->empty()) return;
      auto [it, fresh] = renamedValue.emplace(*v, "v" + std::to_string(renamedValue.size()) + "_renamed");
      *v = it->second;
    };
    for (auto& in : *bodyB->mutable_input()) rename(in.mutable_name());
    for (auto& out : *bodyB->mutable_output()) rename(out.mutable_name());
    std::string changed;
    for (int k = 0; k < bodyB->node_size(); ++k) {
      auto* n = bodyB->mutable_node(k);
      truth[n->name()] = "renamed_" + std::to_string(100 - k);
      n->set_name(truth[n->name()]);
      for (auto& v : *n->mutable_input()) rename(&v);
      for (auto& v : *n->mutable_output()) rename(&v);
      if (n->op_type() == "Unsqueeze" && changed.empty()) {
        for (auto& at : *n->mutable_attribute())
          if (at.name() == "axes") at.set_ints(0, at.ints(0) + 1);
        changed = n->name();
      }
    }
    QVERIFY(!changed.empty());
    // Independent nodes first in the other order: reversed, then stably sorted by dependency depth.
    std::vector<onnx::NodeProto> nodes(bodyB->node().rbegin(), bodyB->node().rend());
    std::map<std::string, int> depthOf;
    auto depth = [&](const onnx::NodeProto& n) {
      int d = 0;
      for (const auto& v : n.input())
        if (auto it = depthOf.find(v); it != depthOf.end()) d = std::max(d, it->second + 1);
      return d;
    };
    for (int pass = 0; pass < bodyB->node_size(); ++pass)
      for (const auto& n : nodes)
        for (const auto& o : n.output()) depthOf[o] = depth(n);
    std::stable_sort(nodes.begin(), nodes.end(), [&](const auto& x, const auto& y) { return depth(x) < depth(y); });
    bodyB->clear_node();
    for (auto& n : nodes) *bodyB->add_node() = n;

    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    QVERIFY(a && b);
    auto d = graft::diffModels(*a, *b);
    QVERIFY2(d, d.message().c_str());
    QCOMPARE(d->pairing.bodies.size(), std::size_t{1});
    const graft::Graph& ga = *d->pairing.bodies[0].pairing->a.graph;
    std::size_t right = 0;
    ga.forEachNode([&](const graft::Node& n) {
      const graft::Node* partner = d->pairing.partnerInB(&n);
      if (partner && partner->name() == truth.at(n.name()) && d->pairing.partnerInA(partner) == &n) ++right;
    });
    QCOMPARE(right, ga.nodeCount());
    // Every node of both models, bodies included, is in exactly one entry; one body node changed.
    QCOMPARE(d->summary.nodesA, std::size_t{10});
    QCOMPARE(d->summary.nodesB, std::size_t{10});
    std::size_t inA = 0, inB = 0;
    std::vector<std::string> changedNodes;
    for (const auto& e : d->nodes) {
      inA += e.a.size();
      inB += e.b.size();
      if (e.status == graft::DiffStatus::Changed) changedNodes.push_back(e.b[0]->name());
      if (e.status == graft::DiffStatus::Changed && e.b[0]->name() == changed)
        QVERIFY2(e.changes.front().find("axes") != std::string::npos, e.changes.front().c_str());
    }
    QCOMPARE(inA, std::size_t{10});
    QCOMPARE(inB, std::size_t{10});
    QVERIFY(std::find(changedNodes.begin(), changedNodes.end(), changed) != changedNodes.end());
    QCOMPARE(d->summary.added + d->summary.removed, std::size_t{0});
    for (const auto& e : d->nodes)
      if (e.status == graft::DiffStatus::Changed && e.op != "Loop")
        QVERIFY2(e.b[0]->name() == changed, (e.op + " changed: " + e.changes.front()).c_str());
    // The body's entries follow their Loop's.
    std::size_t loopAt = d->entryOf.at(d->pairing.bodies[0].ownerB);
    QVERIFY(d->entryOf.at(d->pairing.partnerInB(ga.nodes().front())) > loopAt);
  }

  void bothBranchesOfAnIfArePairedWithTheirCounterparts() {
    auto loaded = graft::loadModel(graft::test::testdataDir() + "/node/test_if/model.onnx");
    if (!loaded) QSKIP("libonnx-testdata is missing (test_if)");
    auto a = fromProto(loaded.value()->toProto());
    auto b = fromProto(loaded.value()->toProto());
    auto d = graft::diffModels(*a, *b);
    QVERIFY2(d, d.message().c_str());
    QVERIFY(d->identical());
    QCOMPARE(d->pairing.bodies.size(), std::size_t{2});
    for (const auto& body : d->pairing.bodies) {
      QCOMPARE(body.pairing->a.graph->parentNode(), body.ownerA);
      QCOMPARE(body.pairing->b.graph->parentNode(), body.ownerB);
      body.pairing->a.graph->forEachNode([&](const graft::Node& n) {
        const graft::Node* partner = d->pairing.partnerInB(&n);
        QVERIFY(partner && &partner->graph() == body.pairing->b.graph);
      });
    }
    QCOMPARE(d->summary.same, d->summary.nodesA);
    QCOMPARE(d->summary.nodesA, std::size_t{3});
  }

  void aModelPairsEveryNodeWithItself() {
    auto a = graft::test::makeDecoder(20);
    auto b = graft::test::makeDecoder(20);
    auto pairing = graft::pairModels(*a, *b);
    QVERIFY(pairing);
    QCOMPARE(pairing->pairedCount(), a->graph().nodeCount());
    for (const graft::Node* na : pairing->a.nodes) QCOMPARE(pairing->partnerInB(na)->name(), na->name());
  }

  void anchorsRecordedOnTheOriginalFindTheRenamedNodes() {
    // The 100-layer decoder repeats one layer with equal weights: only the structure around a
    // node (its depth, its neighbours) tells the layers apart.
    auto mutated = graft::test::mutateModel(graft::test::makeDecoder(100)->toProto());
    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    auto ha = graft::hashGraph(a->graph());
    auto hb = graft::hashGraph(b->graph());
    QVERIFY(ha && hb);
    auto pairing = graft::pairModels(*a, *b);
    QVERIFY(pairing);
    std::size_t direct = 0, paired = 0, total = 0, wrong = 0;
    for (const graft::Node* na : ha->nodes) {
      auto anchor = graft::anchorOf(*ha, *na);
      ++total;
      // Names are gone in B, so only structure can find it.
      auto found = graft::resolveAnchor(*hb, anchor);
      if (found && found->node->name() == mutated.nodeAtoB.at(na->name())) ++direct;
      else if (found) ++wrong;
      auto viaPairing = graft::resolveAnchor(*pairing, anchor);
      if (viaPairing && viaPairing->node->name() == mutated.nodeAtoB.at(na->name())) ++paired;
    }
    qInfo("anchors resolved: %zu of %zu directly (%zu wrong), %zu through the pairing", direct, total, wrong, paired);
    QVERIFY(paired >= total * 999 / 1000);
    // Without names, identical layers are told apart only by their cones, which the edits change
    // below the first edit: such anchors are reported ambiguous, never resolved to a wrong node.
    QCOMPARE(wrong, std::size_t{0});
    QVERIFY(direct > 0);
    // On the model it was recorded on, an anchor finds its own node by name and structure.
    const graft::Node* some = ha->nodes[ha->nodes.size() / 2];
    auto self = graft::resolveAnchor(*ha, graft::anchorOf(*ha, *some));
    QVERIFY(self);
    QCOMPARE(self->node, some);
    QCOMPARE(self->how, std::string("name and structure"));
  }

  void anAnchorStillResolvesAfterAnEditFarUpstream() {
    // An anchor keeps its neighbourhood hash: an edit in layer 2 changes the cone hashes of every
    // later node, but a node in layer 50 is still found by its neighbourhood and name.
    auto a = graft::test::makeDecoder(60);
    auto ha = graft::hashGraph(a->graph());
    QVERIFY(ha);
    graft::Node* target = a->graph().findNodeByName("/h.50/attn/Softmax");
    QVERIFY(target);
    auto anchor = graft::anchorOf(*ha, *target);
    graft::Node* far = a->graph().findNodeByName("/h.2/attn/Softmax");
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    QVERIFY(a->graph().setAttribute(far, axis));
    auto hb = graft::hashGraph(a->graph());
    QVERIFY(hb);
    auto found = graft::resolveAnchor(*hb, anchor);
    QVERIFY2(found, found.message().c_str());
    QCOMPARE(found->node, target);
    // An anchor whose op type is nowhere says so.
    anchor.opType = "NoSuchOp";
    auto missing = graft::resolveAnchor(*hb, anchor);
    QVERIFY(!missing);
    QCOMPARE(missing.status().code(), graft::ErrorCode::NotFound);
  }


  void reportSaysExactlyWhatWasChanged_data() { modelRows(); }
  void reportSaysExactlyWhatWasChanged() {
    QFETCH(QString, name);
    if (needsExport(name) && !skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto mutated = graft::test::mutateModel(original(name));
    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    QVERIFY(a && b);
    auto d = graft::diffModels(*a, *b);
    QVERIFY2(d, d.message().c_str());
    const auto& s = d->summary;
    std::string entries;
    for (const auto& e : d->nodes) {
      if (e.status == graft::DiffStatus::Same) continue;
      entries += std::string(" [") + graft::diffStatusName(e.status) + " " + e.op + " " +
                 (e.a.empty() ? std::string() : e.a[0]->name()) + "/" + (e.b.empty() ? std::string() : e.b[0]->name());
      for (const auto& c : e.changes) entries += "; " + c;
      entries += "]";
    }
    QVERIFY2(s.changed == 1 && s.added == 1 && s.removed == 0 && s.fused == 0 && s.split == 0, entries.c_str());
    for (const auto& e : d->nodes) {
      if (e.status == graft::DiffStatus::Changed) {
        QCOMPARE(e.a.size(), std::size_t{1});
        QCOMPARE(e.a[0]->name(), mutated.attributeNodeA);
        QCOMPARE(e.changes.size(), std::size_t{1});
        QVERIFY2(e.changes[0].rfind("attribute " + mutated.attributeName, 0) == 0, e.changes[0].c_str());
        // B's names have no module scope left: the entry keeps A's.
        QCOMPARE(e.scope, graft::scopeOfName(mutated.attributeNodeA));
      }
      if (e.status == graft::DiffStatus::Added) {
        QCOMPARE(e.b.size(), std::size_t{1});
        QCOMPARE(e.b[0]->name(), mutated.identityB);
        QCOMPARE(e.op, std::string("Identity"));
      }
    }
    // The weight: changed by 1%, everything else the same; its reader stays "same".
    QCOMPARE(s.weightsChanged, std::size_t{1});
    QCOMPARE(s.weightsAdded + s.weightsRemoved, std::size_t{0});
    const graft::WeightDiff& w = d->weights.front();
    QCOMPARE(w.status, graft::DiffStatus::Changed);
    QCOMPARE(w.a->name(), mutated.weightA);
    QCOMPARE(w.b->name(), mutated.weightB);
    QVERIFY2(w.maxRel > 0.0099 && w.maxRel < 0.0101, std::to_string(w.maxRel).c_str());
    QVERIFY(w.cosine > 0.9999);
    QVERIFY2(d->modelChanges.empty(), d->modelChanges.empty() ? "" : d->modelChanges[0].c_str());
    QVERIFY(!d->identical());
    // Every node of A and of B is in exactly one entry.
    std::size_t inA = 0, inB = 0;
    for (const auto& e : d->nodes) {
      inA += e.a.size();
      inB += e.b.size();
    }
    QCOMPARE(inA, a->graph().nodeCount());
    QCOMPARE(inB, b->graph().nodeCount());
    // Scopes count every entry once.
    std::size_t counted = 0;
    for (const auto& c : d->scopes) counted += c.same + c.changed + c.added + c.removed + c.fused + c.split;
    QCOMPARE(counted, d->nodes.size());
  }

  void aModelDiffedWithItselfIsTheSame_data() { modelRows(); }
  void aModelDiffedWithItselfIsTheSame() {
    QFETCH(QString, name);
    if (needsExport(name) && !skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto a = fromProto(original(name));
    auto b = fromProto(original(name));
    auto d = graft::diffModels(*a, *b);
    QVERIFY(d);
    QVERIFY(d->identical());
    QCOMPARE(d->summary.same, a->graph().nodeCount());
  }

  void numericDiffNamesTheFirstNodeReadingTheChangedWeight_data() {
    QTest::addColumn<QString>("name");
    for (const char* name : {"resnet", "gpt"}) QTest::newRow(name) << QString(name);
  }
  void numericDiffNamesTheFirstNodeReadingTheChangedWeight() {
    QFETCH(QString, name);
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    graft::test::MutationOptions only;
    only.insertIdentity = only.changeAttribute = false;
    auto mutated = graft::test::mutateModel(original(name), only);
    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    auto d = graft::diffModels(*a, *b);
    QVERIFY(d);
    int calls = 0;
    graft::NumericDiffOptions o;
    o.progress = [&](double, std::string_view) { return ++calls > 0; };
    auto n = graft::numericDiff(*a, *b, d->pairing, o);
    QVERIFY2(n, n.message().c_str());
    QVERIFY(calls > 2);
    QVERIFY(n->firstDivergence >= 0);
    const graft::NodeError& first = n->nodes[n->firstDivergence];
    const graft::Value* w = a->graph().findValue(mutated.weightA);
    QVERIFY(w && w->uses().size() == 1);
    QCOMPARE(first.a->name(), w->uses()[0].node->name());
    QCOMPARE(first.b, d->pairing.partnerInB(first.a));
    QVERIFY(first.maxAbs > 0);
    // Everything before it is within tolerance.
    for (std::int32_t k = 0; k < n->firstDivergence; ++k) QVERIFY(!n->nodes[k].beyondTolerance);
    // Cancel stops the run.
    o.progress = [](double f, std::string_view) { return f < 0.3; };
    auto cancelled = graft::numericDiff(*a, *b, d->pairing, o);
    QVERIFY(!cancelled);
    QCOMPARE(cancelled.status().code(), graft::ErrorCode::Cancelled);
  }

  void pairingSixtyThousandNodesIsQuick() {
    // 7,500 layers of 8 nodes, renamed, shuffled and edited: the pairing itself (not loading)
    // stays well under a second (the benchmark measures the whole process).
    auto mutated = graft::test::mutateModel(graft::test::makeDecoder(7500)->toProto());
    auto a = fromProto(mutated.a);
    auto b = fromProto(mutated.b);
    auto t0 = std::chrono::steady_clock::now();
    auto pairing = graft::pairModels(*a, *b);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY(pairing);
    std::size_t right = 0;
    for (const graft::Node* na : pairing->a.nodes) {
      const graft::Node* nb = pairing->partnerInB(na);
      if (nb && nb->name() == mutated.nodeAtoB.at(na->name())) ++right;
    }
    qInfo("%zu nodes: %zu paired correctly in %.3f s", pairing->a.nodes.size(), right, seconds);
    QVERIFY(right >= pairing->a.nodes.size() * 999 / 1000);
    QVERIFY2(seconds < 5.0, "pairing 60k nodes took more than 5 s");
  }
};

QTEST_MAIN(TestDiff)
#include "test_diff.moc"
